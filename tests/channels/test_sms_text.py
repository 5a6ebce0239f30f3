"""SMS text for phones: GSM-7 / UCS-2 segment counting, cutting, keywords, settings."""

from __future__ import annotations

import pytest
from pydantic import SecretStr, ValidationError

from assistant.settings import Settings
from assistant.turns import Citation, OutboundReply, Status
from channels.sms.addresses import Address, hash_address
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

    from channels.sms.answers import render_page

    page = render_page(
        {
            "text": "Bring <script>alert(1)</script> & your ID. [1]",
            "citations": [
                {"n": 1, "title": "<b>Renew</b>", "url": "https://dmv.example/renew"},
                {"n": 2, "title": "Bad", "url": "javascript:alert(1)", "section": 'x"y'},
            ],
            "at": datetime(2026, 11, 25, tzinfo=UTC),
        },
        agency="<City>",
    )
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "&lt;b&gt;Renew&lt;/b&gt;" in page and 'href="https://dmv.example/renew"' in page
    assert "javascript:" not in page and "&lt;City&gt;" in page


def test_contacts_are_encrypted_and_need_the_key() -> None:
    from channels.sms.contacts import Contact, ContactCipher, ContactUnreadable

    contact = Contact(Address.parse("whatsapp:+15555550100"), Address.parse("+15555550199"))
    token = ContactCipher("key one").encrypt(contact)
    assert "5550100" not in token and "5550100" not in repr(contact)
    assert ContactCipher("key one").decrypt(token) == contact
    with pytest.raises(ContactUnreadable):
        ContactCipher("key two").decrypt(token)
