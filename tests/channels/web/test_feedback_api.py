"""``POST /api/chat/feedback`` over HTTP against a real server, checked in the real database.

A citizen says whether the latest answer helped; editors later read the verdicts per cited
document, so each test looks at what was stored (the verdict, the redacted comment and the
documents the answer cited), not only at the status code.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.container import Container
from assistant.models import AnswerFeedback, Message
from assistant.store import conversation_id_for
from tests.conftest import LiveServer

LICENSE = "How do I renew my driver's license?"
UNANSWERABLE = "What is the capital of France?"


@pytest.fixture
def client(live_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server.url, timeout=30) as client:
        yield client


def ask(client: httpx.Client, message: str, session_id: str | None = None) -> dict[str, Any]:
    response = client.post("/api/chat", json={"message": message, "session_id": session_id})
    assert response.status_code == 200, response.text
    return response.json()


def cited_doc_ids(reply: dict[str, Any]) -> list[str]:
    return list(dict.fromkeys(c["doc_id"] for c in reply["reply"]["citations"]))


def stored_feedback(container: Container, session_id: str) -> list[tuple[AnswerFeedback, str]]:
    """Every verdict of one conversation, with the text of the answer it is about."""
    with Session(container.conversation_store.engine) as session:
        rows = session.execute(
            select(AnswerFeedback, Message.text)
            .join(Message, AnswerFeedback.message_id == Message.id)
            .where(Message.conversation_id == conversation_id_for(session_id))
            .order_by(AnswerFeedback.id)
        ).all()
        return [(feedback, text) for feedback, text in rows]


def test_a_verdict_is_stored_with_the_cited_documents_and_a_second_replaces_it(
    client: httpx.Client, container: Container
) -> None:
    answer = ask(client, LICENSE)
    assert answer["status"] == "answered"
    doc_ids = cited_doc_ids(answer)
    assert doc_ids and "renew-drivers-license" in doc_ids

    said = client.post(
        "/api/chat/feedback", json={"session_id": answer["session_id"], "helpful": True}
    )
    assert said.status_code == 200 and said.json() == {"ok": True}
    [(feedback, text)] = stored_feedback(container, answer["session_id"])
    assert text == answer["reply"]["text"]
    assert (feedback.helpful, feedback.comment, feedback.doc_ids) == (True, None, doc_ids)

    again = client.post(
        "/api/chat/feedback",
        json={"session_id": answer["session_id"], "helpful": False, "comment": "  Too short. "},
    )
    assert again.status_code == 200
    [(feedback, _)] = stored_feedback(container, answer["session_id"])
    assert (feedback.helpful, feedback.comment, feedback.doc_ids) == (False, "Too short.", doc_ids)


def test_the_verdict_is_about_the_latest_answer(client: httpx.Client, container: Container) -> None:
    first = ask(client, LICENSE)
    session_id = first["session_id"]
    assert client.post(
        "/api/chat/feedback", json={"session_id": session_id, "helpful": True}
    ).is_success
    follow = ask(client, "how much does it cost?", session_id)
    assert follow["status"] == "answered"
    assert follow["reply"]["text"] != first["reply"]["text"]

    said = client.post("/api/chat/feedback", json={"session_id": session_id, "helpful": False})
    assert said.status_code == 200
    stored = stored_feedback(container, session_id)
    assert [(f.helpful, f.doc_ids, text) for f, text in stored] == [
        (True, cited_doc_ids(first), first["reply"]["text"]),
        (False, cited_doc_ids(follow), follow["reply"]["text"]),
    ]


def test_personal_details_in_a_comment_are_stored_redacted(
    client: httpx.Client, container: Container
) -> None:
    answer = ask(client, LICENSE)
    said = client.post(
        "/api/chat/feedback",
        json={
            "session_id": answer["session_id"],
            "helpful": False,
            "comment": "No fees listed. Write to jane.doe@example.org or call 555-123-4567",
        },
    )
    assert said.status_code == 200
    [(feedback, _)] = stored_feedback(container, answer["session_id"])
    assert feedback.comment is not None
    assert "jane.doe" not in feedback.comment and "example.org" not in feedback.comment
    assert "555" not in feedback.comment
    assert "[EMAIL]" in feedback.comment and feedback.comment.startswith("No fees listed.")


def test_no_answer_to_give_feedback_on_is_a_404(client: httpx.Client, container: Container) -> None:
    unknown = client.post("/api/chat/feedback", json={"session_id": "no-such", "helpful": True})
    assert unknown.status_code == 404
    assert "no answer" in unknown.json()["detail"].lower()

    unanswered = ask(client, UNANSWERABLE)
    assert unanswered["status"].startswith("unanswerable_")
    refused = client.post(
        "/api/chat/feedback",
        json={"session_id": unanswered["session_id"], "helpful": False, "comment": "Nothing"},
    )
    assert refused.status_code == 404 and refused.json()["detail"]
    assert stored_feedback(container, unanswered["session_id"]) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "helpful"),
        ({"helpful": None}, "helpful"),
        ({"helpful": "yes"}, "helpful"),
        ({"helpful": "true"}, "helpful"),
        ({"helpful": 1}, "helpful"),
        ({"helpful": False, "comment": "x" * 2001}, "comment"),
        ({"helpful": False, "comment": 42}, "comment"),
    ],
)
def test_a_malformed_body_is_a_422_and_stores_nothing(
    client: httpx.Client, container: Container, body: dict[str, Any], field: str
) -> None:
    answer = ask(client, LICENSE)  # a conversation that could take feedback
    response = client.post("/api/chat/feedback", json={"session_id": answer["session_id"], **body})
    assert response.status_code == 422, response.text
    assert field in {str(part) for error in response.json()["detail"] for part in error["loc"]}
    assert stored_feedback(container, answer["session_id"]) == []


def test_a_missing_session_or_broken_json_is_a_422(client: httpx.Client) -> None:
    assert client.post("/api/chat/feedback", json={"helpful": True}).status_code == 422
    broken = client.post(
        "/api/chat/feedback", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert broken.status_code == 422


def test_a_comment_of_exactly_the_limit_is_accepted(
    client: httpx.Client, container: Container
) -> None:
    answer = ask(client, LICENSE)
    comment = ("Too vague. " * 182)[:2000]
    assert len(comment) == 2000 and comment == comment.strip()
    said = client.post(
        "/api/chat/feedback",
        json={"session_id": answer["session_id"], "helpful": False, "comment": comment},
    )
    assert said.status_code == 200, said.text
    [(feedback, _)] = stored_feedback(container, answer["session_id"])
    assert feedback.comment == comment
