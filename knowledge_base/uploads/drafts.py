"""An upload or a paste made into a draft: the entry points ``read_upload`` and
``read_pasted``, and the title, Markdown body and metadata fields a draft gets.

The steps are the sibling modules': ``sniff`` says what the file is, ``decode`` reads its
text, ``containers`` checks DOCX and PDF files before they are opened, ``sanitise``
cleans HTML. Parsing itself is the loaders', so a draft reads as the file would on
``ingest``; metadata is checked by :class:`~knowledge_base.metadata.DocumentMetadata`.
"""

from __future__ import annotations

import dataclasses
import html
import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from bs4 import BeautifulSoup, Tag

from knowledge_base.documents import Document
from knowledge_base.loaders import (
    DocumentHasNoText,
    DocumentKind,
    DocumentTooLarge,
    UnreadableDocument,
    document_to_markdown,
    load_bytes,
    parse_markdown,
    slugify,
    split_front_matter,
)
from knowledge_base.metadata import DRAFT_FIELDS, DocumentMetadata
from knowledge_base.uploads.common import (
    DEFAULT_LIMITS,
    UploadKind,
    UploadLimits,
    UploadRejected,
    _check_text_length,
    _too_much_text,
    check_size,
    safe_display_name,
)
from knowledge_base.uploads.containers import _check_pdf
from knowledge_base.uploads.decode import _strip_controls
from knowledge_base.uploads.sanitise import (
    _has_active_content,
    _html_depth,
    _sanitise_html,
    _sanitise_markdown,
)
from knowledge_base.uploads.sniff import _sniff


@dataclass(frozen=True, slots=True)
class UploadedDraft:
    """A new document's draft, read from an upload or a paste.

    ``markdown_body`` has no front matter; ``fields`` holds the ``DRAFT_FIELDS`` the file
    itself carried (front matter, HTML ``<meta>``/canonical link, document properties).
    ``display_name`` is safe to show but is not a path; ``warnings`` are for the editor.
    """

    title: str
    markdown_body: str
    fields: dict[str, str]
    display_name: str
    kind: UploadKind
    suggested_doc_id: str
    warnings: list[str]


def read_upload(
    filename: str, data: bytes, *, max_bytes: int, limits: UploadLimits = DEFAULT_LIMITS
) -> UploadedDraft:
    """Read an uploaded file into a draft, or raise UploadRejected saying why not.

    ``filename`` is only shown (sanitised) and breaks a tie between Markdown and plain
    text; nothing is written anywhere.
    """
    display_name = safe_display_name(filename)
    check_size(len(data), max_bytes, "file")
    kind, text, warnings = _sniff(data, display_name, limits)
    stem = PurePosixPath(display_name).stem or display_name
    if kind == "markdown":
        return _markdown_draft(
            text,
            kind="markdown",
            display_name=display_name,
            title=None,
            fallback_title=stem,
            limits=limits,
            warnings=warnings,
        )
    if kind == "html":
        document, warnings = _read_html(text, stem, limits, warnings)
    elif kind == "text":
        _check_text_length(len(text), limits, "text file")
        document = _load(kind, text.encode("utf-8"), stem, limits)
    elif kind == "pdf":
        _check_pdf(data, limits)
        document = _load(kind, data, stem, limits)
        warnings.append(
            "Text taken from a PDF can have broken lines and no headings: check the draft "
            "against the PDF, and add headings (## Heading) where the document has them."
        )
    else:
        document = _load(kind, data, stem, limits)
    return _document_draft(document, kind, display_name, stem, warnings)


def read_pasted(
    text: str, *, title: str | None, max_bytes: int, limits: UploadLimits = DEFAULT_LIMITS
) -> UploadedDraft:
    """Read pasted Markdown (front matter allowed) into a draft; raw HTML is sanitised.

    ``title``, when given, wins over a title in the text.
    """
    check_size(len(text.encode("utf-8", "surrogatepass")), max_bytes, "text")
    text = _strip_controls(text)
    if not text.strip():
        raise UploadRejected(
            "There is no text to save. Paste the document's text and try again.",
            problem="empty",
        )
    given_title = _clean_title(title)
    return _markdown_draft(
        text,
        kind="paste",
        display_name=given_title or "Pasted text",
        title=given_title,
        fallback_title=None,
        limits=limits,
        warnings=[],
    )


def _markdown_draft(
    source: str,
    *,
    kind: UploadKind,
    display_name: str,
    title: str | None,
    fallback_title: str | None,
    limits: UploadLimits,
    warnings: list[str],
) -> UploadedDraft:
    """A draft from Markdown source: front matter becomes title and fields, and the body
    is kept as written, with raw HTML sanitised."""
    what = "text" if kind == "paste" else "Markdown file"
    source = _strip_controls(source)
    _check_text_length(len(source), limits, what)
    try:
        raw_fields, body = split_front_matter(source)
    except UnreadableDocument as exc:
        problem = str(exc).removeprefix("invalid front matter: ")
        raise UploadRejected(
            "The front matter at the top (the lines between '---' and '---') is not valid: "
            f"{problem}. Fix it, or remove it and fill in the fields in the editor.",
            problem="malformed",
        ) from None
    front = source[: len(source) - len(body)] if source.endswith(body) else ""
    body, unsafe = _sanitise_markdown(body)
    if unsafe:
        warnings.append(
            "We removed HTML that is not allowed in documents (scripts, styles, frames, "
            "event handlers or javascript: links)."
        )
    try:
        document = parse_markdown(front + body, "draft", fallback_title=fallback_title)
    except DocumentHasNoText:
        raise UploadRejected(
            f"This {what} has no text in it. Check that it is the right one.", problem="no_text"
        ) from None
    except UnreadableDocument:
        raise UploadRejected(
            f"We could not read this {what}. Save it as UTF-8 text and try again.",
            problem="malformed",
        ) from None
    unknown = sorted(set(raw_fields) - {"title", "doc_id", *DRAFT_FIELDS})
    if unknown:
        warnings.append(
            "These front matter fields are not kept in the draft: " + ", ".join(unknown) + "."
        )
    found_title = title or _clean_title(str(raw_fields.get("title") or ""))
    if found_title is None:
        found_title = _clean_title(document.title) or "Untitled"
        if fallback_title is not None and document.title == fallback_title:
            warnings.append(_NO_TITLE_WARNING)
    fields, field_warnings = _clean_fields(_document_fields(document, raw_fields))
    given_id = str(raw_fields.get("doc_id") or "")
    parts = [slugify(part) for part in given_id.split("/") if re.search(r"[^\W_]", part)]
    suggested = "/".join(parts) or slugify(found_title)
    return UploadedDraft(
        title=found_title,
        markdown_body=body.strip("\n") + "\n",
        fields=fields,
        display_name=display_name,
        kind=kind,
        suggested_doc_id=suggested,
        warnings=warnings + field_warnings,
    )


_NO_TITLE_WARNING = "The file has no title, so we used its name. Change the title if needed."
_MAX_TITLE = 200
_LABELS: dict[DocumentKind, str] = {
    "pdf": "PDF",
    "docx": "Word document",
    "html": "web page",
    "text": "text file",
    "markdown": "Markdown file",
}


def _load(kind: DocumentKind, data: bytes, stem: str, limits: UploadLimits) -> Document:
    """``load_bytes`` with its refusals turned into reasons for an editor."""
    label = _LABELS[kind]
    try:
        return load_bytes(
            kind, data, "draft", fallback_title=stem, max_text_chars=limits.max_text_chars
        )
    except DocumentTooLarge:
        raise _too_much_text(label, limits) from None
    except DocumentHasNoText:
        hint = (
            " It may be a scanned image: ask for a version with real text, or type the text in."
            if kind == "pdf"
            else " Check that it is the right file."
        )
        raise UploadRejected(
            f"We found no text in this {label}.{hint}", problem="no_text"
        ) from None
    except UnreadableDocument:
        raise UploadRejected(
            f"We could not read this {label}; it seems to be damaged. Open it in the program "
            "that made it, save it again and upload the new copy.",
            problem="malformed",
        ) from None


def _document_draft(
    document: Document,
    kind: DocumentKind,
    display_name: str,
    stem: str,
    warnings: list[str],
) -> UploadedDraft:
    title = _clean_title(document.title) or stem
    if document.title == stem:
        warnings.append(_NO_TITLE_WARNING)
    fields, field_warnings = _clean_fields(_document_fields(document, None))
    return UploadedDraft(
        title=title,
        markdown_body=document_to_markdown(document),
        fields=fields,
        display_name=display_name,
        kind=kind,
        suggested_doc_id=slugify(title),
        warnings=warnings + field_warnings,
    )


def _document_fields(
    document: Document, front_matter: dict[str, object] | None
) -> dict[str, str | None]:
    """The draft fields a document carries; the language only if the file stated one."""
    stated_language = (
        "language" in front_matter
        if front_matter is not None
        else document.language != "en" or "language_tag" in document.metadata
    )
    language = document.metadata.get("language_tag", document.language)
    return {
        "agency": document.agency,
        "topic": document.topic,
        "url": document.url,
        "language": language if stated_language else None,
        "last_reviewed": document.last_reviewed,
        "review_due": document.metadata.get("review_due"),
    }


def _clean_title(title: str | None) -> str | None:
    if title is None:
        return None
    title = " ".join(_strip_controls(title).split())
    if len(title) > _MAX_TITLE:
        title = title[:_MAX_TITLE].rsplit(" ", 1)[0] + "…"
    return title or None


def _clean_fields(candidates: dict[str, str | None]) -> tuple[dict[str, str], list[str]]:
    """The fields a file carried that can be kept, and a warning for each left out."""
    metadata, warnings = DocumentMetadata.salvaged(candidates)
    return metadata.given(), warnings


_META_FIELDS = {
    "agency": "agency",
    "dcterms.publisher": "agency",
    "dc.publisher": "agency",
    "topic": "topic",
    "last_reviewed": "last_reviewed",
    "last-reviewed": "last_reviewed",
    "review_due": "review_due",
    "review-due": "review_due",
}


def _read_html(
    source: str, stem: str, limits: UploadLimits, warnings: list[str]
) -> tuple[Document, list[str]]:
    """The Document for an HTML page: metadata read from the page, text from its
    sanitised body."""
    if _html_depth(source) > limits.max_html_depth:
        raise UploadRejected(
            f"This web page nests its elements more than {limits.max_html_depth} levels "
            "deep, far more than a real page, so we did not read it.",
            problem="too_complex",
        )
    soup = BeautifulSoup(source, "lxml")  # only read: nothing in the page is run
    head = _html_head(soup)
    if _has_active_content(soup):
        warnings.append(
            "We removed scripts, styles, embedded frames and other active content from the "
            "page; only its text is kept."
        )
    page = f"<!doctype html><html{head}<body>{_sanitise_html(source)}</body></html>"
    document = _load("html", page.encode("utf-8"), stem, limits)
    meta_fields: dict[str, str] = {}
    for meta in soup.find_all("meta", attrs={"name": True, "content": True}):
        field = _META_FIELDS.get(str(meta["name"]).strip().lower())
        if field is not None:
            meta_fields.setdefault(field, str(meta["content"]))
    document = dataclasses.replace(
        document,
        agency=meta_fields.get("agency"),
        topic=meta_fields.get("topic"),
        last_reviewed=meta_fields.get("last_reviewed"),
        metadata={**document.metadata, **_only(meta_fields, "review_due")},
    )
    return document, warnings


def _html_head(soup: BeautifulSoup) -> str:
    """The rest of a safe ``<html>`` start tag and a ``<head>`` with the page's title,
    language and address, all escaped; the loader reads them from there."""
    html_tag = soup.find("html")
    lang = html_tag.get("lang") if isinstance(html_tag, Tag) else None
    parts = [f' lang="{html.escape(lang)}">' if isinstance(lang, str) else ">", "<head>"]
    title = soup.find("title")
    if isinstance(title, Tag):
        parts.append(f"<title>{html.escape(title.get_text())}</title>")
    for link in soup.find_all("link", href=True):
        rel = link.get("rel")
        rels = rel if isinstance(rel, list) else str(rel or "").split()
        if "canonical" in (r.lower() for r in rels):
            parts.append(f'<link rel="canonical" href="{html.escape(str(link["href"]))}">')
            break
    og = soup.find("meta", attrs={"property": "og:url"})
    if isinstance(og, Tag) and og.get("content"):
        parts.append(f'<meta property="og:url" content="{html.escape(str(og["content"]))}">')
    return "".join(parts) + "</head>"


def _only(mapping: dict[str, str], *keys: str) -> dict[str, str]:
    return {key: mapping[key] for key in keys if key in mapping}
