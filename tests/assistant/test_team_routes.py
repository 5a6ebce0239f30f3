"""The example routing that ships with the bundled knowledge base, and the summary a
caseworker reads first (issue #19), through real turns on the real index and database."""

from __future__ import annotations

import json
from pathlib import Path

from assistant.container import Container
from assistant.settings import Settings
from assistant.staff import Role
from assistant.turns import InboundMessage, Status
from knowledge_base.loaders import load_paths

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_ROUTES = ROOT / "deploy" / "team-routes.example.json"
PASSWORD = "a long enough password"


def routed(settings: Settings) -> Container:
    """Always staffed, one caseworker signed in, the example routes in force."""
    routes = json.loads(EXAMPLE_ROUTES.read_text("utf-8"))
    container = Container(
        settings.model_copy(update={"staff_hours": "always", "team_routes": routes})
    )
    container.staff.create(username="casey", password=PASSWORD, role=Role.CASEWORKER)
    assert container.staff.sign_in("casey", PASSWORD) is not None
    return container


def test_every_agency_of_the_bundled_knowledge_base_has_a_team() -> None:
    routes = json.loads(EXAMPLE_ROUTES.read_text("utf-8"))
    agencies = {d.agency for d in load_paths([ROOT / "knowledge_base" / "sample"]).documents}
    assert None not in agencies and agencies <= set(routes), agencies - set(routes)
    assert "General" not in routes.values()  # a route that sends to the default routes nothing


def test_a_licence_question_then_a_person_lands_in_the_dmv_queue(settings: Settings) -> None:
    container = routed(settings)
    service = container.assistant
    first = service.handle(InboundMessage("web", "How do I renew my driver's license?"))
    assert first.status is Status.ANSWERED
    reply = service.handle(InboundMessage("web", "talk to a person"), session_id=first.session_id)
    assert reply.status is Status.HANDOFF_REQUESTED
    handoff = container.handoffs.open_for(first.conversation_id)
    assert handoff is not None and handoff.team == "DMV"

    other = service.handle(InboundMessage("web", "How do I apply for SNAP food assistance?"))
    service.handle(InboundMessage("web", "I want to talk to a person"), session_id=other.session_id)
    benefits = container.handoffs.open_for(other.conversation_id)
    assert benefits is not None and benefits.team == "Benefits"


def test_the_summary_names_pages_by_title_and_quotes_each_message_once(
    settings: Settings,
) -> None:
    container = routed(settings)
    service = container.assistant
    question = "How do I renew my driver's license?"
    first = service.handle(InboundMessage("web", question))
    service.handle(InboundMessage("web", question + "  "), session_id=first.session_id)
    service.handle(InboundMessage("web", "talk to a person"), session_id=first.session_id)
    handoff = container.handoffs.open_for(first.conversation_id)
    assert handoff is not None
    summary = handoff.summary
    snapshot = container.index_store.snapshot()
    assert snapshot is not None
    title = snapshot.manifest.documents["renew-drivers-license"].title
    assert f"Pages discussed: {title}." in summary
    assert "renew-drivers-license" not in summary  # the title, not the id
    assert summary.count("renew my driver") == 1, summary
    assert "asked for a person" in summary and "talk to a person" not in summary
