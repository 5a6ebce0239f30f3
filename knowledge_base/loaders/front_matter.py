"""YAML front matter and JSONL fields: reading them, and turning them into a Document.

Loading never refuses a document for its metadata: values are only made into strings
(dates as ISO 8601), so that ``ingest`` keeps whatever a file says. Checking the values
an editor gives is :mod:`knowledge_base.metadata`'s job.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import yaml
from frontmatter.default_handlers import YAMLHandler

from knowledge_base.documents import Document
from knowledge_base.loaders.common import UnreadableDocument, _language

# Fields a Markdown front matter block or a JSONL record may set on the Document itself.
_DOCUMENT_FIELDS = ("title", "url", "agency", "topic", "language", "last_reviewed", "doc_id")


class _AliasRefused(yaml.YAMLError):
    pass


class _NoAliasLoader(yaml.SafeLoader):
    """PyYAML's safe loader without aliases. Front matter never needs them, and a few
    hundred bytes of nested aliases (the "billion laughs") expand into gigabytes once the
    values are turned into text: a 369-byte file kept the server busy for minutes."""

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            raise _AliasRefused("aliases are not allowed")
        return super().compose_node(parent, index)


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """The YAML front matter fields of Markdown source (``{}`` if none) and its body.

    Raises UnreadableDocument when the front matter is not valid YAML key/value pairs.
    """
    return _split_front_matter(text)


def _split_front_matter(raw: str) -> tuple[dict[str, Any], str]:
    """Front matter fields and the Markdown body; invalid front matter is an error."""
    handler = YAMLHandler()
    if not handler.detect(raw):
        return {}, raw
    try:
        front, body = handler.split(raw)
    except ValueError:
        raise UnreadableDocument("invalid front matter: no closing '---' line") from None
    try:
        fields = yaml.load(front, Loader=_NoAliasLoader)  # a SafeLoader: no arbitrary objects
    except _AliasRefused:
        raise UnreadableDocument(
            "invalid front matter: YAML anchors and aliases (& and *) are not allowed"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 2})" if mark is not None else ""
        raise UnreadableDocument(f"invalid front matter: not valid YAML{where}") from None
    if fields is None:
        return {}, body
    if not isinstance(fields, dict):
        raise UnreadableDocument("invalid front matter: expected 'key: value' lines")
    return {str(key): value for key, value in fields.items()}, body


def _as_text(value: Any) -> str | None:
    """A metadata value as a string (dates as ISO 8601, lists comma-separated), or None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return ", ".join(item for item in map(_as_text, value) if item)
    if isinstance(value, dict):
        return json.dumps(value, default=str, ensure_ascii=False, sort_keys=True)
    text = str(value).strip()
    return text or None


def _fields_document(
    fields: dict[str, Any],
    *,
    doc_id: str,
    title: str,
    text: str,
    source_path: str | None,
    sections: tuple[tuple[int, tuple[str, ...]], ...] = (),
) -> Document:
    """A Document from front matter / JSONL fields; unknown keys become string metadata."""
    metadata: dict[str, str] = {}
    for key, value in fields.items():
        if key in _DOCUMENT_FIELDS or key == "text":
            continue
        if key == "metadata" and isinstance(value, dict):
            for inner_key, inner_value in value.items():
                inner_text = _as_text(inner_value)
                if inner_text is not None:
                    metadata[str(inner_key)] = inner_text
            continue
        value_text = _as_text(value)
        if value_text is not None:
            metadata[str(key)] = value_text
    return Document(
        doc_id=doc_id,
        title=title,
        text=text,
        url=_as_text(fields.get("url")),
        agency=_as_text(fields.get("agency")),
        topic=_as_text(fields.get("topic")),
        language=_language(_as_text(fields.get("language")), metadata),
        last_reviewed=_as_text(fields.get("last_reviewed")),
        source_path=source_path,
        sections=sections,
        metadata=metadata,
    )
