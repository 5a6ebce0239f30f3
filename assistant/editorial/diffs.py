"""What a draft changes: its text against the live text, as pieces an editor can read.

Google's diff-match-patch (the ``diff-match-patch`` package) finds the changes; its
semantic clean-up merges the character-level edits into whole words and phrases, so
"renew online" -> "renew by mail" reads as one replaced phrase, not as scattered letters.
"""

from __future__ import annotations

from diff_match_patch import diff_match_patch

from assistant.editorial.views import DiffPieceOut

_OPS = {diff_match_patch.DIFF_EQUAL: "equal", diff_match_patch.DIFF_INSERT: "insert"}
_OPS[diff_match_patch.DIFF_DELETE] = "delete"

#: Seconds diff-match-patch may spend before it settles for a coarser diff. Its default
#: (1 s) would hold a request thread on a pathological pair of long pages; a coarser diff
#: of such a pair is still correct, only less minimal.
DIFF_TIMEOUT_SECONDS = 0.5


def text_changes(before: str, after: str) -> list[DiffPieceOut]:
    """The pieces that turn ``before`` into ``after``, in order, adjacent edits merged."""
    differ = diff_match_patch()
    differ.Diff_Timeout = DIFF_TIMEOUT_SECONDS
    diffs = differ.diff_main(before, after)
    differ.diff_cleanupSemantic(diffs)
    return [DiffPieceOut(op=_OPS[op], text=text) for op, text in diffs if text]
