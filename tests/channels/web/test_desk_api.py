"""The caseworker desk's API over a real server (issue #19): who sees and may change which
saved replies, search across conversations, the citizen's earlier conversations, and the
editor's search of document text and a draft's diff."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from assistant.container import Container
from assistant.settings import Settings
from assistant.staff import Role
from tests.conftest import LiveServer

PASSWORD = "a long enough password"


@pytest.fixture
def server(settings: Settings, container: Container) -> Iterator[LiveServer]:
    settings.staff_hours = "always"
    container.staff.create(username="sam", password=PASSWORD, role=Role.CASEWORKER, teams=["DMV"])
    container.staff.create(
        username="alex", password=PASSWORD, role=Role.CASEWORKER, teams=["General"]
    )
    container.staff.create(username="eve", password=PASSWORD, role=Role.EDITOR)
    with LiveServer(settings, container) as live:
        yield live


def sign_in(server: LiveServer, username: str) -> httpx.Client:
    return server.sign_in(username, PASSWORD)


def chat(server: LiveServer, message: str, session_id: str | None = None) -> dict[str, object]:
    return server.chat(message, session_id)


def titles(client: httpx.Client) -> list[str]:
    response = client.get("/api/staff/saved-replies")
    assert response.status_code == 200, response.text
    assert "reference" in response.json()["placeholders"]
    return [r["title"] for r in response.json()["replies"]]


def test_saved_replies_are_a_teams_or_ones_own(server: LiveServer) -> None:
    sam, alex = sign_in(server, "sam"), sign_in(server, "alex")
    own = sam.post("/api/staff/saved-replies", json={"title": "Mine", "body": "Hi {reference}"})
    assert own.status_code == 201 and own.json()["mine"] and own.json()["team"] is None
    team = sam.post(
        "/api/staff/saved-replies", json={"title": "Opening hours", "body": "8-6", "team": "DMV"}
    )
    assert team.status_code == 201 and team.json()["team"] == "DMV"
    assert titles(sam) == ["Mine", "Opening hours"]  # one's own first
    assert titles(alex) == []  # neither sam's own nor another team's
    refused = alex.post("/api/staff/saved-replies", json={"title": "x", "body": "y", "team": "DMV"})
    assert refused.status_code == 403
    hidden = alex.put(
        f"/api/staff/saved-replies/{own.json()['id']}", json={"title": "t", "body": "b"}
    )
    assert hidden.status_code == 404  # someone's own reply is not even said to exist
    assert alex.delete(f"/api/staff/saved-replies/{team.json()['id']}").status_code == 403
    changed = sam.put(
        f"/api/staff/saved-replies/{team.json()['id']}", json={"title": "Hours", "body": "8-5"}
    )
    assert changed.status_code == 200 and changed.json()["body"] == "8-5"
    assert sam.delete(f"/api/staff/saved-replies/{own.json()['id']}").status_code == 200
    assert titles(sam) == ["Hours"]
    blank = sam.post("/api/staff/saved-replies", json={"title": " ", "body": "b"})
    assert blank.status_code == 422
    anonymous = httpx.get(server.url + "/api/staff/saved-replies")
    assert anonymous.status_code == 401


def test_search_and_earlier_conversations(server: LiveServer) -> None:
    sam = sign_in(server, "sam")
    first = chat(server, "I want to talk to a real person about 100% of my refund_total")
    session = str(first["session_id"])
    handoff = first["handoff"]
    assert isinstance(handoff, dict)
    first_id = str(handoff["id"])
    assert sam.post(f"/api/staff/handoffs/{first_id}/claim").status_code == 200
    assert sam.post(f"/api/staff/handoffs/{first_id}/resolve").status_code == 200
    again = chat(server, "I need to speak to a person again", session)
    assert isinstance(again["handoff"], dict)
    second_id = str(again["handoff"]["id"])
    other = chat(server, "can I talk to a real person")
    assert isinstance(other["handoff"], dict)

    def found(**params: str) -> list[str]:
        response = sam.get("/api/staff/search", params=params)
        assert response.status_code == 200, response.text
        return [h["id"] for h in response.json()]

    # What was said in a conversation finds its handoffs, and only its own.
    same = {first_id, second_id}
    assert set(found(q="100%")) == same
    assert found(q="1%0") == []  # % is a character here, not a wildcard
    assert set(found(q="REFUND")) == same
    assert found(q="refund", state="resolved") == [first_id]
    assert found(q="refund", state="waiting") == [second_id]
    assert found(reference=first_id[:6].upper()) == [first_id]
    assert set(found(q="person")) == {first_id, second_id, str(other["handoff"]["id"])}
    assert found(q="person", to="2020-01-01") == []
    assert sam.get("/api/staff/search", params={"state": "lost"}).status_code == 422

    earlier = sam.get(f"/api/staff/handoffs/{second_id}/earlier")
    assert earlier.status_code == 200
    assert [h["id"] for h in earlier.json()] == [first_id]  # not the other citizen's
    assert sam.get("/api/staff/handoffs/nope/earlier").status_code == 404


def test_editor_search_finds_a_word_only_in_the_text_and_a_draft_has_its_diff(
    server: LiveServer,
) -> None:
    eve = sign_in(server, "eve")
    listed = eve.get("/api/editor/documents", params={"q": "vision test"}).json()["documents"]
    assert {d["doc_id"] for d in listed} == {
        "renew-drivers-license",
        "get-a-learner-permit-and-first-license",
    }
    live = eve.get("/api/editor/documents/renew-drivers-license").json()
    draft = eve.post(
        "/api/editor/drafts",
        json={
            "doc_id": "renew-drivers-license",
            "title": live["title"],
            "markdown": live["markdown"].replace("short vision test", "short eye test"),
        },
    )
    assert draft.status_code in (200, 201), draft.text
    diff = eve.get(f"/api/editor/drafts/{draft.json()['id']}/diff")
    assert diff.status_code == 200
    changes = [(c["op"], c["text"]) for c in diff.json()["changes"] if c["op"] != "equal"]
    assert changes == [("delete", "vision"), ("insert", "eye")]
    assert eve.get("/api/editor/drafts/nope/diff").status_code == 404
