"""The real rasa-sdk action server, started as Rasa would run it, called over HTTP."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
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
        )
    },
    "actions": ["action_answer_from_knowledge_base", "action_handoff_to_caseworker"],
}


@pytest.fixture(scope="module")
def action_server(
    sample_data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path]]:
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
        cwd=Path(__file__).resolve().parents[2],
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


def user(text: str) -> dict[str, Any]:
    return {"event": "user", "text": text, "parse_data": {"intent": {"name": "ask"}}}


def call(url: str, action: str, events: list[dict[str, Any]]) -> dict[str, Any]:
    latest = next(e for e in reversed(events) if e["event"] == "user")
    payload = {
        "next_action": action,
        "sender_id": SENDER,
        "tracker": {
            "sender_id": SENDER,
            "slots": {},
            "latest_message": {"text": latest["text"], "intent": {"name": "ask"}},
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


def test_handoff_stores_the_redacted_transcript_and_gives_the_contact(
    action_server: tuple[str, Path],
) -> None:
    url, data_dir = action_server
    events = [
        user("my number is 555-867-5309, can I renew online?"),
        {"event": "bot", "text": "Yes, you can renew online.", "metadata": {}},
        user("I want to talk to a person"),
    ]
    body = call(url, "action_handoff_to_caseworker", events)
    assert slots(body) == {"ca_handoff_requested": True}
    assert "call 311" in body["responses"][0]["text"]
    with sqlite3.connect(data_dir / "assistant.db") as db:
        conversations = db.execute(
            "SELECT id, conversation_key FROM conversations WHERE channel = 'rasa'"
        ).fetchall()
        assert len(conversations) == 1
        rows = db.execute(
            "SELECT role, text, status FROM messages WHERE conversation_id = ? ORDER BY id",
            (conversations[0][0],),
        ).fetchall()
        dump = "\n".join(db.iterdump())
    assert [r[0] for r in rows] == ["citizen", "assistant", "citizen", "assistant"]
    assert "[PHONE]" in rows[0][1] and "867-5309" not in dump
    assert rows[-1][2] == "handoff_requested"
    assert SENDER not in dump and len(conversations[0][1]) == 64
