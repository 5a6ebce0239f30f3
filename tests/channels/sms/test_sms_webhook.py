"""The Twilio webhook against a real server, signed as Twilio signs, with a fake Twilio API.

Late replies go through the real ``twilio`` REST client to a small HTTP server on
127.0.0.1 that records what Twilio would have been asked to send.
"""

from __future__ import annotations

import base64
import html
import logging
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from twilio.request_validator import RequestValidator

from assistant.container import Container
from assistant.settings import Settings
from channels.sms.answers import AnswerLinks
from channels.sms.segments import count_segments
from channels.sms.signing import WEBHOOK_PATH
from channels.text import plain_text
from tests.channels.sms.twilio import (
    ACCOUNT_SID,
    CITIZEN,
    OUR_NUMBER,
    TOKEN,
    FakeTwilioApi,
    messages,
    text_to,
    twilio_form,
    with_sms,
)
from tests.conftest import LiveServer

pytestmark = pytest.mark.slow

QUESTION = "How do I renew my driver's license?"
# A long answer in lines: a paragraph and a list of fees (about 500 characters).
LIST_QUESTION = "How much does it cost to renew my driver's license?"


@pytest.fixture
def sms_server(
    settings: Settings, container: Container, twilio_api: FakeTwilioApi
) -> Iterator[LiveServer]:
    # Long answers, so that cutting them is exercised.
    sms_settings = with_sms(settings, twilio_api, answer_max_chars=700)
    container.settings = sms_settings
    server = LiveServer(sms_settings, container)
    # The signature covers the public URL; here that is the server's own address.
    container.settings = sms_settings.model_copy(update={"public_url": server.url})
    with server:
        yield server


RENEW_URL = "https://dmv.westmark.example/licenses/renew"


def cites_renewal(text: str) -> bool:
    """The renewal page is cited: its link, or a full-answer link (/a/...) whose page has it."""
    if RENEW_URL in text:
        return True
    pages = re.findall(r"http://127\.0\.0\.1:\d+/a/[\w-]+", text)
    return any(f'href="{RENEW_URL}"' in httpx.get(page).text for page in pages)


def test_unsigned_or_wrongly_signed_posts_are_refused_without_logging_them(
    sms_server: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    secret_body = "my SSN is 123-45-6789, how do I renew?"
    unsigned = httpx.post(
        sms_server.url + WEBHOOK_PATH, data=twilio_form(secret_body, "SMunsigned")
    )
    forged = text_to(sms_server, secret_body, "SMforged", token="not-the-token")
    # Signed for another URL (what a proxy in front would break without CA_PUBLIC_URL).
    form = twilio_form(secret_body, "SMelsewhere")
    other = RequestValidator(TOKEN).compute_signature("https://elsewhere.example/sms", form)
    elsewhere = httpx.post(
        sms_server.url + WEBHOOK_PATH, data=form, headers={"X-Twilio-Signature": other}
    )
    assert [r.status_code for r in (unsigned, forged, elsewhere)] == [403, 403, 403]
    assert "refused: missing signature" in caplog.text
    assert "refused: invalid signature" in caplog.text
    assert "123-45-6789" not in caplog.text and "renew" not in caplog.text
    assert CITIZEN not in caplog.text and "5550123" not in caplog.text


def test_one_answer_per_message_sid_and_no_raw_number_stored(
    sms_server: LiveServer, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    first = messages(text_to(sms_server, QUESTION, "SM" + "a" * 32))
    assert len(first) == 1
    assert cites_renewal(first[0])
    assert "[1]" not in first[0]
    assert count_segments(first[0]).segments <= 2
    # Twilio retries the same message: exactly one reply was ever sent.
    assert messages(text_to(sms_server, QUESTION, "SM" + "a" * 32)) == []
    # A follow-up from the same phone continues the same conversation.
    follow = messages(text_to(sms_server, "how much does it cost?", "SM" + "b" * 32))
    assert cites_renewal(follow[0])

    with sqlite3.connect(settings.data_dir / "assistant.db") as db:
        keys = db.execute("SELECT channel, conversation_key FROM conversations").fetchall()
        dump = "\n".join(db.iterdump())
    assert len(keys) == 1 and keys[0][0] == "sms" and len(keys[0][1]) == 64
    assert dump.count("SM" + "a" * 32) == 1  # the retry stored nothing
    assert "5550123" not in dump
    assert "5550123" not in caplog.text


def test_a_long_answer_is_cut_within_two_segments(sms_server: LiveServer) -> None:
    full = httpx.post(
        sms_server.url + "/api/chat", json={"message": LIST_QUESTION}, timeout=30
    ).json()
    answer = full["reply"]["text"]
    items = [line[2:] for line in answer.splitlines() if line.startswith("- ")]
    assert len(answer) > 320 and len(items) >= 3, f"the test needs a long list answer: {answer!r}"
    url = full["reply"]["citations"][0]["url"]

    [reply] = messages(text_to(sms_server, LIST_QUESTION, "SM" + "c" * 32))
    counted = count_segments(reply)
    assert counted.encoding == "GSM-7" and counted.segments == 2, counted
    text, link = reply.split("\nMore: ", 1)
    assert "[1]" not in text
    # Cut after a whole line: what is kept is the answer's first lines, every item whole.
    kept = text.splitlines()
    assert kept == plain_text(answer).splitlines()[: len(kept)]
    assert any(line.startswith("- ") for line in kept) and not kept[-1].endswith(":")
    # The rest is on the official page it cites; the whole answer is kept at /a/{token}.
    assert link.split("\n")[0] == url
    token = AnswerLinks(sms_server.app.state.container.engine).token_for_reply(
        channel="sms", external_id="SM" + "c" * 32
    )
    assert token is not None and len(token) >= 22
    page_url = f"{sms_server.url}/a/{token}"
    page = httpx.get(page_url)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "private" in page.headers["cache-control"]
    # The page shows the whole answer, its items as a list.
    shown = re.findall(r'<li class="answer-lines__item">(.*?)</li>', page.text)
    assert len(shown) == len(items)

    def words(item: str) -> str:  # without markup or [n] markers (linked on the page)
        return re.sub(r"\s*\[(source )?\d+\]", "", re.sub(r"<[^>]+>", "", item))

    assert [words(item) for item in shown] == [words(html.escape(item)) for item in items]
    assert f'href="{url}"' in page.text
    assert LIST_QUESTION not in page.text and html.escape(LIST_QUESTION) not in page.text
    # The same answer keeps its link; an unknown or altered one finds nothing.
    assert messages(text_to(sms_server, LIST_QUESTION, "SM" + "c" * 32)) == []
    assert httpx.get(page_url[:-2] + "xy").status_code == 404
    assert httpx.get(f"{sms_server.url}/a/not-a-token").status_code == 404


def test_stop_silences_help_answers_and_start_resumes(sms_server: LiveServer) -> None:
    assert messages(text_to(sms_server, "  Stop ", "SM" + "d" * 32)) == []
    assert messages(text_to(sms_server, QUESTION, "SM" + "e" * 32)) == []
    help_text = messages(text_to(sms_server, "help", "SM" + "f" * 32))
    assert "City of Fairhaven" in help_text[0] and "call 311" in help_text[0]
    assert "STOP" in help_text[0]
    started = messages(text_to(sms_server, "START", "SM" + "1" * 32))
    assert "again" in started[0]
    answered = messages(text_to(sms_server, QUESTION, "SM" + "2" * 32))
    assert cites_renewal(answered[0])
    # STOP on SMS does not silence the same person's WhatsApp, as at Twilio.
    assert messages(text_to(sms_server, "STOP", "SM" + "3" * 32)) == []
    whatsapp = messages(
        text_to(sms_server, QUESTION, "SM" + "4" * 32, sender=f"whatsapp:{CITIZEN}")
    )
    assert whatsapp


def test_whatsapp_gets_a_title_and_links_on_their_own_line(sms_server: LiveServer) -> None:
    reply = messages(text_to(sms_server, QUESTION, "SM" + "5" * 32, sender=f"whatsapp:{CITIZEN}"))[
        0
    ]
    lines = reply.splitlines()
    assert lines[0].startswith("*") and lines[0].endswith("*")
    assert "https://dmv.westmark.example/licenses/renew" in lines
    assert "[1]" not in reply


def test_a_slow_turn_is_acknowledged_at_once_and_sent_later_by_rest(
    sms_server: LiveServer, twilio_api: FakeTwilioApi, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    container: Container = sms_server.app.state.container
    container.settings = container.settings.model_copy(update={"sms_reply_budget_seconds": 0.001})
    started = time.perf_counter()
    ack = text_to(sms_server, QUESTION, "SM" + "6" * 32, sender=f"whatsapp:{CITIZEN}")
    assert messages(ack) == []
    assert time.perf_counter() - started < 5
    assert twilio_api.received.wait(30), "the late reply never reached the Twilio API"
    [sent] = twilio_api.sent
    assert sent["path"] == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert sent["To"] == f"whatsapp:{CITIZEN}"
    assert sent["From"] == f"whatsapp:{OUR_NUMBER}"
    assert "https://dmv.westmark.example/licenses/renew" in sent["Body"]
    assert base64.b64decode(twilio_api.auth[0].split()[1]).decode() == f"{ACCOUNT_SID}:{TOKEN}"
    # A retry of that message after the late reply gets nothing more.
    assert (
        messages(text_to(sms_server, QUESTION, "SM" + "6" * 32, sender=f"whatsapp:{CITIZEN}")) == []
    )
    time.sleep(0.5)
    assert len(twilio_api.sent) == 1
    assert "5550123" not in caplog.text


def test_sms_sim_once_against_the_live_server(sms_server: LiveServer, tmp_path: Path) -> None:
    result = subprocess.run(
        [
            str(Path(sys.executable).with_name("citizen-assistant")),
            "sms-sim",
            "--url",
            sms_server.url,
            "--once",
            QUESTION,
        ],
        env={
            "PATH": "/usr/bin:/bin",
            "CA_TWILIO_AUTH_TOKEN": TOKEN,
            "CA_DATA_DIR": str(tmp_path),
            "HF_HUB_OFFLINE": "1",
        },
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parents[3],  # the repository
    )
    assert result.returncode == 0, result.stderr
    assert cites_renewal(result.stdout)
    assert "GSM-7" in result.stdout and "segment" in result.stdout
