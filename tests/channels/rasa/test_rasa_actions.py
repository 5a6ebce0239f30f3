"""The real rasa-sdk action server, started as Rasa would run it, called over HTTP."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import free_port

pytestmark = pytest.mark.slow

SENDER = "+15555550123"  # Rasa's Twilio channel uses the phone number as sender id
RENEW_URL = "https://dmv.westmark.example/licenses/renew"
DOMAIN: dict[str, Any] = {
    "slots": {
        name: {"type": "any", "mappings": [{"type": "custom"}]}
        for name in (
            "ca_status",
            "ca_confidence",
            "ca_sources",
            "ca_handoff_proposed",
            "ca_handoff_requested",
            "ca_handoff_id",
            "ca_offer_made",
        )
    },
    "actions": ["action_answer_from_knowledge_base", "action_handoff_to_caseworker"],
}


@contextmanager
def _action_server(
    sample_data_dir: Path, tmp_path_factory: pytest.TempPathFactory, **settings: str
) -> Iterator[tuple[str, Path]]:
    """A real rasa-sdk action server over a copy of the sample data dir (``settings``: more
    ``CA_`` variables)."""
    data_dir = tmp_path_factory.mktemp("rasa") / "data"
    shutil.copytree(sample_data_dir, data_dir)
    port = free_port()
    env = {
        **os.environ,
        "SANIC_HOST": "127.0.0.1",
        "CA_DATA_DIR": str(data_dir),
        "CA_ENVIRONMENT": "test",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        **settings,
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "rasa_sdk",
            "--actions",
            "channels.rasa.actions",
            "--port",
            str(port),
        ],
        env=env,
        cwd=Path(__file__).resolve().parents[3],  # the repository
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(url + "/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise RuntimeError("the action server did not start")
        yield url, data_dir
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.fixture(scope="module")
def action_server(
    sample_data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path]]:
    with _action_server(sample_data_dir, tmp_path_factory) as server:
        yield server


def user(text: str, message_id: str | None = None) -> dict[str, Any]:
    event = {"event": "user", "text": text, "parse_data": {"intent": {"name": "ask"}}}
    if message_id:
        event["message_id"] = message_id
    return event


def call(
    url: str, action: str, events: list[dict[str, Any]], *, sender: str = SENDER
) -> dict[str, Any]:
    latest = next(e for e in reversed(events) if e["event"] == "user")
    message = {"text": latest["text"], "intent": {"name": "ask"}}
    if "message_id" in latest:
        message["message_id"] = latest["message_id"]
    payload = {
        "next_action": action,
        "sender_id": sender,
        "tracker": {
            "sender_id": sender,
            "slots": {},
            "latest_message": message,
            "events": events,
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        },
        "domain": DOMAIN,
        "version": "3.21.1",
    }
    response = httpx.post(url + "/webhook", json=payload, timeout=120)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def slots(body: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in body["events"] if e["event"] == "slot"}


def test_a_follow_up_is_answered_with_the_tracker_history_and_a_link(
    action_server: tuple[str, Path],
) -> None:
    url, _ = action_server
    first = call(
        url, "action_answer_from_knowledge_base", [user("How do I renew my driver's license?")]
    )
    [answer] = first["responses"]
    assert RENEW_URL in answer["text"] and "[1]" not in answer["text"]
    assert slots(first)["ca_status"] == "answered"
    assert slots(first)["ca_sources"] == [RENEW_URL]
    assert 0 < slots(first)["ca_confidence"] <= 1
    assert "ca_handoff_proposed" not in slots(first)

    # Rasa keeps the extra utter_message keys as the bot event's metadata.
    bot = {
        "event": "bot",
        "text": answer["text"],
        "metadata": {"ca_status": answer["ca_status"], "ca_doc_ids": answer["ca_doc_ids"]},
    }
    history = [user("How do I renew my driver's license?"), bot, user("how much does it cost?")]
    follow = call(url, "action_answer_from_knowledge_base", history)
    assert slots(follow)["ca_status"] == "answered"
    assert slots(follow)["ca_sources"][0] == RENEW_URL
    # Without the history the same words are about something else, or nothing.
    alone = call(url, "action_answer_from_knowledge_base", [user("how much does it cost?")])
    assert slots(alone)["ca_sources"][:1] != [RENEW_URL]


def test_an_unanswerable_question_offers_a_person(action_server: tuple[str, Path]) -> None:
    url, _ = action_server
    body = call(url, "action_answer_from_knowledge_base", [user("What is the capital of France?")])
    assert slots(body)["ca_status"].startswith("unanswerable_")
    assert slots(body)["ca_sources"] == []
    assert slots(body)["ca_handoff_proposed"] is True
    texts = [r["text"] for r in body["responses"]]
    assert texts[-1] == "Would you like to talk to a person about this?"


@pytest.fixture(scope="module")
def unsure_action_server(
    sample_data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """An action server that declines every answer and offers each page."""
    with _action_server(
        sample_data_dir, tmp_path_factory, CA_MIN_CONFIDENCE="1", CA_OFFER_MIN_CONFIDENCE="0"
    ) as (url, _):
        yield url


def test_did_you_mean_and_the_yes_go_through_the_tracker(unsure_action_server: str) -> None:
    url = unsure_action_server
    question = user("How do I renew my driver's license?")
    offered = call(url, "action_answer_from_knowledge_base", [question])
    [said] = offered["responses"]  # no "Would you like to talk to a person?" beside it
    assert 'Did you mean "Renew your driver\'s license"?' in said["text"]  # plain text
    assert said["ca_offered"] == "renew-drivers-license"
    assert slots(offered)["ca_offer_made"] is True
    assert slots(offered)["ca_handoff_proposed"] is False

    bot = {
        "event": "bot",
        "text": said["text"],
        "metadata": {k: said[k] for k in ("ca_status", "ca_doc_ids", "ca_offered")},
    }
    taken = call(url, "action_answer_from_knowledge_base", [question, bot, user("yes")])
    assert slots(taken)["ca_status"] == "answered"
    assert slots(taken)["ca_sources"] == [RENEW_URL]
    assert slots(taken)["ca_offer_made"] is False


def test_a_message_rasa_sends_again_is_answered_again_but_stored_once(
    action_server: tuple[str, Path],
) -> None:
    url, data_dir = action_server
    sender = "+15555550144"
    events = [user("How do I renew my driver's license?", message_id="rasa-msg-1")]
    first = call(url, "action_answer_from_knowledge_base", events, sender=sender)
    again = call(url, "action_answer_from_knowledge_base", events, sender=sender)
    assert again["responses"][0]["text"] == first["responses"][0]["text"]
    with sqlite3.connect(data_dir / "assistant.db") as db:
        stored = db.execute(
            "SELECT COUNT(*) FROM messages WHERE channel = 'rasa' AND external_id = 'rasa-msg-1'"
        ).fetchone()[0]
    assert stored == 1


def test_handoff_opens_a_queue_item_with_the_redacted_transcript(
    action_server: tuple[str, Path],
) -> None:
    url, data_dir = action_server
    sender = "+15555550177"
    events = [
        user("my number is 555-867-5309, can I renew online?"),
        {"event": "bot", "text": "Yes, you can renew online.", "metadata": {}},
        user("I want to talk to a person"),
    ]
    body = call(url, "action_handoff_to_caseworker", events, sender=sender)
    handoff_id = slots(body)["ca_handoff_id"]
    assert slots(body) == {"ca_handoff_requested": True, "ca_handoff_id": handoff_id}
    assert "call 311" in body["responses"][0]["text"]
    # Asking again does not queue the citizen twice.
    again = call(url, "action_handoff_to_caseworker", events, sender=sender)
    assert slots(again)["ca_handoff_id"] == handoff_id
    # What the citizen writes next goes to the caseworker, not to the assistant.
    later = [*events, {"event": "bot", "text": body["responses"][0]["text"]}]
    later.append(user("it is about my renewal"))
    waiting = call(url, "action_answer_from_knowledge_base", later, sender=sender)
    assert slots(waiting)["ca_status"] == "handoff_waiting"
    assert "number 1" in waiting["responses"][0]["text"]

    with sqlite3.connect(data_dir / "assistant.db") as db:
        [handoff] = db.execute(
            "SELECT conversation_id, state, reason, channel, summary FROM handoffs WHERE id = ?",
            (handoff_id,),
        ).fetchall()
        conversation_key = db.execute(
            "SELECT conversation_key FROM conversations WHERE id = ?", (handoff[0],)
        ).fetchone()[0]
        rows = db.execute(
            "SELECT role, text, status FROM messages WHERE conversation_id = ? ORDER BY id",
            (handoff[0],),
        ).fetchall()
        dump = "\n".join(db.iterdump())
    assert handoff[1:4] == ("waiting", "requested", "rasa")
    assert "renew online" in handoff[4] and "867-5309" not in handoff[4]
    roles = ["citizen", "assistant", "citizen", "assistant", "citizen", "assistant"]
    assert [r[0] for r in rows] == roles
    assert rows[4][1] == "it is about my renewal" and rows[5][2] == "handoff_waiting"
    assert "[PHONE]" in rows[0][1] and "867-5309" not in dump
    assert rows[3][2] == "handoff_requested"
    assert sender not in dump and len(conversation_key) == 64
