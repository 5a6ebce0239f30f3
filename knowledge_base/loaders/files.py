"""``load_paths``: files and folders on disk to documents, one bad file never stopping a batch."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from knowledge_base.documents import Document, LoadError
from knowledge_base.loaders.common import UnreadableDocument, _slug
from knowledge_base.loaders.docx import _load_docx
from knowledge_base.loaders.html import _load_html
from knowledge_base.loaders.jsonl import _load_jsonl
from knowledge_base.loaders.markdown import _load_markdown
from knowledge_base.loaders.pdf import _load_pdf
from knowledge_base.loaders.text import _load_txt

SUPPORTED_SUFFIXES = frozenset(
    {".md", ".markdown", ".html", ".htm", ".pdf", ".docx", ".txt", ".jsonl"}
)


@dataclass
class LoadResult:
    """What a batch load produced: the documents that loaded and the files that did not."""

    documents: list[Document] = field(default_factory=list)
    errors: list[LoadError] = field(default_factory=list)


def load_paths(paths: Iterable[Path | str]) -> LoadResult:
    """Load every supported document under ``paths`` (files and/or folders).

    Folders are walked recursively in sorted order; hidden files and folders (and Office
    lock files such as ``~$form.docx``) are skipped, as are files with an unsupported
    extension. A file with an unsupported extension named explicitly is an error. A file
    that is reached twice is loaded once. Problems are collected in ``errors``; nothing
    is raised for a bad file.
    """
    if isinstance(paths, (str, Path)):  # a lone path, not an iterable of them
        paths = [paths]
    result = LoadResult()
    seen_files: set[Path] = set()
    seen_ids: dict[str, Path] = {}
    for given in paths:
        path = Path(given)
        if path.is_dir():
            files = _walk(path, result.errors)
            candidates: Iterator[tuple[Path, Path | None]] = ((f, path) for f in files)
        elif path.is_file():
            candidates = iter([(path, None)])
        else:
            result.errors.append(LoadError(path, "no such file or folder"))
            continue
        for file, root in candidates:
            key = file.resolve()
            if key in seen_files:
                continue
            seen_files.add(key)
            documents, errors = _load_file(file, root)
            result.errors.extend(errors)
            for document in documents:
                first = seen_ids.get(document.doc_id)
                if first is not None:
                    result.errors.append(
                        LoadError(
                            file, f"duplicate doc_id {document.doc_id!r} (already used by {first})"
                        )
                    )
                    continue
                seen_ids[document.doc_id] = file
                result.documents.append(document)
    return result


def _walk(root: Path, errors: list[LoadError]) -> list[Path]:
    """Supported, non-hidden files under ``root``, sorted (ignoring case) by relative path."""

    def on_error(exc: OSError) -> None:
        errors.append(LoadError(Path(exc.filename or root), f"cannot read folder: {exc.strerror}"))

    found: list[Path] = []
    for folder, dirnames, filenames in os.walk(root, onerror=on_error):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in filenames:
            if name.startswith((".", "~$")):
                continue
            if Path(name).suffix.lower() in SUPPORTED_SUFFIXES:
                found.append(Path(folder) / name)

    def order(path: Path) -> tuple[tuple[str, ...], tuple[str, ...]]:
        parts = path.relative_to(root).parts
        return tuple(part.casefold() for part in parts), parts

    return sorted(found, key=order)


def _derive_doc_id(path: Path, root: Path | None) -> str:
    """``driver-licenses/renew`` for ``<root>/driver-licenses/renew.md``; the stem otherwise."""
    relative = path.relative_to(root) if root is not None else Path(path.name)
    return "/".join(_slug(part) for part in relative.with_suffix("").parts)


def _load_file(path: Path, root: Path | None) -> tuple[list[Document], list[LoadError]]:
    """Load one file; every failure comes back as a LoadError, never as an exception."""
    suffix = path.suffix.lower()
    doc_id = _derive_doc_id(path, root)
    try:
        if suffix in SUPPORTED_SUFFIXES and path.stat().st_size == 0:
            raise UnreadableDocument("empty file")
        if suffix == ".jsonl":
            return _load_jsonl(path)
        if suffix in (".md", ".markdown"):
            document = _load_markdown(path, doc_id)
        elif suffix in (".html", ".htm"):
            document = _load_html(path, doc_id)
        elif suffix == ".pdf":
            document = _load_pdf(path, doc_id)
        elif suffix == ".docx":
            document = _load_docx(path, doc_id)
        elif suffix == ".txt":
            document = _load_txt(path, doc_id)
        else:
            raise UnreadableDocument(f"unsupported file type {suffix or '(no extension)'!r}")
    except UnreadableDocument as exc:
        return [], [LoadError(path, str(exc))]
    except OSError as exc:
        return [], [LoadError(path, f"cannot read file: {exc.strerror or exc}")]
    except Exception as exc:  # a parser choking on a corrupt file must not stop the batch
        kind = suffix.lstrip(".").upper() or "file"
        return [], [LoadError(path, f"corrupt or unreadable {kind} ({type(exc).__name__})")]
    return [document], []
