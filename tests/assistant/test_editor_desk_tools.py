"""The editors' everyday tools on the real index and database (issue #19): searching the
text of documents, a draft's changes against the live text, and a gap report that counts
only questions about content."""

from __future__ import annotations

from assistant.container import Container
from assistant.editorial import EditorDesk
from assistant.turns import InboundMessage


def ids(desk: EditorDesk, query: str) -> list[str]:
    return [d.doc_id for d in desk.documents(query=query).documents]


def test_search_finds_words_that_only_the_text_of_a_document_says(container: Container) -> None:
    desk = container.editor_desk
    found = ids(desk, "vision test")
    # Neither title nor id says "vision"; both pages' text does (renewing: "a short vision
    # test at the counter"; a first licence: "The knowledge test and vision test").
    assert set(found) == {"renew-drivers-license", "get-a-learner-permit-and-first-license"}
    assert all("vision" not in d.title.lower() for d in desk.documents(query="vision").documents)
    # Every word must be in one passage: "vision" with a word no page says finds nothing.
    assert ids(desk, "vision zeppelin") == []
    # A title match still comes first, before pages that only mention the words.
    parking = ids(desk, "parking ticket")
    assert set(parking[:2]) == {"contest-a-parking-ticket", "pay-a-parking-ticket"}
    assert ids(desk, "renew-drivers")[0] == "renew-drivers-license"  # ids still match, first
    # Stemmed as questions are: "tests" finds "test".
    assert "renew-drivers-license" in ids(desk, "vision tests")


def test_a_draft_shows_what_it_changes_in_the_live_text(container: Container) -> None:
    desk = container.editor_desk
    live = desk.document("get-a-library-card")
    edited = live.markdown.replace("Fairhaven Public Library", "Fairhaven Free Library", 1)
    assert edited != live.markdown
    draft, _ = desk.paste(
        actor="eve",
        title=live.title,
        markdown=edited + "\n\nCards are free.\n",
        doc_id="get-a-library-card",
    )
    diff = desk.draft_diff(draft.id)
    assert diff.live and diff.action == "upsert" and diff.title_before == diff.title_after
    changed = [(c.op, c.text) for c in diff.changes if c.op != "equal"]
    assert ("delete", "Public") in changed and ("insert", "Free") in changed
    assert any(op == "insert" and "Cards are free." in text for op, text in changed)
    # Put together, the pieces give back both texts exactly.
    assert "".join(c.text for c in diff.changes if c.op != "insert") == live.markdown
    assert "".join(c.text for c in diff.changes if c.op != "delete") == draft.markdown
    assert diff.inserted == sum(len(t) for op, t in changed if op == "insert")

    retiring, _ = desk.retire("get-a-real-id", actor="eve")
    gone = desk.draft_diff(retiring.id)
    assert gone.action == "retire" and {c.op for c in gone.changes} == {"delete"}
    new, _ = desk.paste(actor="eve", title="Beekeeping", markdown="# Beekeeping\n\nBees.\n")
    added = desk.draft_diff(new.id)
    assert not added.live and added.title_before is None
    assert [c.op for c in added.changes] == ["insert"]


def test_the_gap_report_leaves_out_greetings_and_requests_for_a_person(
    container: Container,
) -> None:
    service = container.assistant
    # Nobody is on duty here, so asking for a person ends as "callback offered", a status
    # a real gap can end with too: the report must tell them apart by what was asked.
    for text in (
        "I want to talk to a person",
        "hello there",
        "How do I register my llama with the city?",
        "can I speak to a real person please",
    ):
        session = service.handle(InboundMessage(channel="web", text=text)).session_id
        service.handle(
            InboundMessage(channel="web", text="Where do I register a pet llama?"),
            session_id=session,
        )
    report = container.editor_desk.content_gaps(days=1)
    examples = [e for g in report.groups for e in g.examples]
    assert examples and all("llama" in e.lower() for e in examples), examples
    assert report.total == 5  # the four llama follow-ups and the one llama opener
