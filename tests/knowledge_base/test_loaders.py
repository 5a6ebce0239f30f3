"""Loading real files of every supported kind into Documents, and reporting bad ones."""

from __future__ import annotations

import io
import json
import random
from pathlib import Path

import docx
import pytest
from pypdf import PdfReader, PdfWriter

from knowledge_base.documents import Document
from knowledge_base.loaders import LoadResult, load_paths

# --------------------------------------------------------------------------- file builders


def _pdf_string(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def make_pdf(pages: list[list[str]], *, title: str | None = None) -> bytes:
    """A minimal but valid PDF: one Helvetica text line per entry, one page per list."""
    n_pages = len(pages)
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(n_pages))
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {n_pages} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    for i, lines in enumerate(pages):
        ops = ["BT", "/F1 12 Tf", "16 TL", "72 720 Td"]
        ops += [f"({_pdf_string(line)}) Tj T*" for line in lines]
        ops.append("ET")
        stream = "\n".join(ops).encode("latin-1")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {5 + 2 * i} 0 R >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
    if title is not None:
        objects.append(f"<< /Title ({_pdf_string(title)}) >>".encode("latin-1"))

    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    info = b" /Info %d 0 R" % len(objects) if title is not None else b""
    out += b"trailer\n<< /Size %d /Root 1 0 R%s >>\n" % (len(objects) + 1, info)
    out += b"startxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


def encrypt_pdf(pdf: bytes, *, user_password: str) -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(pdf))
    writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def make_docx(path: Path, *, with_title_style: bool = True) -> None:
    document = docx.Document()
    document.core_properties.title = "Core properties title"
    if with_title_style:
        document.add_heading("Apply for housing assistance", level=0)  # "Title" style
    else:
        document.add_heading("Apply for housing assistance", level=1)
    document.add_paragraph("Housing assistance helps    families pay rent.")
    document.add_heading("Eligibility", level=1 if with_title_style else 2)
    document.add_paragraph("You may qualify if you:")
    document.add_paragraph("live in the county", style="List Bullet")
    document.add_paragraph("earn under the income limit", style="List Bullet")
    document.add_heading("Income limits", level=2 if with_title_style else 3)
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Household size"
    table.cell(0, 1).text = "Yearly limit"
    table.cell(1, 0).text = "1"
    table.cell(1, 1).text = "$40,000"
    document.add_paragraph("Limits change every April.")
    document.save(str(path))


def random_bytes(size: int = 4096, seed: int = 7) -> bytes:
    return random.Random(seed).randbytes(size)


def by_id(result: LoadResult) -> dict[str, Document]:
    return {document.doc_id: document for document in result.documents}


def section_at(document: Document, offset: int) -> tuple[str, ...]:
    """The heading path that covers ``offset`` in the document text."""
    path: tuple[str, ...] = (document.title,)
    for start, heading_path in document.sections:
        if start <= offset:
            path = heading_path
    return path


def assert_heading_offsets(document: Document) -> None:
    """Every section starts exactly at its heading's text."""
    for start, heading_path in document.sections:
        heading = heading_path[-1]
        if len(heading_path) > 1 or start > 0:
            assert document.text[start : start + len(heading)] == heading, heading_path


def assert_clean_whitespace(text: str) -> None:
    assert "\n\n\n" not in text
    assert "  " not in text
    assert text == text.strip()
    assert all(line == line.strip() for line in text.splitlines())


# --------------------------------------------------------------------------- Markdown

RENEW_MD = """\
---
title: Renew your driver's license
agency: Department of Motor Vehicles
url: https://dmv.example.gov/renew
topic: driving
last_reviewed: 2024-05-01
language: en
tags: [licenses, renewal]
audience: adults
---
# Renew your driver's license

You can renew **online**, by `mail` or __in person__.
See [the fee table](https://dmv.example.gov/fees) for    current prices.



## Fees

- Standard renewal: $30
- Late renewal: $45

### Late fees

A late fee applies after 90 days.

<script>alert('stolen')</script>

<!-- TODO: ask legal before publishing -->

## Documents you need

1. Your current license
2. Proof of address
"""


def test_markdown_front_matter_fills_document_fields(tmp_path: Path) -> None:
    (tmp_path / "driver-licenses").mkdir()
    (tmp_path / "driver-licenses" / "renew.md").write_text(RENEW_MD, encoding="utf-8")

    result = load_paths([tmp_path])

    assert result.errors == []
    [doc] = result.documents
    assert doc.doc_id == "driver-licenses/renew"
    assert doc.title == "Renew your driver's license"
    assert doc.agency == "Department of Motor Vehicles"
    assert doc.url == "https://dmv.example.gov/renew"
    assert doc.topic == "driving"
    assert doc.last_reviewed == "2024-05-01"  # YAML date comes back as ISO text
    assert doc.language == "en"
    assert doc.metadata == {"tags": "licenses, renewal", "audience": "adults"}
    assert doc.source_path == str(tmp_path / "driver-licenses" / "renew.md")


def test_markdown_text_is_readable_plain_text(tmp_path: Path) -> None:
    path = tmp_path / "renew.md"
    path.write_text(RENEW_MD, encoding="utf-8")

    [doc] = load_paths([path]).documents

    assert doc.text.startswith("Renew your driver's license\n\nYou can renew online, by mail or")
    assert "the fee table (https://dmv.example.gov/fees) for current prices." in doc.text
    assert "- Standard renewal: $30\n- Late renewal: $45" in doc.text
    assert "1. Your current license\n2. Proof of address" in doc.text
    assert "\nFees\n" in doc.text  # heading kept as a plain line
    for noise in ("#", "**", "__", "`", "](", "---", "title:"):
        assert noise not in doc.text, noise
    # Embedded HTML is never passed through: no script, and editors' comments stay private.
    assert "<script" not in doc.text and "alert" not in doc.text
    assert "TODO" not in doc.text
    assert_clean_whitespace(doc.text)


def test_markdown_sections_follow_headings_with_exact_offsets(tmp_path: Path) -> None:
    path = tmp_path / "renew.md"
    path.write_text(RENEW_MD, encoding="utf-8")

    [doc] = load_paths([path]).documents

    title = "Renew your driver's license"
    assert [heading_path for _, heading_path in doc.sections] == [
        (title,),
        (title, "Fees"),
        (title, "Fees", "Late fees"),
        (title, "Documents you need"),
    ]
    assert doc.sections[0][0] == 0
    assert_heading_offsets(doc)
    assert section_at(doc, doc.text.index("Late renewal")) == (title, "Fees")
    assert section_at(doc, doc.text.index("A late fee applies")) == (title, "Fees", "Late fees")
    assert section_at(doc, doc.text.index("Proof of address")) == (title, "Documents you need")
    assert section_at(doc, doc.text.index("You can renew")) == (title,)


def test_markdown_without_front_matter_takes_title_from_h1(tmp_path: Path) -> None:
    path = tmp_path / "Office Hours.markdown"
    path.write_text("# Office hours\n\nOpen 9 to 5.\n\n## Holidays\n\nClosed.\n", encoding="utf-8")

    [doc] = load_paths([path]).documents

    assert doc.title == "Office hours"
    assert doc.doc_id == "office-hours"  # a file given directly: its slugged stem
    assert doc.sections == ((0, ("Office hours",)), (28, ("Office hours", "Holidays")))
    assert doc.text[28:36] == "Holidays"


def test_markdown_front_matter_doc_id_wins(tmp_path: Path) -> None:
    (tmp_path / "page.md").write_text(
        "---\ndoc_id: DMV-0042\ntitle: Fees\n---\nText.\n", encoding="utf-8"
    )

    [doc] = load_paths([tmp_path]).documents

    assert doc.doc_id == "DMV-0042"


def test_invalid_front_matter_is_an_error_and_the_batch_goes_on(tmp_path: Path) -> None:
    bad = tmp_path / "bad.md"
    bad.write_text("---\ntitle: [unclosed\nagency: DMV\n---\nBody.\n", encoding="utf-8")
    not_mapping = tmp_path / "list.md"
    not_mapping.write_text("---\n- just\n- a list\n---\nBody.\n", encoding="utf-8")
    (tmp_path / "good.md").write_text("# Good\n\nFine.\n", encoding="utf-8")

    result = load_paths([tmp_path])

    assert [doc.doc_id for doc in result.documents] == ["good"]
    reasons = {error.path: error.reason for error in result.errors}
    assert set(reasons) == {bad, not_mapping}
    assert "front matter" in reasons[bad]
    assert "front matter" in reasons[not_mapping]


# --------------------------------------------------------------------------- HTML

BENEFITS_HTML = """\
<!doctype html>
<html lang="es-MX">
<head>
  <title>Apply for benefits | Example Agency</title>
  <link rel="canonical" href="https://benefits.example.gov/apply">
  <meta property="og:url" content="https://benefits.example.gov/og">
  <style>body { color: red } .STYLE-TEXT {}</style>
  <script>var tracker = "HEAD-SCRIPT";</script>
</head>
<body>
  <header><a href="/">Agency home HEADER-TEXT</a>
    <nav><ul><li><a href="/menu">NAV-TEXT</a></li></ul></nav>
  </header>
  <main>
    <h1>Apply for benefits</h1>
    <p>You can   apply
       online or by phone.</p>
    <script>document.write("BODY-SCRIPT")</script>
    <aside>Related pages ASIDE-TEXT</aside>
    <h2>Who can apply</h2>
    <ul><li>Residents of the state</li><li>People over <b>18</b></li></ul>
    <h3>Documents</h3>
    <p>Bring photo ID. See <a href="https://benefits.example.gov/id">accepted IDs</a>.</p>
    <form><label>Search FORM-TEXT</label><input name="q"></form>
    <noscript>NOSCRIPT-TEXT</noscript>
    <template><p>TEMPLATE-TEXT</p></template>
    <div hidden>HIDDEN-TEXT</div>
    <!-- COMMENT-TEXT -->
    <h2>After you apply</h2>
    <p>We reply within <em>30 days</em>.</p>
  </main>
  <footer>FOOTER-TEXT &copy; Example Agency</footer>
</body>
</html>
"""


def test_html_keeps_main_content_and_drops_page_chrome(tmp_path: Path) -> None:
    path = tmp_path / "apply.html"
    path.write_text(BENEFITS_HTML, encoding="utf-8")

    result = load_paths([path])

    assert result.errors == []
    [doc] = result.documents
    for hidden in (
        "HEADER-TEXT",
        "NAV-TEXT",
        "STYLE-TEXT",
        "HEAD-SCRIPT",
        "BODY-SCRIPT",
        "ASIDE-TEXT",
        "FORM-TEXT",
        "NOSCRIPT-TEXT",
        "TEMPLATE-TEXT",
        "HIDDEN-TEXT",
        "COMMENT-TEXT",
        "FOOTER-TEXT",
        "<",
        "document.write",
    ):
        assert hidden not in doc.text, hidden
    assert "You can apply online or by phone." in doc.text
    assert "- Residents of the state\n- People over 18" in doc.text
    assert "accepted IDs (https://benefits.example.gov/id)" in doc.text
    assert doc.text.endswith("We reply within 30 days.")
    assert_clean_whitespace(doc.text)


def test_html_metadata_and_sections(tmp_path: Path) -> None:
    path = tmp_path / "apply.htm"
    path.write_text(BENEFITS_HTML, encoding="utf-8")

    [doc] = load_paths([path]).documents

    title = "Apply for benefits | Example Agency"
    assert doc.title == title
    assert doc.url == "https://benefits.example.gov/apply"  # canonical beats og:url
    assert doc.language == "es"
    assert doc.metadata["language_tag"] == "es-MX"
    assert [heading_path for _, heading_path in doc.sections] == [
        (title,),
        (title, "Who can apply"),
        (title, "Who can apply", "Documents"),
        (title, "After you apply"),
    ]
    assert_heading_offsets(doc)
    assert section_at(doc, doc.text.index("Bring photo ID")) == (
        title,
        "Who can apply",
        "Documents",
    )


def test_html_fallbacks_article_h1_title_and_og_url(tmp_path: Path) -> None:
    html = """<html><body>
      <nav>Skip NAV-TEXT</nav>
      <article>
        <header><h1>Voter registration</h1><nav>ARTICLE-NAV</nav></header>
        <p>Register by   October 1.</p>
        <footer>Share ARTICLE-FOOTER</footer>
      </article>
      <meta property="og:url" content="https://vote.example.gov/register">
    </body></html>"""
    path = tmp_path / "register.html"
    path.write_text(html, encoding="utf-8")

    [doc] = load_paths([path]).documents

    assert doc.title == "Voter registration"
    assert doc.url == "https://vote.example.gov/register"
    assert doc.language == "en"
    # The article's own header holds its heading, so it stays; navigation does not.
    assert doc.text == "Voter registration\n\nRegister by October 1."


def test_html_without_text_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "shell.html"
    path.write_text(
        "<html><body><nav>Menu</nav><script>app()</script></body></html>", encoding="utf-8"
    )

    result = load_paths([path])

    assert result.documents == []
    [error] = result.errors
    assert error.path == path
    assert "no text" in error.reason


# --------------------------------------------------------------------------- PDF


def test_hand_written_pdf_is_readable_by_pypdf(tmp_path: Path) -> None:
    path = tmp_path / "check.pdf"
    path.write_bytes(make_pdf([["Hello (world)"]]))

    assert "Hello (world)" in PdfReader(path).pages[0].extract_text()


def test_pdf_pages_become_paragraphs_and_title_comes_from_metadata(tmp_path: Path) -> None:
    path = tmp_path / "Tax Guide 2024.pdf"
    path.write_bytes(
        make_pdf(
            [
                ["Filing your taxes", "Most people must file by April 15."],
                ["Getting help", "Call   the help line."],
            ],
            title="Tax filing guide",
        )
    )

    result = load_paths([tmp_path])

    assert result.errors == []
    [doc] = result.documents
    assert doc.doc_id == "tax-guide-2024"
    assert doc.title == "Tax filing guide"
    assert doc.text == (
        "Filing your taxes\nMost people must file by April 15.\n\nGetting help\nCall the help line."
    )
    assert doc.source_path == str(path)


def test_pdf_without_metadata_title_uses_first_line(tmp_path: Path) -> None:
    path = tmp_path / "notice.pdf"
    path.write_bytes(make_pdf([["Water outage notice", "Service resumes Monday."]]))

    [doc] = load_paths([path]).documents

    assert doc.title == "Water outage notice"


@pytest.mark.parametrize("junk", ["Microsoft Word - form_v3.docx", "untitled", "scan0001.pdf"])
def test_pdf_placeholder_metadata_title_is_ignored(tmp_path: Path, junk: str) -> None:
    path = tmp_path / "form.pdf"
    path.write_bytes(make_pdf([["Change of address form", "Fill in all fields."]], title=junk))

    [doc] = load_paths([path]).documents

    assert doc.title == "Change of address form"


def test_password_protected_pdf_is_an_error(tmp_path: Path) -> None:
    locked = tmp_path / "locked.pdf"
    locked.write_bytes(encrypt_pdf(make_pdf([["Secret text"]]), user_password="letmein"))

    result = load_paths([locked])

    assert result.documents == []
    [error] = result.errors
    assert error.path == locked
    assert "encrypted" in error.reason


def test_pdf_with_only_an_owner_password_still_loads(tmp_path: Path) -> None:
    # Many published PDFs are "encrypted" only to stop editing; anyone can open them.
    path = tmp_path / "restricted.pdf"
    path.write_bytes(encrypt_pdf(make_pdf([["Public notice text"]]), user_password=""))

    result = load_paths([path])

    assert result.errors == []
    assert result.documents[0].text == "Public notice text"


def test_pdf_with_no_text_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    path.write_bytes(make_pdf([[]]))

    [error] = load_paths([path]).errors

    assert "no extractable text" in error.reason


# --------------------------------------------------------------------------- DOCX


def test_docx_headings_become_sections(tmp_path: Path) -> None:
    path = tmp_path / "housing.docx"
    make_docx(path)

    result = load_paths([tmp_path])

    assert result.errors == []
    [doc] = result.documents
    title = "Apply for housing assistance"
    assert doc.doc_id == "housing"
    assert doc.title == title  # the Title paragraph wins over core properties
    assert doc.text == (
        "Apply for housing assistance\n\n"
        "Housing assistance helps families pay rent.\n\n"
        "Eligibility\n\n"
        "You may qualify if you:\n\n"
        "- live in the county\n- earn under the income limit\n\n"
        "Income limits\n\n"
        "Household size | Yearly limit\n1 | $40,000\n\n"
        "Limits change every April."
    )
    assert [heading_path for _, heading_path in doc.sections] == [
        (title,),
        (title, "Eligibility"),
        (title, "Eligibility", "Income limits"),
    ]
    assert_heading_offsets(doc)
    assert section_at(doc, doc.text.index("$40,000")) == (title, "Eligibility", "Income limits")


def test_docx_without_title_style_uses_core_title_and_heading_1_as_title_level(
    tmp_path: Path,
) -> None:
    path = tmp_path / "housing.docx"
    make_docx(path, with_title_style=False)

    [doc] = load_paths([path]).documents

    title = "Core properties title"
    assert doc.title == title
    assert [heading_path for _, heading_path in doc.sections] == [
        (title,),
        (title, "Eligibility"),
        (title, "Eligibility", "Income limits"),
    ]
    assert_heading_offsets(doc)


# --------------------------------------------------------------------------- JSONL


def test_jsonl_bad_lines_are_reported_by_number_and_the_rest_load(tmp_path: Path) -> None:
    good_1 = {
        "doc_id": "faq-1",
        "title": "When is the office open?",
        "text": "Monday to   Friday.\n\n\n\nClosed on holidays.",
        "agency": "City Hall",
        "url": "https://city.example.gov/faq#1",
        "language": "es",
        "channel": "phone",
        "priority": 2,
    }
    good_4 = {"doc_id": "faq-4", "title": "Parking", "text": "Free after 6 pm."}
    lines = [
        json.dumps(good_1),
        '{"doc_id": "faq-2", "title": "Broken"',  # invalid JSON
        json.dumps({"doc_id": "faq-3", "title": "No text"}),  # missing a required field
        "",
        json.dumps(good_4),
        json.dumps(["not", "an", "object"]),
    ]
    path = tmp_path / "faq.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    result = load_paths([tmp_path])

    docs = by_id(result)
    assert list(docs) == ["faq-1", "faq-4"]
    faq = docs["faq-1"]
    assert faq.title == "When is the office open?"
    assert faq.text == "Monday to Friday.\n\nClosed on holidays."
    assert faq.agency == "City Hall"
    assert faq.url == "https://city.example.gov/faq#1"
    assert faq.language == "es"
    assert faq.metadata == {"channel": "phone", "priority": "2"}
    assert faq.source_path == str(path)

    assert [error.path for error in result.errors] == [path, path, path]
    reasons = [error.reason for error in result.errors]
    assert reasons[0].startswith("line 2:") and "invalid JSON" in reasons[0]
    assert reasons[1].startswith("line 3:") and "'text'" in reasons[1]
    assert reasons[2].startswith("line 6:")


def test_jsonl_duplicate_doc_id_is_reported(tmp_path: Path) -> None:
    record = {"doc_id": "same", "title": "T", "text": "x"}
    path = tmp_path / "dupes.jsonl"
    path.write_text(json.dumps(record) + "\n" + json.dumps(record) + "\n", encoding="utf-8")

    result = load_paths([path])

    assert len(result.documents) == 1
    [error] = result.errors
    assert "line 2" in error.reason and "duplicate" in error.reason


# --------------------------------------------------------------------------- bad files


def test_corrupt_pdf_and_docx_are_errors_while_good_files_load(tmp_path: Path) -> None:
    (tmp_path / "broken.pdf").write_bytes(random_bytes(seed=1))
    (tmp_path / "broken.docx").write_bytes(random_bytes(seed=2))
    (tmp_path / "truncated.pdf").write_bytes(make_pdf([["Cut off"]])[:120])
    make_docx(tmp_path / "housing.docx")
    (tmp_path / "notice.pdf").write_bytes(make_pdf([["A good page"]]))
    (tmp_path / "guide.md").write_text("# Good\n\nStill here.\n", encoding="utf-8")

    result = load_paths([tmp_path])

    titles = sorted(doc.title for doc in result.documents)
    assert titles == ["A good page", "Apply for housing assistance", "Good"]
    errors = {error.path.name: error.reason for error in result.errors}
    assert set(errors) == {"broken.pdf", "broken.docx", "truncated.pdf"}
    assert "PDF" in errors["broken.pdf"] and "PDF" in errors["truncated.pdf"]
    assert "DOCX" in errors["broken.docx"]
    for error in result.errors:
        assert error.path.parent == tmp_path


def test_duplicate_derived_doc_ids_are_reported(tmp_path: Path) -> None:
    (tmp_path / "renew.md").write_text("# Renew\n\nFrom markdown.\n", encoding="utf-8")
    (tmp_path / "renew.txt").write_text("Renew\n\nFrom text.\n", encoding="utf-8")

    result = load_paths([tmp_path])

    [doc] = result.documents
    assert "From markdown." in doc.text  # first in sorted order wins
    [error] = result.errors
    assert error.path == tmp_path / "renew.txt"
    assert "duplicate doc_id 'renew'" in error.reason


@pytest.mark.parametrize(
    "name", ["empty.txt", "empty.md", "empty.html", "empty.jsonl", "empty.pdf", "empty.docx"]
)
def test_empty_file_is_an_error(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"")

    result = load_paths([path])

    assert result.documents == []
    [error] = result.errors
    assert error.path == path
    assert error.reason == "empty file"


def test_whitespace_only_markdown_with_front_matter_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "stub.md"
    path.write_text("---\ntitle: Coming soon\n---\n\n   \n", encoding="utf-8")

    [error] = load_paths([path]).errors

    assert "no text" in error.reason


def test_non_utf8_text_is_an_error_naming_the_encoding(tmp_path: Path) -> None:
    latin = "Tarifa de renovación: 30 €".encode("cp1252")
    (tmp_path / "tarifa.txt").write_bytes(latin)
    (tmp_path / "tarifa-md.md").write_bytes(b"# " + latin)
    (tmp_path / "ok.txt").write_text("Tarifa de renovación\n\n30 €\n", encoding="utf-8")

    result = load_paths([tmp_path])

    [doc] = result.documents
    assert doc.title == "Tarifa de renovación"
    assert {error.path.name for error in result.errors} == {"tarifa.txt", "tarifa-md.md"}
    assert all("UTF-8" in error.reason for error in result.errors)


# --------------------------------------------------------------------------- plain text & walking


def test_txt_title_is_first_line_and_whitespace_is_normalised(tmp_path: Path) -> None:
    path = tmp_path / "Trash Pickup.txt"
    path.write_bytes(
        "\ufeff\r\n\r\n  Trash   pickup \r\n\r\n\r\n\r\nMondays\tand"
        "\u00a0Thursdays.\r\nBins out by 7 am.\r\n".encode()
    )

    [doc] = load_paths([path]).documents

    assert doc.title == "Trash pickup"
    assert doc.doc_id == "trash-pickup"
    assert doc.text == "Trash pickup\n\nMondays and Thursdays.\nBins out by 7 am."
    assert doc.sections == ()


def test_txt_without_a_title_line_gets_a_short_title(tmp_path: Path) -> None:
    sentence = "You can pay your water bill online, by phone, by mail or in person " * 4
    (tmp_path / "water.txt").write_text(sentence.strip() + "\n", encoding="utf-8")

    [doc] = load_paths([tmp_path]).documents

    assert len(doc.title) <= 121
    assert doc.title.endswith("…")
    assert doc.title.startswith("You can pay your water bill online")
    assert doc.text == sentence.strip()  # the text itself is untouched


def test_folder_walk_is_sorted_recursive_and_skips_hidden_and_unknown_files(
    tmp_path: Path,
) -> None:
    (tmp_path / "b-dir" / "Nested Dir").mkdir(parents=True)
    (tmp_path / ".git").mkdir()
    (tmp_path / "b-dir" / "Nested Dir" / "Señales de Tráfico.txt").write_text(
        "Traffic signs\n", encoding="utf-8"
    )
    (tmp_path / "b-dir" / "a.md").write_text("# A\n\nText.\n", encoding="utf-8")
    (tmp_path / "a.txt").write_text("First\n", encoding="utf-8")
    (tmp_path / ".draft.md").write_text("# Draft\n", encoding="utf-8")
    (tmp_path / ".git" / "notes.md").write_text("# Internal\n", encoding="utf-8")
    (tmp_path / "~$lock.docx").write_bytes(b"lock file")
    (tmp_path / "logo.png").write_bytes(random_bytes(64))
    (tmp_path / "data.csv").write_text("a,b\n", encoding="utf-8")

    result = load_paths([str(tmp_path)])
    again = load_paths([tmp_path])

    assert result.errors == []
    ids = [doc.doc_id for doc in result.documents]
    assert ids == ["a", "b-dir/a", "b-dir/nested-dir/senales-de-trafico"]
    assert ids == [doc.doc_id for doc in again.documents]  # stable across runs


def test_the_same_file_reached_twice_loads_once(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("Hello\n", encoding="utf-8")

    result = load_paths([tmp_path, path])

    assert [doc.doc_id for doc in result.documents] == ["a"]
    assert result.errors == []


def test_explicit_unknown_extension_and_missing_path_are_errors(tmp_path: Path) -> None:
    image = tmp_path / "logo.png"
    image.write_bytes(random_bytes(64))
    missing = tmp_path / "nope.md"
    (tmp_path / "ok.txt").write_text("Fine\n", encoding="utf-8")

    result = load_paths([image, missing, tmp_path / "ok.txt"])

    assert [doc.doc_id for doc in result.documents] == ["ok"]
    reasons = {error.path: error.reason for error in result.errors}
    assert "unsupported file type '.png'" in reasons[image]
    assert "no such file" in reasons[missing]


def test_a_single_path_string_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("Hello\n", encoding="utf-8")

    result = load_paths(str(path))

    assert [doc.doc_id for doc in result.documents] == ["a"]


def test_front_matter_with_yaml_aliases_is_unreadable_and_says_why(tmp_path: Path) -> None:
    bomb = tmp_path / "laughs.md"
    bomb.write_text(
        "---\na: &a [x, x, x]\nb: &b [*a, *a, *a]\nc: [*b, *b, *b]\n---\n# Laughs\n\nText.\n",
        encoding="utf-8",
    )
    loaded = load_paths([bomb])
    assert not loaded.documents
    assert "aliases" in loaded.errors[0].reason
