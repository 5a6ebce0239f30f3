"""JSON Lines: one document per line, each with at least ``doc_id``, ``title`` and ``text``.

A bad line is reported with its number; the other lines still load.
"""

from __future__ import annotations

import json
from pathlib import Path

from knowledge_base.documents import Document, LoadError
from knowledge_base.loaders.common import UnreadableDocument, _normalise, _one_line
from knowledge_base.loaders.front_matter import _as_text, _fields_document


def _load_jsonl(path: Path) -> tuple[list[Document], list[LoadError]]:
    """One document per line; a bad line is reported with its number, the rest still load."""
    data = path.read_bytes()
    documents: list[Document] = []
    errors: list[LoadError] = []
    seen: dict[str, int] = {}
    for number, raw_line in enumerate(data.split(b"\n"), start=1):
        if not raw_line.strip():
            continue
        try:
            document = _jsonl_record(raw_line, path, number)
        except UnreadableDocument as exc:
            errors.append(LoadError(path, f"line {number}: {exc}"))
            continue
        if document.doc_id in seen:
            errors.append(
                LoadError(
                    path,
                    f"line {number}: duplicate doc_id {document.doc_id!r} "
                    f"(already used on line {seen[document.doc_id]})",
                )
            )
            continue
        seen[document.doc_id] = number
        documents.append(document)
    if not documents and not errors:
        errors.append(LoadError(path, "no text found (empty file)"))
    return documents, errors


def _jsonl_record(raw_line: bytes, path: Path, number: int) -> Document:
    """One JSONL line as a Document; raises UnreadableDocument with a reason for a bad line."""
    try:
        line = raw_line.decode("utf-8-sig" if number == 1 else "utf-8")
    except UnicodeDecodeError:
        raise UnreadableDocument("not UTF-8 text") from None
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise UnreadableDocument(f"invalid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(record, dict):
        raise UnreadableDocument("expected a JSON object")
    missing = [key for key in ("doc_id", "title", "text") if key not in record]
    if missing:
        raise UnreadableDocument(
            f"missing required field{'s' if len(missing) > 1 else ''} "
            + ", ".join(repr(key) for key in missing)
        )
    if not isinstance(record["text"], str):
        raise UnreadableDocument("'text' must be a string")
    doc_id = _as_text(record["doc_id"])
    title = _one_line(_as_text(record["title"]) or "")
    if not doc_id or not title:
        raise UnreadableDocument("'doc_id' and 'title' must not be empty")
    text = _normalise(record["text"])
    if not text:
        raise UnreadableDocument("'text' is empty")
    return _fields_document(record, doc_id=doc_id, title=title, text=text, source_path=str(path))
