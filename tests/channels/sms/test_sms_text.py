"""SMS text for phones: GSM-7 / UCS-2 segment counting, cutting, keywords, settings."""

from __future__ import annotations

import pytest
from pydantic import SecretStr, ValidationError

from assistant.settings import Settings
from assistant.turns import Citation, OutboundReply, Status
from channels.phone import Address, hash_address
from channels.sms.formatting import format_sms, format_whatsapp, plain_text
from channels.sms.keywords import Keyword, keyword_of
from channels.sms.segments import GSM7_BASIC, GSM7_EXTENSION, count_segments, is_gsm7

URL = "https://dmv.westmark.example/licenses/renew"


def _reply(text: str, *, status: Status = Status.ANSWERED, urls: tuple[str | None, ...] = (URL,)):
    citations = [
        Citation(
            n=i + 1,
            doc_id=f"d{i}",
            title="Renew your driver's license",
            url=u,
            section=None,
            snippet="",
        )
        for i, u in enumerate(urls)
    ]
    return OutboundReply(
        session_id="s", text=text, citations=citations, status=status, confidence=0.9
    )


def test_the_gsm_tables_have_their_standard_sizes() -> None:
    # 128 basic positions less ESC; 10 extension characters including form feed.
    assert len(GSM7_BASIC) == 127
    assert len(GSM7_EXTENSION) == 10


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        ("", "GSM-7", 0, 0),
        ("a" * 160, "GSM-7", 160, 1),
        ("a" * 161, "GSM-7", 161, 2),
        ("a" * 306, "GSM-7", 306, 2),
        ("a" * 307, "GSM-7", 307, 3),
        ("€" * 80, "GSM-7", 160, 1),  # extension characters count 2
        ("€" * 81, "GSM-7", 162, 2),
        # 152 septets then an escape pair: it does not fit in 153, so a third segment.
        ("a" * 152 + "€" + "a" * 152, "GSM-7", 306, 3),
        ("Où est la mairie? Ñoño, ¿qué?", "GSM-7", 29, 1),  # all in the basic table
        ("¿Cómo renuevo mi licencia?", "UCS-2", 26, 1),  # ó is not GSM
        ("a" * 70 + "á", "UCS-2", 71, 2),
        ("😀" * 35, "UCS-2", 70, 1),  # emoji are surrogate pairs: 2 units
        ("😀" * 36, "UCS-2", 72, 2),
        # 66 units, then a pair that would straddle the 67-unit boundary.
        ("a" * 66 + "😀" + "a" * 10, "UCS-2", 78, 2),
        ("a" * 66 + "😀" + "a" * 66, "UCS-2", 134, 3),
    ],
)
def test_segments_are_counted_as_carriers_bill_them(
    text: str, encoding: str, units: int, segments: int
) -> None:
    counted = count_segments(text)
    assert (counted.encoding, counted.units, counted.segments) == (encoding, units, segments)


def test_plain_text_drops_markers_and_markdown_and_typographic_quotes() -> None:
    text = "## Fees\n**You’ll pay** $35 – or [see the fees](https://x.example/fees). [1][2]"
    assert plain_text(text) == "Fees\nYou'll pay $35 - or see the fees (https://x.example/fees)."
    assert is_gsm7(plain_text("It’s “free” … really"))


def test_a_short_answer_goes_whole_with_its_source_link() -> None:
    body = format_sms(_reply("You can renew online. [1]"), max_segments=2)
    assert body == f"You can renew online.\n{URL}"
    assert count_segments(body).segments == 1


def test_a_long_answer_is_cut_at_a_sentence_and_links_to_the_full_answer() -> None:
    sentences = [f"Sentence number {i} says something useful about renewing." for i in range(12)]
    body = format_sms(_reply(" ".join(sentences) + " [1]"), max_segments=2)
    counted = count_segments(body)
    assert counted.segments <= 2 and counted.encoding == "GSM-7"
    text, link = body.rsplit("\n", 1)
    assert link == f"More: {URL}"
    assert text.endswith("renewing.") and text.startswith(sentences[0])
    assert all(s in sentences for s in text.replace(". ", ".|").split("|"))


def test_without_a_sentence_end_the_cut_is_at_a_word_and_never_in_a_url() -> None:
    words = "renew " * 40 + "https://example.gov/" + "x" * 40 + " and more words " * 10
    body = format_sms(_reply(words, urls=(None,)), max_segments=2)
    assert count_segments(body).segments <= 2
    assert body.endswith("...")
    kept = body.removesuffix("...").split()
    original = words.split()
    assert kept == original[: len(kept)]  # whole words, the URL whole or absent


# An answer in the composer's lines: a paragraph, a labelled list, a paragraph (503 chars).
FEES = (
    "The renewal fee depends on your age, because older drivers renew more often.\n"
    "Renewal fees:\n"
    "- Drivers aged 21 to 64 pay $42 to renew a standard driver's license for 8 years.\n"
    "- Drivers aged 65 to 79 pay $21 to renew a standard driver's license for 4 years.\n"
    "- Drivers aged 80 and over pay $12 to renew a standard driver's license for 2 years.\n"
    "- A motorcycle endorsement adds $8 to any renewal.\n"
    "- Upgrading to a REAL ID at the time of renewal costs nothing extra.\n"
    "Card payments online and in person have no extra fee. [1]"
)
# Items that are not sentences: no full stop tells where one ends (404 chars).
REAL_ID = (
    "You must apply for a REAL ID in person and bring original documents or certified "
    "copies. [1]\n"
    "Proof of identity (one document):\n"
    "- a certified US birth certificate issued by a state or local vital records office\n"
    "- a valid US passport or passport card\n"
    "- a valid permanent resident card or employment authorization document [2]\n"
    "Proof of Social Security number (one document):\n"
    "- your Social Security card\n"
    "- a W-2 form, or a 1099 form showing your full Social Security number [3]"
)


@pytest.mark.parametrize("answer", [FEES, REAL_ID], ids=["fees", "real-id"])
def test_a_long_list_answer_is_cut_after_a_whole_item_within_two_segments(answer: str) -> None:
    body = format_sms(_reply(answer), max_segments=2, full_answer_url="https://x.example/a/t")
    assert count_segments(body).segments <= 2 and is_gsm7(body)
    *kept, link = body.splitlines()
    assert link == f"More: {URL}"
    lines = plain_text(answer).splitlines()
    # Whole lines from the start, "- " bullets as they were: no item is cut in the middle.
    assert kept == lines[: len(kept)]
    assert kept[-1].startswith("- ") and not kept[-1].endswith((":", "..."))
    assert sum(line.startswith("- ") for line in kept) >= 2


def test_a_label_is_not_left_without_its_items() -> None:
    lead = "You must apply in person and bring original documents or certified copies, " * 2
    text = (
        f"{lead.strip()} [1]\n"
        "Proof of identity (one document):\n"
        "- a certified US birth certificate issued by a state or local vital records office, "
        "or a valid US passport or passport card, or a valid permanent resident card [2]"
    )
    body = format_sms(_reply(text), max_segments=2)
    assert count_segments(body).segments <= 2
    assert body.splitlines() == [lead.strip(), f"More: {URL}"]


def test_without_a_line_that_fits_a_long_item_is_cut_at_a_sentence() -> None:
    item = " ".join(f"Step {i} of the online form asks for your license number." for i in range(9))
    body = format_sms(_reply(f"- {item} [1]\n- Pay by card."), max_segments=2)
    assert count_segments(body).segments <= 2
    text, link = body.rsplit("\n", 1)
    assert link == f"More: {URL}" and text.startswith("- Step 0") and text.endswith("number.")


def test_ucs2_answers_get_the_smaller_budget() -> None:
    text = " ".join(["¿Cómo renuevo mi licencia de conducir en línea?"] * 8)
    body = format_sms(_reply(text), max_segments=2)
    counted = count_segments(body)
    assert counted.encoding == "UCS-2" and counted.segments <= 2
    assert body.endswith(f"More: {URL}")


def test_canned_replies_are_never_cut() -> None:
    long_canned = "If you are in danger right now, call 911. " * 10
    body = format_sms(_reply(long_canned, status=Status.GUARDRAIL_CRISIS, urls=()), max_segments=2)
    assert body == long_canned.strip()


def test_whatsapp_has_a_bold_title_and_links_on_their_own_lines() -> None:
    second = "https://dmv.westmark.example/fees"
    body = format_whatsapp(_reply("You can renew online. [1][2]", urls=(URL, second)))
    assert body.splitlines() == [
        "*Renew your driver's license*",
        "You can renew online.",
        URL,
        second,
    ]


def test_whatsapp_keeps_each_list_item_on_its_own_line() -> None:
    body = format_whatsapp(_reply(FEES))
    assert body.splitlines() == [
        "*Renew your driver's license*",
        *plain_text(FEES).splitlines(),
        URL,
    ]
    assert sum(line.startswith("- ") for line in body.splitlines()) == 5


@pytest.mark.parametrize(
    ("text", "keyword"),
    [
        ("STOP", Keyword.OPT_OUT),
        ("  stop \n", Keyword.OPT_OUT),
        ("Unsubscribe", Keyword.OPT_OUT),
        ("quit", Keyword.OPT_OUT),
        ("start", Keyword.OPT_IN),
        ("UNSTOP", Keyword.OPT_IN),
        ("help", Keyword.HELP),
        ("Info", Keyword.HELP),
        ("how do I stop my benefits?", None),
        ("stop please", None),
    ],
)
def test_keywords_are_whole_messages(text: str, keyword: Keyword | None) -> None:
    assert keyword_of(text) is keyword


def test_phone_numbers_become_keyed_hashes() -> None:
    number = Address.parse("whatsapp:+15555550100")
    assert number.channel == "whatsapp" and number.twilio == "whatsapp:+15555550100"
    assert "5550100" not in repr(number)
    one = hash_address(number, key=b"k1")
    assert len(one) == 64 and "5550100" not in one
    assert one == hash_address(Address.parse("+15555550100"), key=b"k1")
    assert one != hash_address(number, key=b"k2")


def test_production_sms_refuses_to_start_without_its_secrets() -> None:
    with pytest.raises(ValidationError, match="CA_TWILIO_AUTH_TOKEN"):
        Settings(environment="production", secure_cookies=True, sms_enabled=True)
    # no SMS, no token needed
    Settings(environment="production", secure_cookies=True, sms_enabled=False)
    Settings(
        environment="production",
        secure_cookies=True,
        sms_enabled=True,
        twilio_auth_token=SecretStr("t"),
        phone_hash_key=SecretStr("k"),
        public_url="https://help.example.gov",
        contact_encryption_key=SecretStr("c"),
    )


def test_the_full_answer_page_escapes_what_it_shows() -> None:
    from datetime import UTC, datetime

    from channels.sms.answers import LinkedAnswer, render_page

    page = render_page(
        LinkedAnswer(
            text="Bring <script>alert(1)</script> & your ID. [1]",
            citations=[
                {"n": 1, "title": "<b>Renew</b>", "url": "https://dmv.example/renew"},
                {"n": 2, "title": "Bad", "url": "javascript:alert(1)", "section": 'x"y'},
            ],
            at=datetime(2026, 11, 25, tzinfo=UTC),
        ),
        agency="<City>",
    )
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "&lt;b&gt;Renew&lt;/b&gt;" in page and 'href="https://dmv.example/renew"' in page
    assert "javascript:" not in page and "&lt;City&gt;" in page


def test_the_full_answer_page_shows_paragraphs_and_lists() -> None:
    from datetime import UTC, datetime
    from html.parser import HTMLParser

    from channels.sms.answers import LinkedAnswer, render_page

    class Outline(HTMLParser):
        """The answer's blocks: ("p", words) and ("ul", [items]), and where [n] links go."""

        def __init__(self) -> None:
            super().__init__()
            self.blocks: list[tuple[str, object]] = []
            self.links: list[str] = []
            self.open: list[str] = []
            self.words = ""

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            classes = dict(attrs).get("class") or ""
            if "answer-lines" in classes and tag in ("p", "ul", "li"):
                self.open.append(tag)
                self.words = ""
                if tag == "ul":
                    self.blocks.append(("ul", []))
            if tag == "a" and "cite-ref" in classes:
                self.links.append(str(dict(attrs)["href"]))

        def handle_data(self, data: str) -> None:
            self.words += data

        def handle_endtag(self, tag: str) -> None:
            if self.open and tag == self.open[-1]:
                self.open.pop()
                if tag == "p":
                    self.blocks.append(("p", self.words))
                elif tag == "li":
                    items = self.blocks[-1][1]
                    assert isinstance(items, list)
                    items.append(self.words)

    page = render_page(
        LinkedAnswer(
            text=FEES.replace("\n- A motorcycle", "\n- <b>A motorcycle</b>") + " [7]",
            citations=[{"n": 1, "title": "Renew", "url": URL, "section": "Fees"}],
            at=datetime(2026, 11, 25, tzinfo=UTC),
        ),
        agency="City of Fairhaven",
    )
    outline = Outline()
    outline.feed(page)
    lines = FEES.splitlines()
    assert outline.blocks == [
        ("p", lines[0]),
        ("p", lines[1]),
        ("ul", [line[2:].replace("A motorcycle", "<b>A motorcycle</b>") for line in lines[2:7]]),
        ("p", "Card payments online and in person have no extra fee. [source 1] [7]"),
    ]
    assert 'class="answer-lines__p answer-lines__label">Renewal fees:</p>' in page
    assert "<b>" not in page
    # [1] names a source and links to it; [7] names none and stays text.
    assert outline.links == ["#source-1"] and '<li id="source-1" value="1">' in page


def test_contacts_are_encrypted_and_need_the_key() -> None:
    from channels.sms.contacts import Contact, ContactCipher, ContactUnreadable

    contact = Contact(Address.parse("whatsapp:+15555550100"), Address.parse("+15555550199"))
    token = ContactCipher("key one").encrypt(contact)
    assert "5550100" not in token and "5550100" not in repr(contact)
    assert ContactCipher("key one").decrypt(token) == contact
    with pytest.raises(ContactUnreadable):
        ContactCipher("key two").decrypt(token)
