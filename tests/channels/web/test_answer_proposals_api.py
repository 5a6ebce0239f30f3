"""Caseworkers' answers become drafts (issue #18, part 4), over a real server.

A citizen asks something the knowledge base cannot answer and asks for a person; the
caseworker answers, and marks the answer as worth adding as they resolve. Editors see it,
with nothing personal left, grouped with a near-duplicate question from another
conversation; they make a draft of the group, publish it, and the assistant then answers
the question from it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from assistant.container import Container
from assistant.settings import Settings
from assistant.staff import Role
from tests.conftest import LiveServer

PASSWORD = "a long enough password"

# Everything personal in the conversation: none of it may reach an editor.
PERSONAL = [
    "jane.doe",
    "example.com",
    "Maria",
    "Sam",
    "Rivera",
    "555-123-4567",
    "1234567",
    "123-45-6789",
    "4111",
    "14 Elm",
]
LLAMA = "my email is jane.doe@example.com, how do I register a pet llama?"
LLAMA_AGAIN = "Where can I register my llama?"
LIGHTHOUSE = "Can I get married at the old lighthouse?"
ANSWER = (
    "Hi Maria, this is Sam Rivera from the city.\n\n"
    "You register a pet llama with Fairhaven Animal Services. Llama registration costs $15 "
    "a year, and you can apply online at fairhaven.example/animals/llama. Bring proof that "
    "the llama is vaccinated against rabies.\n\n"
    "I see your SSN is 123-45-6789 and you live at 14 Elm Street, so you are in the city. "
    "Call me on 555-123-4567 about account number 1234567 or card 4111 1111 1111 1111.\n\n"
    "Thanks, Sam"
)


@pytest.fixture
def server(settings: Settings, container: Container) -> Iterator[LiveServer]:
    settings.staff_hours = "always"
    container.staff.create(
        username="sam",
        password=PASSWORD,
        role=Role.CASEWORKER,
        display_name="Sam Rivera",
        teams=["General"],
    )
    container.staff.create(username="eve", password=PASSWORD, role=Role.EDITOR)
    with LiveServer(settings, container) as live:
        yield live


def sign_in(server: LiveServer, username: str) -> httpx.Client:
    return server.sign_in(username, PASSWORD)


def chat(server: LiveServer, message: str, session_id: str | None = None) -> dict[str, Any]:
    return server.chat(message, session_id)


def handed_over(server: LiveServer, question: str) -> str:
    """A conversation the assistant could not answer, then handed to a person: its handoff."""
    first = chat(server, question)
    assert first["status"].startswith("unanswerable_"), first
    person = chat(server, "I want to talk to a person", str(first["session_id"]))
    assert isinstance(person["handoff"], dict), person
    return str(person["handoff"]["id"])


def answer_and_resolve(
    sam: httpx.Client, handoff_id: str, text: str, *, propose: bool = True
) -> httpx.Response:
    assert sam.post(f"/api/staff/handoffs/{handoff_id}/claim").status_code == 200
    sent = sam.post(f"/api/staff/handoffs/{handoff_id}/reply", json={"text": text})
    assert sent.status_code == 200, sent.text
    return sam.post(f"/api/staff/handoffs/{handoff_id}/resolve", json={"propose_answer": propose})


def test_a_marked_answer_becomes_a_grouped_draft_with_nothing_personal_and_then_an_answer(
    server: LiveServer,
) -> None:
    sam, eve = sign_in(server, "sam"), sign_in(server, "eve")
    resolved = answer_and_resolve(sam, handed_over(server, LLAMA), ANSWER)
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["state"] == "resolved"
    again = handed_over(server, LLAMA_AGAIN)
    assert answer_and_resolve(sam, again, "Register it with Animal Services.").status_code == 200
    other = handed_over(server, LIGHTHOUSE)
    wedding = "Weddings at the lighthouse are booked through Parks and Recreation."
    assert answer_and_resolve(sam, other, wedding).status_code == 200
    # Resolved without marking: not offered.
    unmarked = handed_over(server, "Can my goat graze in the city park?")
    assert answer_and_resolve(sam, unmarked, "No.", propose=False).status_code == 200

    listing = eve.get("/api/editor/proposals")
    assert listing.status_code == 200, listing.text
    body = listing.json()
    assert body["total"] == 3
    # Near-duplicate questions are one group; the lighthouse is another.
    groups = {g["label"]: g for g in body["groups"]}
    assert [g["count"] for g in body["groups"]] == [2, 1]
    llama = body["groups"][0]
    assert {p["question"] for p in llama["proposals"]} == {
        "my email is [EMAIL], how do I register a pet llama?",
        LLAMA_AGAIN,
    }
    assert LIGHTHOUSE in groups
    assert all(s.startswith("unanswerable_") for s in llama["statuses"])
    text = listing.text
    for personal in PERSONAL:
        assert personal not in text, personal
    first = next(p for p in llama["proposals"] if "pet llama" in p["question"])
    assert first["answer"].startswith("You register a pet llama with Fairhaven Animal Services.")
    assert "[PHONE]" in first["answer"] and "[SSN]" in first["answer"]
    assert first["proposed_by"] == "sam"

    # The content gaps say which of their questions have an answer waiting.
    def offered_in_gaps() -> int:
        gaps = eve.get("/api/editor/reports/gaps").json()["groups"]
        return sum(g["answers_offered"] for g in gaps)

    assert offered_in_gaps() == 3

    ids = [p["id"] for p in llama["proposals"]]
    made = eve.post("/api/editor/proposals/draft", json={"proposal_ids": ids})
    assert made.status_code == 201, made.text
    draft = made.json()
    assert draft["source_kind"] == "caseworkers"
    # Titled by the group's most typical question, without "my email is [EMAIL]".
    assert llama["label"] in (LLAMA_AGAIN, "my email is [EMAIL], how do I register a pet llama?")
    assert draft["title"] in (LLAMA_AGAIN, "How do I register a pet llama?")
    assert draft["doc_id"] in (
        "faq-where-can-i-register-my-llama",
        "faq-how-do-i-register-a-pet-llama",
    )
    assert "Fairhaven Animal Services" in draft["markdown"]
    assert any("[NAME]" in w for w in draft["warnings"])  # reword what was removed
    assert any("joins 2" in w for w in draft["warnings"])
    for personal in PERSONAL:
        assert personal not in made.text, personal
    # Drafted answers leave the list, and cannot be drafted twice.
    assert [g["label"] for g in eve.get("/api/editor/proposals").json()["groups"]] == [LIGHTHOUSE]
    twice = eve.post("/api/editor/proposals/draft", json={"proposal_ids": ids})
    assert twice.status_code == 409
    assert offered_in_gaps() == 1  # the lighthouse's

    # The editor keeps the right answer, and publishing makes the assistant answer.
    before = chat(server, "How do I register a pet llama?")
    assert before["status"] != "answered", before
    kept = next(p for p in draft["markdown"].split("\n\n") if p.startswith("You register"))
    edited = eve.put(f"/api/editor/drafts/{draft['id']}", json={"markdown": kept})
    assert edited.status_code == 200, edited.text
    published = eve.post("/api/editor/publish", json={"draft_ids": [draft["id"]]})
    assert published.status_code == 200, published.text
    after = chat(server, "How do I register a pet llama?")
    assert after["status"] == "answered", after
    assert draft["doc_id"] in [c["doc_id"] for c in after["reply"]["citations"]]
    assert "Animal Services" in after["reply"]["text"]


def test_offering_is_refused_kindly_without_an_answer_and_only_editors_see_offers(
    server: LiveServer,
) -> None:
    sam, eve = sign_in(server, "sam"), sign_in(server, "eve")
    handoff_id = handed_over(server, LLAMA)
    assert sam.post(f"/api/staff/handoffs/{handoff_id}/claim").status_code == 200
    refused = sam.post(f"/api/staff/handoffs/{handoff_id}/resolve", json={"propose_answer": True})
    assert refused.status_code == 422
    assert "Reply to the citizen first" in refused.json()["detail"]
    detail = sam.get(f"/api/staff/handoffs/{handoff_id}")
    assert detail.json()["state"] == "claimed"  # still open: nothing half done
    # Greetings alone hold no answer.
    sam.post(f"/api/staff/handoffs/{handoff_id}/reply", json={"text": "Hello Jane, thanks!"})
    empty = sam.post(f"/api/staff/handoffs/{handoff_id}/resolve", json={"propose_answer": True})
    assert empty.status_code == 422, empty.text
    assert "no answer" in empty.json()["detail"]
    sam.post(f"/api/staff/handoffs/{handoff_id}/reply", json={"text": "Ask Animal Services."})
    assert (
        sam.post(
            f"/api/staff/handoffs/{handoff_id}/resolve", json={"propose_answer": True}
        ).status_code
        == 200
    )

    assert httpx.get(server.url + "/api/editor/proposals").status_code == 401
    assert sam.get("/api/editor/proposals").status_code == 403
    offered = eve.get("/api/editor/proposals").json()["groups"][0]["proposals"][0]
    assert offered["answer"] == "Ask Animal Services."
    assert eve.post("/api/editor/proposals/draft", json={"proposal_ids": []}).status_code == 422
    assert (
        eve.post("/api/editor/proposals/draft", json={"proposal_ids": ["nope"]}).status_code == 404
    )
    assert eve.delete(f"/api/editor/proposals/{offered['id']}").status_code == 200
    assert eve.get("/api/editor/proposals").json() == {"total": 0, "groups": []}
    assert eve.delete(f"/api/editor/proposals/{offered['id']}").status_code == 409
