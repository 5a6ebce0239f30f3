"""Turn files on disk into :class:`Document` values for the knowledge base.

``load_paths`` takes files and folders, reads every supported file it finds and returns
the documents together with a :class:`LoadError` for each file (or JSONL line) that
could not be read. One bad file never stops a batch, and no exception escapes.

``load_bytes`` and ``parse_markdown`` read one document from memory with the same parsers
(for the editor console), raising ``UnreadableDocument`` instead. ``document_to_markdown``
goes the other way, so any loaded document can be edited as Markdown and read back the same.

Every loader produces plain text: markup is parsed and thrown away, never rendered or
executed. Whitespace is normalised the same way everywhere (runs of spaces collapsed,
paragraphs separated by exactly one blank line, list items and table rows on their own
lines), and ``Document.sections`` offsets point into that final text.

One module per format (``markdown``, ``html``, ``pdf``, ``docx``, ``text``, ``jsonl``),
beside what they share (``common``: errors and normalisation; ``front_matter``: metadata
fields), the two ways in (``files``: ``load_paths``; ``memory``: ``load_bytes``) and the
way back (``writer``). Import from the package: the names in ``__all__`` are its API.
"""

from knowledge_base.loaders.common import (
    DocumentHasNoText,
    DocumentKind,
    DocumentTooLarge,
    UnreadableDocument,
    slugify,
)
from knowledge_base.loaders.files import SUPPORTED_SUFFIXES, LoadResult, load_paths
from knowledge_base.loaders.front_matter import split_front_matter
from knowledge_base.loaders.markdown import parse_markdown
from knowledge_base.loaders.memory import load_bytes
from knowledge_base.loaders.writer import document_to_markdown, markdown_with_front_matter

__all__ = [
    "SUPPORTED_SUFFIXES",
    "DocumentHasNoText",
    "DocumentKind",
    "DocumentTooLarge",
    "LoadResult",
    "UnreadableDocument",
    "document_to_markdown",
    "load_bytes",
    "load_paths",
    "markdown_with_front_matter",
    "parse_markdown",
    "slugify",
    "split_front_matter",
]
