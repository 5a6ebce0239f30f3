"""Content editing: drafts, preview, publishing, restoring, and the editors' reports.

Every change to the knowledge base starts as a :class:`~assistant.models.Draft` row (a
new or edited document as Markdown plus metadata, or retiring a document). Citizens see
nothing of it until :meth:`EditorDesk.publish` builds the next index version from the
live one plus the drafts — embedding only the documents that changed — and switches to
it atomically; every process sharing the index folder answers from it on its next
request. :meth:`EditorDesk.restore` points the live version back at an earlier one.

The package, in the order a change travels through it:

- :mod:`.drafts` — saving uploads, pastes, edits and retirements as open drafts;
- :mod:`.catalogue` — the documents editors browse, live or drafted, and review dates;
- :mod:`.preview` — today's answer beside the answer once the drafts are published;
- :mod:`.publishing` — publishing, the stored versions, and restoring one;
- :mod:`.reports` — content gaps, stale documents, most cited, citizens' feedback;
- :mod:`.proposals` — caseworkers' answers, grouped, offered as drafts;
- :mod:`.desk` — :class:`EditorDesk`, the one object callers use, over all of these;
- :mod:`.views` — what the desk answers with: frozen models, the editor API's own;
- :mod:`.errors` and :mod:`.fields` — the desk's errors and document metadata.
"""

from assistant.editorial.catalogue import Catalogue
from assistant.editorial.desk import EditorDesk
from assistant.editorial.drafts import Drafts
from assistant.editorial.errors import Conflict, EditorialError, NotFound
from assistant.editorial.preview import Preview
from assistant.editorial.publishing import Publishing, PublishResult
from assistant.editorial.reports import GAP_DISTANCE, GAP_STATUSES, Reports

__all__ = [
    "GAP_DISTANCE",
    "GAP_STATUSES",
    "Catalogue",
    "Conflict",
    "Drafts",
    "EditorDesk",
    "EditorialError",
    "NotFound",
    "Preview",
    "PublishResult",
    "Publishing",
    "Reports",
]
