"""Reading what content editors upload or paste: real files, built here, read safely."""

from __future__ import annotations

import codecs
import dataclasses
import io
import re
import struct
import time
import zipfile
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from markdown_it import MarkdownIt

from knowledge_base.documents import Document
from knowledge_base.loaders import (
    DocumentKind,
    DocumentTooLarge,
    document_to_markdown,
    load_bytes,
    load_paths,
    markdown_with_front_matter,
    parse_markdown,
)
from knowledge_base.uploads import (
    MB,
    UploadedDraft,
    UploadLimits,
    UploadRejected,
    read_pasted,
    read_upload,
    safe_display_name,
    sanitise_markdown,
)
from tests.knowledge_base.test_loaders import encrypt_pdf, make_docx, make_pdf

LIMIT = 10 * MB

# --------------------------------------------------------------------------- file builders


def docx_bytes(tmp_path: Path, name: str = "form.docx") -> bytes:
    path = tmp_path / name
    make_docx(path)
    return path.read_bytes()


def with_zip_entries(
    package: bytes, entries: dict[str, bytes], *, drop: str | None = None
) -> bytes:
    """A copy of a ZIP package with ``entries`` added (deflated) and ``drop`` left out."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(package)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            if info.filename != drop:
                target.writestr(info, source.read(info))
        for name, data in entries.items():
            target.writestr(name, data)
    return out.getvalue()


def mark_zip_encrypted(package: bytes) -> bytes:
    """Set the 'encrypted' flag on every entry, as a password-protected ZIP has it."""
    data = bytearray(package)
    for signature, flag_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        for match in re.finditer(re.escape(signature), data):
            at = match.start() + flag_offset
            (flags,) = struct.unpack_from("<H", data, at)
            struct.pack_into("<H", data, at, flags | 0x1)
    return bytes(data)


def ole2_file(streams: list[str]) -> bytes:
    """A minimal Compound File (the container of .doc files and encrypted Office files):
    a header, one FAT sector and one directory sector naming ``streams`` (all empty)."""
    free, end_of_chain, fat_sector = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)  # version, byte order, sizes
    struct.pack_into("<I", header, 44, 1)  # one FAT sector
    struct.pack_into("<I", header, 48, 1)  # the directory starts in sector 1
    struct.pack_into("<III", header, 56, 4096, end_of_chain, 0)  # mini stream cutoff, no mini FAT
    struct.pack_into("<II", header, 68, end_of_chain, 0)  # no DIFAT sectors
    struct.pack_into("<109I", header, 76, 0, *([free] * 108))
    fat = struct.pack("<128I", fat_sector, end_of_chain, *([free] * 126))

    def entry(name: str, kind: int, child: int = free, right: int = free) -> bytes:
        encoded = (name + "\x00").encode("utf-16-le")
        record = bytearray(128)
        record[: len(encoded)] = encoded
        struct.pack_into("<HBB", record, 64, len(encoded), kind, 1)
        struct.pack_into("<III", record, 68, free, right, child)
        struct.pack_into("<IQ", record, 116, end_of_chain, 0)
        return bytes(record)

    names = streams[:3]
    directory = entry("Root Entry", 5, child=1 if names else free)
    for index, name in enumerate(names, start=1):
        directory += entry(name, 2, right=index + 1 if index < len(names) else free)
    directory = directory.ljust(512, b"\x00")
    return bytes(header) + fat + directory


def rejection(filename: str, data: bytes, **kwargs: object) -> UploadRejected:
    with pytest.raises(UploadRejected) as caught:
        read_upload(filename, data, max_bytes=LIMIT, **kwargs)  # type: ignore[arg-type]
    return caught.value


def section_paths(document: Document) -> list[tuple[str, ...]]:
    return [path for _, path in document.sections]


def squash(text: str) -> str:
    return " ".join(text.split())


SERVICE_HTML = b"""<!DOCTYPE html>
<html lang="es-MX">
<head>
  <title>Renovar su licencia</title>
  <meta name="agency" content="Departamento de Vehiculos">
  <meta name="topic" content="licencias">
  <meta name="last_reviewed" content="2025-11-03">
  <link rel="canonical" href="https://www.fairhaven.example/dmv/renovar">
  <style>body { background: url(javascript:alert(1)) }</style>
  <script>steal(document.cookie)</script>
</head>
<body onload="steal()">
  <nav>Inicio | Servicios</nav>
  <main>
    <h1>Renovar su licencia</h1>
    <p onclick="steal()">Puede renovar en linea <a href="javascript:steal()">aqui</a>
       o en una <a href="https://www.fairhaven.example/dmv/oficinas">oficina</a>.</p>
    <iframe src="https://evil.example/"><p>marco de reserva</p></iframe>
    <h2>Costos</h2>
    <ul><li>Licencia: $30</li><li>Multa por retraso: $10</li></ul>
    <img src="x" onerror="steal()">
    <h2>Documentos</h2>
    <p>Traiga su licencia actual &amp; un comprobante &lt;script&gt; de domicilio.</p>
  </main>
  <footer>Pie de pagina</footer>
</body>
</html>
"""

SERVICE_MARKDOWN = """---
title: Renew your driver's license
agency: Fairhaven DMV
topic: licenses
url: https://www.fairhaven.example/dmv/renew
last_reviewed: 2025-12-08
review_due: 2026-06-01
---

# Renew your driver's license

You can renew **online**, by mail or in person. See [fees](https://fairhaven.example/fees).

## Who can renew online

- You are 21 or older
- Your license expired less than 1 year ago

## Fees

| License | Fee |
| --- | --- |
| Standard | $30 |
| Commercial | $60 |

### Late fees

A late fee of $10 applies after 60 days.
"""


# --------------------------------------------------------------------------- size


def test_a_file_over_the_limit_is_refused_with_both_sizes() -> None:
    refused = rejection("big.pdf", b"a" * 12_300_000)
    assert refused.reason.startswith("The file is 12.3 MB; the limit is 10 MB.")
    assert (refused.problem, refused.status) == ("too_large", 413)


def test_sizes_are_shown_precisely_enough_to_differ() -> None:
    with pytest.raises(UploadRejected) as caught:
        read_upload("a.txt", b"a" * 10_040_000, max_bytes=10 * MB)
    assert caught.value.reason.startswith("The file is 10.04 MB; the limit is 10 MB.")


def test_an_empty_file_and_a_blank_paste_are_refused() -> None:
    assert rejection("empty.md", b"").problem == "empty"
    with pytest.raises(UploadRejected) as caught:
        read_pasted("  \n\t\n", title="Anything", max_bytes=LIMIT)
    assert caught.value.problem == "empty"
    assert "no text" in caught.value.reason


def test_pasted_text_over_the_limit_is_refused() -> None:
    with pytest.raises(UploadRejected) as caught:
        read_pasted("é" * 600, title="Accents", max_bytes=1000)  # 1,200 bytes as UTF-8
    assert caught.value.reason.startswith("The text is 1.2 KB; the limit is 1 KB.")


# --------------------------------------------------------------------------- type by content


def test_a_pdf_named_md_is_read_as_a_pdf() -> None:
    pdf = make_pdf([["How to apply for SNAP", "Fill in form 12."], ["Page two text."]])
    draft = read_upload("instructions.md", pdf, max_bytes=LIMIT)
    assert draft.kind == "pdf"
    assert draft.title == "How to apply for SNAP"
    assert "Fill in form 12." in draft.markdown_body
    assert draft.display_name == "instructions.md"


@pytest.mark.parametrize(
    ("name", "data", "looks_like"),
    [
        ("form.pdf", b"\x89PNG\r\n\x1a\n" + bytes(64), "a PNG image"),
        ("form.docx", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + bytes(64), "a Windows program"),
        ("photo.md", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(64), "a JPEG image"),
        ("notes.txt", b"\x1f\x8b\x08\x00" + bytes(64), "a compressed archive (gzip)"),
        ("letter.docx", b"{\\rtf1\\ansi Dear resident}", "an RTF document"),
    ],
)
def test_files_that_are_not_documents_are_refused_whatever_their_name(
    name: str, data: bytes, looks_like: str
) -> None:
    refused = rejection(name, data)
    assert refused.reason.startswith(
        f"This is not a document we can read: it looks like {looks_like}"
    )
    assert (refused.problem, refused.status) == ("not_a_document", 415)


def test_a_zip_that_is_not_a_word_document_is_refused(tmp_path: Path) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("forms/a.txt", "hello")
    assert "it looks like a ZIP archive" in rejection("forms.docx", out.getvalue()).reason
    spreadsheet = io.BytesIO()
    with zipfile.ZipFile(spreadsheet, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
    assert "an Excel spreadsheet" in rejection("fees.docx", spreadsheet.getvalue()).reason


def test_an_old_word_document_is_refused_saying_what_it_is() -> None:
    refused = rejection("form.docx", ole2_file(["WordDocument", "1Table"]))
    assert "old-style Word document (.doc)" in refused.reason
    assert "save it as a Word document (.docx)" in refused.reason
    assert refused.problem == "not_a_document"


def test_html_is_recognised_by_its_content_whatever_its_name() -> None:
    draft = read_upload("page.txt", SERVICE_HTML, max_bytes=LIMIT)
    assert draft.kind == "html"
    fragment = read_upload(
        "snippet.md", b"<div><h2>Fees</h2><p>It costs $5.</p></div>", max_bytes=LIMIT
    )
    assert fragment.kind == "html"
    assert "## Fees" in fragment.markdown_body


def test_the_extension_only_breaks_the_tie_between_markdown_and_text() -> None:
    plain = b"Parking permits\n\nApply at city hall before March.\n"
    assert read_upload("permits.md", plain, max_bytes=LIMIT).kind == "markdown"
    assert read_upload("permits.txt", plain, max_bytes=LIMIT).kind == "text"
    assert read_upload("permits", plain, max_bytes=LIMIT).kind == "text"
    # Clear Markdown is Markdown even when it is called .txt.
    marked = b"# Parking permits\n\nApply at [city hall](https://x.example).\n"
    assert read_upload("permits.txt", marked, max_bytes=LIMIT).kind == "markdown"


def test_utf16_text_and_windows_1252_text_are_read() -> None:
    utf16 = read_upload("notes.txt", "Tarifas\n\nCuesta 5 €.\n".encode("utf-16"), max_bytes=LIMIT)
    assert (utf16.kind, utf16.title, utf16.warnings) == ("text", "Tarifas", [])
    assert "Cuesta 5 €." in utf16.markdown_body
    legacy = read_upload("notes.txt", "Café hours\n\nOpen 9–5.\n".encode("cp1252"), max_bytes=LIMIT)
    assert legacy.title == "Café hours"
    assert "Open 9–5." in legacy.markdown_body
    assert any("Windows-1252" in warning for warning in legacy.warnings)


def test_a_word_document_becomes_markdown_with_headings_lists_and_tables(tmp_path: Path) -> None:
    draft = read_upload("housing.docx", docx_bytes(tmp_path), max_bytes=LIMIT)
    assert draft.kind == "docx"
    assert draft.title == "Apply for housing assistance"
    assert draft.suggested_doc_id == "apply-for-housing-assistance"
    body = draft.markdown_body
    assert body.startswith("# Apply for housing assistance\n")
    assert "\n## Eligibility\n" in body
    assert "\n### Income limits\n" in body
    assert "- live in the county\n- earn under the income limit" in body
    assert "| Household size | Yearly limit |\n| --- | --- |\n| 1 | $40,000 |" in body


# --------------------------------------------------------------------------- malformed


def test_a_truncated_pdf_is_refused() -> None:
    pdf = make_pdf([["Apply for benefits"]] * 3)
    refused = rejection("benefits.pdf", pdf[: len(pdf) // 2])
    assert refused.problem == "malformed"
    assert "This PDF is incomplete" in refused.reason


def test_a_damaged_pdf_is_refused() -> None:
    damaged = b"%PDF-1.7\n" + bytes(range(256)) * 8 + b"\n%%EOF\n"
    refused = rejection("benefits.pdf", damaged)
    assert (refused.problem, refused.reason.split(",")[0]) == ("malformed", "This PDF is damaged")


def test_a_pdf_with_no_text_says_it_may_be_a_scan() -> None:
    refused = rejection("scan.pdf", make_pdf([[], []]))
    assert refused.problem == "no_text"
    assert "scanned image" in refused.reason


def test_a_corrupt_zip_is_refused(tmp_path: Path) -> None:
    package = docx_bytes(tmp_path)
    refused = rejection("form.docx", package[: len(package) // 3])
    assert refused.problem == "malformed"
    assert "damaged or incomplete" in refused.reason


def test_a_word_document_without_its_main_part_is_refused(tmp_path: Path) -> None:
    package = with_zip_entries(docx_bytes(tmp_path), {}, drop="word/document.xml")
    refused = rejection("form.docx", package)
    assert refused.problem == "malformed"
    assert "word/document.xml" in refused.reason


def test_invalid_utf8_in_no_known_encoding_is_refused() -> None:
    refused = rejection("notes.txt", b"Office hours \x81\x8d\x90 Monday to Friday\n")
    assert refused.problem == "malformed"
    assert "save it as UTF-8" in refused.reason


def test_invalid_front_matter_is_refused_with_the_problem() -> None:
    refused = rejection("bad.md", b"---\ntitle: [unclosed\n---\n\n# Body\n\nText.\n")
    assert refused.problem == "malformed"
    assert "front matter" in refused.reason
    assert "not valid YAML" in refused.reason


# --------------------------------------------------------------------------- encrypted


def test_a_password_protected_pdf_is_refused_but_a_restricted_one_is_read() -> None:
    pdf = make_pdf([["Tax relief for seniors"]])
    refused = rejection("relief.pdf", encrypt_pdf(pdf, user_password="secret"))
    assert (refused.problem, refused.status) == ("encrypted", 422)
    assert "password-protected" in refused.reason
    restricted = read_upload("relief.pdf", encrypt_pdf(pdf, user_password=""), max_bytes=LIMIT)
    assert restricted.title == "Tax relief for seniors"


def test_a_password_protected_word_document_is_refused() -> None:
    refused = rejection("form.docx", ole2_file(["EncryptionInfo", "EncryptedPackage"]))
    assert refused.problem == "encrypted"
    assert "password-protected" in refused.reason


def test_encrypted_zip_entries_are_refused(tmp_path: Path) -> None:
    refused = rejection("form.docx", mark_zip_encrypted(docx_bytes(tmp_path)))
    assert refused.problem == "encrypted"


# --------------------------------------------------------------------------- bombs


def test_a_highly_compressed_part_is_refused_before_unpacking(tmp_path: Path) -> None:
    package = with_zip_entries(docx_bytes(tmp_path), {"word/media/filler.bin": bytes(5 * MB)})
    assert len(package) < 100_000  # 5 MB of zeros packs into a few kB
    refused = rejection("form.docx", package)
    assert refused.problem == "too_complex"
    assert "compressed far more than any real document" in refused.reason


def test_a_package_that_unpacks_too_large_is_refused(tmp_path: Path) -> None:
    limits = UploadLimits(max_unpacked_bytes=1 * MB)
    filler = bytes(range(256)) * 5000  # parts under the 1 MB from which ratios are checked
    package = with_zip_entries(docx_bytes(tmp_path), {"word/media/a.bin": filler[:600_000]})
    package = with_zip_entries(package, {"word/media/b.bin": filler[:600_000]})
    refused = rejection("form.docx", package, limits=limits)
    assert refused.problem == "too_complex"
    assert "would unpack to" in refused.reason


def test_a_package_with_too_many_parts_is_refused(tmp_path: Path) -> None:
    parts = {f"word/media/{number}.txt": b"x" for number in range(1_000)}
    refused = rejection("form.docx", with_zip_entries(docx_bytes(tmp_path), parts))
    assert refused.problem == "too_complex"
    assert "parts" in refused.reason


def test_a_pdf_over_the_page_cap_is_refused() -> None:
    refused = rejection("report.pdf", make_pdf([["A page"]] * 501))
    assert refused.problem == "too_complex"
    assert "501 pages; we read at most 500" in refused.reason
    assert read_upload("report.pdf", make_pdf([["A page"]] * 500), max_bytes=LIMIT).kind == "pdf"


def test_a_pdf_with_too_much_drawing_content_is_refused() -> None:
    pdf = make_pdf([["A line of text on the page"] * 40] * 2)
    refused = rejection("report.pdf", pdf, limits=UploadLimits(max_pdf_content_bytes=1_000))
    assert refused.problem == "too_complex"


def test_text_beyond_the_text_cap_is_refused_for_every_kind(tmp_path: Path) -> None:
    limits = UploadLimits(max_text_chars=200)
    long_lines = [f"Line {number} of a long document about permits." for number in range(30)]
    cases = {
        "report.pdf": make_pdf([long_lines[:10], long_lines[10:20], long_lines[20:]]),
        "page.html": ("<p>" + " ".join(long_lines) + "</p>").encode(),
        "notes.md": ("# Notes\n\n" + "\n".join(long_lines)).encode(),
        "notes.txt": "\n".join(long_lines).encode(),
        "form.docx": docx_bytes(tmp_path),
    }
    for name, data in cases.items():
        refused = rejection(name, data, limits=limits)
        assert refused.problem == "too_complex", name
        assert "more than 200 characters of text" in refused.reason, name


def test_deeply_nested_html_is_refused_quickly() -> None:
    page = b"<html><body>" + b"<div><span>" * 50_000 + b"deep" + b"</span></div>" * 50_000
    started = time.perf_counter()
    refused = rejection("page.html", page)
    assert time.perf_counter() - started < 5
    assert refused.problem == "too_complex"
    assert "more than 200 levels deep" in refused.reason


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("filename", "shown"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\evil\\x.md", "x.md"),
        ("C:x.md", "x.md"),
        ("a\x00b.md", "ab.md"),
        ("..", "upload"),
        ("", "upload"),
        ("folder/", "folder"),
        ("..hidden..md", "hidden.md"),
        ("invoice\u202egpj.exe", "invoicegpj.exe"),  # no right-to-left override
        ("  Fees   and\tcharges.md  ", "Fees and charges.md"),
    ],
)
def test_display_names_are_names_never_paths(filename: str, shown: str) -> None:
    assert safe_display_name(filename) == shown


def test_a_very_long_name_is_shortened_keeping_its_extension() -> None:
    shown = safe_display_name("a" * 500 + ".md")
    assert len(shown) == 120
    assert shown.endswith("aaa.md")


def test_uploads_are_never_written_under_their_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "work" / "here"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    for name in ("../../etc/passwd", "../escape.md", "/tmp/abs.md", "C:\\evil\\x.md"):
        draft = read_upload(name, b"# Title\n\nText.\n", max_bytes=LIMIT)
        assert "/" not in draft.display_name and "\\" not in draft.display_name
    assert [p.relative_to(tmp_path) for p in tmp_path.rglob("*")] == [
        Path("work"),
        Path("work/here"),
    ]


def test_suggested_doc_id_comes_from_the_title_else_the_file_name() -> None:
    titled = read_upload("x.md", b"# Renew a Parking Permit!\n\nText.\n", max_bytes=LIMIT)
    assert titled.suggested_doc_id == "renew-a-parking-permit"
    untitled = read_upload("Renewal Guide (v2).md", b"Just text, no heading.\n", max_bytes=LIMIT)
    assert untitled.title == "Renewal Guide (v2)"
    assert untitled.suggested_doc_id == "renewal-guide-v2"
    assert any("no title" in warning for warning in untitled.warnings)
    given = read_upload("x.md", b"---\ndoc_id: ../../Permits/Renew\n---\nText.\n", max_bytes=LIMIT)
    assert given.suggested_doc_id == "permits/renew"


# --------------------------------------------------------------------------- sanitising

DANGEROUS_MARKDOWN = [
    "<script>alert(1)</script>",
    "<SCRIPT src=https://evil.example/x.js></SCRIPT>",
    '<img src="x" onerror="alert(1)">',
    "<a href=\"javascript:alert(1)\" onclick='alert(2)'>click</a>",
    '<a href="&#106;avascript:alert(1)">entity</a>',
    '<a href="java\tscript:alert(1)">tab</a>',
    "<iframe src=https://evil.example></iframe>",
    "<style>body{display:none}</style>",
    "<svg><script>alert(1)</script></svg>",
    "[link](javascript:alert(1))",
    "[link](JAVASCRIPT:alert(1) 'title')",
    "![image](javascript:alert(1))",
    "[ref]\n\n[ref]: javascript:alert(1)",
    "<javascript:alert(1)>",
    "<div onmouseover=alert(1)>hover</div>",
    "<img src=x onerror=alert(1)//",
    "<object data=evil.swf></object><embed src=evil.swf>",
    "<form action=javascript:alert(1)><button>go</button></form>",
    "<a href=data:text/html;base64,PHNjcmlwdD4=>data</a>",
    "[x](vbscript:msgbox)",
]


def assert_inert(markdown: str) -> None:
    """Neither the source nor any HTML rendered from it can run code."""
    lowered = markdown.lower()
    assert "<script" not in lowered
    assert "javascript:" not in lowered
    assert "vbscript:" not in lowered
    assert not re.search(r"<[^>]*\son\w+\s*=", lowered)
    assert not re.search(r"<[^>]*\s(href|src|action|data)\s*=\s*[\"']?\s*data:", lowered)
    renderer = MarkdownIt("commonmark", {"html": True})
    renderer.validateLink = lambda url: True  # type: ignore[method-assign]  # a lax renderer
    soup = BeautifulSoup(renderer.render(markdown), "html.parser")
    assert not soup.find(["script", "iframe", "style", "object", "embed", "svg", "form"])
    for tag in soup.find_all(True):
        for name, value in tag.attrs.items():
            assert not name.lower().startswith("on"), tag
            if name in ("href", "src", "action", "data"):
                url = re.sub(r"[\x00-\x20]", "", str(value)).lower()
                assert not url.startswith(("javascript:", "vbscript:", "data:")), tag


@pytest.mark.parametrize("payload", DANGEROUS_MARKDOWN)
def test_raw_html_in_pasted_markdown_is_sanitised(payload: str) -> None:
    draft = read_pasted(f"# Fees\n\nBefore.\n\n{payload}\n\nAfter.\n", title=None, max_bytes=LIMIT)
    assert_inert(draft.markdown_body)
    assert "Before." in draft.markdown_body and "After." in draft.markdown_body
    assert any("We removed HTML" in warning for warning in draft.warnings)
    assert_inert(sanitise_markdown(payload))  # what the editor applies to every edit


def test_uploaded_markdown_is_sanitised_the_same_way() -> None:
    source = "# Fees\n\n" + "\n\n".join(DANGEROUS_MARKDOWN) + "\n"
    draft = read_upload("fees.md", source.encode(), max_bytes=LIMIT)
    assert_inert(draft.markdown_body)


def test_safe_markdown_and_html_are_kept_as_written() -> None:
    source = (
        "# Fees\n\n"
        "Pay **online** or see <https://fairhaven.example/fees> and "
        '[the office](https://fairhaven.example/office "Office").\n\n'
        "Income < $40,000 qualifies; 5 > 3.\n\n"
        '<table><tr><td colspan="2">Fee table</td></tr></table>\n\n'
        "<b>Note:</b> bring ID.<br>\n\n"
        "```\nexample <b>code</b>\n```\n"
    )
    assert sanitise_markdown(source) == source
    draft = read_pasted(source, title="Fees", max_bytes=LIMIT)
    assert draft.markdown_body == source
    assert draft.warnings == []


def test_sanitising_is_idempotent() -> None:
    once = sanitise_markdown("\n\n".join(DANGEROUS_MARKDOWN))
    assert sanitise_markdown(once) == once


def test_html_upload_keeps_the_text_and_drops_everything_active() -> None:
    draft = read_upload("renovar.html", SERVICE_HTML, max_bytes=LIMIT)
    assert draft.kind == "html"
    assert draft.title == "Renovar su licencia"
    assert draft.fields == {
        "agency": "Departamento de Vehiculos",
        "topic": "licencias",
        "url": "https://www.fairhaven.example/dmv/renovar",
        "language": "es-MX",
        "last_reviewed": "2025-11-03",
    }
    body = draft.markdown_body
    assert_inert(body)
    for gone in ("steal", "marco de reserva", "Inicio", "Pie de pagina", "background"):
        assert gone not in body
    assert "## Costos\n\n- Licencia: $30\n- Multa por retraso: $10" in body
    assert "oficina (https://www.fairhaven.example/dmv/oficinas)" in body
    assert "comprobante &lt;script> de domicilio" in body  # text, escaped, still readable
    assert any("removed scripts" in warning for warning in draft.warnings)
    reread = parse_markdown(markdown_with_front_matter(body, draft.title, draft.fields), "x")
    assert "comprobante <script> de domicilio" in reread.text


# --------------------------------------------------------------------------- the draft


def test_markdown_front_matter_becomes_title_and_fields() -> None:
    draft = read_upload("renew.md", SERVICE_MARKDOWN.encode(), max_bytes=LIMIT)
    assert draft.kind == "markdown"
    assert draft.title == "Renew your driver's license"
    assert draft.fields == {
        "agency": "Fairhaven DMV",
        "topic": "licenses",
        "url": "https://www.fairhaven.example/dmv/renew",
        "last_reviewed": "2025-12-08",
        "review_due": "2026-06-01",
    }
    assert draft.markdown_body.startswith(
        "# Renew your driver's license\n\nYou can renew **online**"
    )
    assert "---" not in draft.markdown_body.split("\n")[0]
    assert draft.warnings == []


def test_bad_fields_are_left_out_with_a_warning() -> None:
    source = (
        "---\ntitle: Permits\nurl: javascript:alert(1)\nlast_reviewed: next week\n"
        "language: not a language!\ncolour: blue\n---\n\nText.\n"
    )
    draft = read_upload("permits.md", source.encode(), max_bytes=LIMIT)
    assert draft.fields == {}
    joined = " ".join(draft.warnings)
    assert "only web addresses starting with https://" in joined
    assert "write dates as YYYY-MM-DD" in joined
    assert "use a code such as en or es" in joined
    assert "not kept in the draft: colour" in joined


def test_a_pasted_title_wins_and_paste_is_its_own_kind() -> None:
    draft = read_pasted(
        "# Heading in the text\n\nBody.\n", title="  Typed   title ", max_bytes=LIMIT
    )
    assert (draft.kind, draft.title, draft.display_name) == ("paste", "Typed title", "Typed title")
    assert draft.suggested_doc_id == "typed-title"
    untitled = read_pasted("First line is the title\n\nmore text", title=None, max_bytes=LIMIT)
    assert (untitled.title, untitled.display_name) == ("First line is the title", "Pasted text")


def test_the_draft_is_a_plain_value() -> None:
    draft = read_upload("a.txt", b"Title\n\nBody\n", max_bytes=LIMIT)
    assert isinstance(draft, UploadedDraft)
    assert draft == UploadedDraft(
        title="Title",
        markdown_body="# Title\n\nBody\n",
        fields={},
        display_name="a.txt",
        kind="text",
        suggested_doc_id="title",
        warnings=[],
    )


# --------------------------------------------------------------------------- loaders from memory


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("a.md", "markdown"),
        ("a.html", "html"),
        ("a.pdf", "pdf"),
        ("a.docx", "docx"),
        ("a.txt", "text"),
    ],
)
def test_load_bytes_reads_exactly_like_load_paths(
    tmp_path: Path, name: str, kind: DocumentKind
) -> None:
    path = tmp_path / name
    if kind == "docx":
        make_docx(path)
    elif kind == "pdf":
        path.write_bytes(make_pdf([["A PDF title", "body"]]))
    elif kind == "html":
        path.write_bytes(SERVICE_HTML)
    elif kind == "markdown":
        path.write_text(SERVICE_MARKDOWN, encoding="utf-8")
    else:
        path.write_text("A text title\n\nBody text.\n", encoding="utf-8")
    (from_disk,) = load_paths([path]).documents
    from_memory = load_bytes(kind, path.read_bytes(), from_disk.doc_id, fallback_title="a")
    assert from_memory.source_path is None
    assert from_memory == dataclasses.replace(from_disk, source_path=None)
    assert from_memory.metadata == from_disk.metadata


def test_load_bytes_stops_at_the_text_cap() -> None:
    pdf = make_pdf([["Some words on a page"] * 20] * 5)
    with pytest.raises(DocumentTooLarge):
        load_bytes("pdf", pdf, "x", max_text_chars=500)
    assert load_bytes("pdf", pdf, "x", max_text_chars=100_000).title == "Some words on a page"


# --------------------------------------------------------------------------- Markdown round trip


def _docx_document(tmp_path: Path) -> Document:
    return load_bytes("docx", docx_bytes(tmp_path), "housing")


@pytest.mark.parametrize("source", ["markdown", "html", "docx"])
def test_document_to_markdown_round_trips(tmp_path: Path, source: str) -> None:
    if source == "markdown":
        document = parse_markdown(SERVICE_MARKDOWN, "renew")
    elif source == "html":
        document = load_bytes("html", SERVICE_HTML, "renovar")
    else:
        document = _docx_document(tmp_path)
    fields = {"agency": document.agency or "", "last_reviewed": document.last_reviewed or ""}
    markdown = markdown_with_front_matter(document_to_markdown(document), document.title, fields)
    again = parse_markdown(markdown, document.doc_id)
    assert again.title == document.title
    assert squash(again.text) == squash(document.text)
    assert again.text == document.text  # not just essentially: exactly
    assert section_paths(again) == section_paths(document)
    assert [start for start, _ in again.sections] == [start for start, _ in document.sections]
    assert (again.agency, again.last_reviewed) == (document.agency, document.last_reviewed)


def test_document_to_markdown_escapes_text_that_looks_like_markup() -> None:
    text = (
        "Fees\n\n"
        "# not a heading\n> not a quote\n+ not a list\n---\n===\n1) not a list\n"
        "<script>alert(1)</script> &amp; [x](javascript:y) *a* _b_ `c` ~~d~~ back\\slash\n\n"
        "- a real item\n- 1. an item that starts with a number\n- - and one with a dash\n\n"
        "Size | Limit\n1 | $40,000\n\n"
        "Line one\nLine two"
    )
    document = Document(doc_id="fees", title="Fees", text=text)
    markdown = document_to_markdown(document)
    assert "<script" not in markdown
    again = parse_markdown(markdown, "fees", fallback_title="Fees")
    assert again.text == text
    assert "| Size | Limit |\n| --- | --- |\n| 1 | $40,000 |" in markdown
    assert "Line one  \nLine two" in markdown  # a line break stays a line break


def test_document_to_markdown_rebuilds_heading_levels(tmp_path: Path) -> None:
    markdown = document_to_markdown(_docx_document(tmp_path))
    headings = [line for line in markdown.splitlines() if line.startswith("#")]
    assert headings == [
        "# Apply for housing assistance",
        "## Eligibility",
        "### Income limits",
    ]


def test_markdown_with_front_matter_writes_fields_in_order_and_dates_as_dates() -> None:
    markdown = markdown_with_front_matter(
        "# Permits\n\nText.\n",
        "Permits: how to apply",
        {"review_due": "2026-01-31", "agency": "Clerk", "topic": "", "url": None, "extra": "yes"},
    )
    assert markdown == (
        "---\n"
        "title: 'Permits: how to apply'\n"
        "agency: Clerk\n"
        "review_due: 2026-01-31\n"
        "extra: 'yes'\n"
        "---\n\n"
        "# Permits\n\nText.\n"
    )
    document = parse_markdown(markdown, "permits")
    assert (document.title, document.agency) == ("Permits: how to apply", "Clerk")
    assert document.metadata["review_due"] == "2026-01-31"
    assert document.metadata["extra"] == "yes"


# --------------------------------------------------------------------------- library switch


def test_a_word_document_named_pdf_and_an_image_named_md_are_told_by_content(
    tmp_path: Path,
) -> None:
    assert read_upload("form.pdf", docx_bytes(tmp_path), max_bytes=LIMIT).kind == "docx"
    png = b"\x89PNG\r\n\x1a\n" + bytes(64)
    assert "a PNG image" in rejection("notes.md", png).reason


def test_text_that_starts_like_a_binary_signature_is_still_text() -> None:
    # "MZ" opens a Windows program and "BM" a bitmap; a letter may open with them too.
    for text in ("MZ Health plan renewals\n\nRenew by March.\n", "BMV office hours\n\nOpen 9-5.\n"):
        draft = read_upload("notes.txt", text.encode(), max_bytes=LIMIT)
        assert draft.kind == "text"
        assert draft.title == text.split("\n")[0]


def test_latin1_spanish_keeps_its_accents_with_a_warning() -> None:
    text = "Señor ñandú, pingüino\n\nHorario de atención al público: lunes a viernes.\n"
    draft = read_upload("horario.txt", text.encode("latin-1"), max_bytes=LIMIT)
    assert draft.title == "Señor ñandú, pingüino"
    assert "atención al público" in draft.markdown_body
    assert any("Windows-1252" in warning for warning in draft.warnings)


def test_utf16_without_a_byte_order_mark_is_read_without_a_warning() -> None:
    for codec in ("utf-16-le", "utf-16-be"):
        draft = read_upload("t.txt", "Tarifas\n\nCuesta 5 €.\n".encode(codec), max_bytes=LIMIT)
        assert (draft.kind, draft.title, draft.warnings) == ("text", "Tarifas", [])


def test_russian_in_windows_1251_is_read_with_a_warning_naming_the_encoding() -> None:
    text = "Продление водительского удостоверения\n\nВы можете продлить его онлайн.\n"
    draft = read_upload("ru.txt", text.encode("cp1251"), max_bytes=LIMIT)
    assert draft.title == "Продление водительского удостоверения"
    assert any("cp1251" in warning for warning in draft.warnings)


def test_text_in_an_encoding_we_cannot_tell_is_refused_kindly() -> None:
    refused = rejection("ru.txt", "Продление\n".encode("cp1251"))
    assert refused.problem == "malformed"
    assert "save it as UTF-8" in refused.reason


def test_a_damaged_byte_order_mark_is_refused_not_guessed() -> None:
    refused = rejection("t.txt", codecs.BOM_UTF8 + b"Fees \xff\xfe apply\n")
    assert "says it is UTF-8" in refused.reason


def test_scripts_handlers_and_javascript_links_are_stripped_from_an_html_upload() -> None:
    page = (
        b"<!doctype html><html><head><title>Fees</title><script>steal()</script></head>"
        b'<body><main><h1>Fees</h1><p onclick="steal()">Pay <a href="javascript:steal()">'
        b'here</a> or <a href="https://pay.example">online</a>.</p>'
        b'<iframe src="https://evil.example"></iframe></main></body></html>'
    )
    draft = read_upload("fees.html", page, max_bytes=LIMIT)
    assert "steal" not in draft.markdown_body
    assert "javascript" not in draft.markdown_body
    assert "https://pay.example" in draft.markdown_body
    assert any("removed scripts" in warning for warning in draft.warnings)


def test_scripts_handlers_and_javascript_links_are_stripped_from_markdown() -> None:
    source = (
        '# Fees\n\n<div onclick="steal()">Pay <a href="javascript:steal()">here</a></div>\n\n'
        "<script>steal()</script>\n\n[Pay](javascript:steal()) or [online](https://pay.example)\n"
    )
    body = sanitise_markdown(source)
    assert "onclick" not in body and "<script" not in body
    assert "javascript:" not in body
    assert "[online](https://pay.example)" in body
