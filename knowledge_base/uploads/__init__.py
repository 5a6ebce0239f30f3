"""Turn a file a content editor uploads (or text they paste) into a Markdown draft, safely.

Nothing about an upload is trusted:

- its type is read from its bytes, never from its name (the extension only decides
  between Markdown and plain text when the content does not);
- its name is only ever shown, never used as a path, and nothing is written to disk;
- size, archive, page and text limits are checked before anything is unpacked or
  extracted, so a "zip bomb" or a 10,000-page PDF is refused cheaply;
- HTML is sanitised with nh3, and raw HTML inside Markdown is cleaned with the same
  rules: no scripts, styles, frames, event handlers or ``javascript:`` links survive.

Parsing itself is the loaders' (``knowledge_base.loaders``), so a draft reads exactly as
the same file would on ``ingest``. Every refusal is an ``UploadRejected`` whose reason is
written for the editor who uploaded the file.

The steps live in modules of their own: ``sniff`` (what is it?), ``decode`` (its text),
``containers`` (DOCX and PDF checked before opening), ``sanitise`` (nh3 on HTML and on
HTML inside Markdown) and ``drafts`` (the entry points and the draft they make), with
``common`` (refusals, limits, sizes, names) shared by all. Import from the package.
"""

from knowledge_base.loaders import document_to_markdown, markdown_with_front_matter, parse_markdown
from knowledge_base.metadata import DRAFT_FIELDS
from knowledge_base.uploads.common import (
    DEFAULT_LIMITS,
    MB,
    UploadKind,
    UploadLimits,
    UploadProblem,
    UploadRejected,
    check_size,
    safe_display_name,
)
from knowledge_base.uploads.drafts import UploadedDraft, read_pasted, read_upload
from knowledge_base.uploads.sanitise import sanitise_markdown

__all__ = [
    "DEFAULT_LIMITS",
    "DRAFT_FIELDS",
    "MB",
    "UploadKind",
    "UploadLimits",
    "UploadProblem",
    "UploadRejected",
    "UploadedDraft",
    "check_size",
    "document_to_markdown",
    "markdown_with_front_matter",
    "parse_markdown",
    "read_pasted",
    "read_upload",
    "safe_display_name",
    "sanitise_markdown",
]
