"""The editors' desk on the real index, embedder and database: drafts to published answers."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from assistant.container import Container
from assistant.editorial import GAP_STATUSES, Conflict, EditorDesk, EditorialError, NotFound
from assistant.editorial.views import GapTrendOut, RestoreOut
from assistant.models import Message
from assistant.settings import Settings
from assistant.turns import InboundMessage, Status
from knowledge_base.chunking import Chunker
from knowledge_base.ingest import Ingestor
from knowledge_base.uploads import UploadRejected

BEES = """# Beekeeping permit

Residents of Fairhaven who keep honey bees need a beekeeping permit from the Animal
Services office.

## Fees

The beekeeping permit costs $25 a year. Hives must stand at least 25 feet from a
property line.
"""


@pytest.fixture
def desk(container: Container) -> EditorDesk:
    return container.editor_desk


def ask(container: Container, question: str) -> tuple[str, list[str]]:
    reply = container.ephemeral_assistant().handle(InboundMessage(channel="web", text=question))
    return str(reply.status), [c.doc_id for c in reply.citations]


def test_a_draft_is_previewed_published_seen_by_another_process_and_restored(
    desk: EditorDesk, container: Container, settings: Settings
) -> None:
    question = "How much does a beekeeping permit cost?"
    before = container.index_store.current_version()
    draft, created = desk.paste(actor="eve", title="Beekeeping permit", markdown=BEES)
    assert created and draft.doc_id == "beekeeping-permit" and draft.action == "upsert"

    # Citizens see nothing yet; the preview shows both sides.
    assert "beekeeping-permit" not in ask(container, question)[1]
    preview = desk.preview(question)
    assert preview.drafts == [draft.id]
    assert "beekeeping-permit" not in [c.doc_id for c in preview.live.reply.citations]
    assert preview.draft.status == "answered"
    assert preview.draft.reply.citations[0].doc_id == "beekeeping-permit"
    assert "$25" in preview.draft.reply.text
    assert preview.draft.passages[0].draft is True
    assert container.index_store.current_version() == before  # preview publishes nothing

    # Another process sharing the data dir (its own container, already warmed up).
    other = Container(settings)
    other.__dict__["embedder"] = container.embedder
    assert "beekeeping-permit" not in ask(other, question)[1]

    result = desk.publish(actor="eve")
    assert result.added == ["beekeeping-permit"] and result.previous_version == before
    assert result.embedded == 2  # only the new document's passages were embedded
    assert ask(container, question)[1][0] == "beekeeping-permit"
    assert ask(other, question)[1][0] == "beekeeping-permit"
    assert desk.drafts() == []

    undone = desk.restore(actor="eve")
    assert undone == RestoreOut(version=before, previous_version=result.version)
    assert "beekeeping-permit" not in ask(other, question)[1]
    # Restoring the newer version again brings it back (versions are immutable).
    assert desk.restore(actor="eve", version=result.version).version == result.version
    assert ask(other, question)[1][0] == "beekeeping-permit"

    actions = [e.action for e in desk.audit()]
    assert actions[:4] == ["kb.restore", "kb.restore", "kb.publish", "kb.draft.create"]
    history = desk.versions()
    assert history.live == result.version
    assert [p.action for p in history.publications] == ["restore", "restore", "publish"]


def test_editing_a_live_document_changes_only_that_document(
    desk: EditorDesk, container: Container
) -> None:
    live = desk.document("renew-drivers-license")
    assert live.live and live.markdown.startswith("# ")
    edited = live.markdown.replace("$42", "$46")
    assert edited != live.markdown
    draft, created = desk.paste(
        actor="eve", doc_id="renew-drivers-license", title=live.title, markdown=edited
    )
    assert created and draft.source_kind == "edit" and not draft.conflict
    assert draft.fields.agency == live.agency  # metadata carried over
    listed = desk.documents(query="renew").documents
    assert any(d.doc_id == "renew-drivers-license" and d.draft for d in listed)

    result = desk.publish(actor="eve")
    assert result.updated == ["renew-drivers-license"] and not result.added
    chunks = container.index_store.snapshot().rows_by_doc["renew-drivers-license"]  # type: ignore[union-attr]
    assert result.embedded == len(chunks)
    assert "$46" in desk.document("renew-drivers-license").markdown


def test_retire_then_publish_removes_the_document(desk: EditorDesk) -> None:
    draft, _ = desk.retire("renew-drivers-license", actor="eve")
    assert draft.action == "retire"
    with pytest.raises(Conflict):
        desk.update(draft.id, actor="eve", markdown="x")
    assert desk.publish(actor="eve").removed == ["renew-drivers-license"]
    with pytest.raises(NotFound):
        desk.document("renew-drivers-license")
    with pytest.raises(NotFound):
        desk.retire("renew-drivers-license", actor="eve")


def test_undo_goes_back_one_publish_at_a_time(desk: EditorDesk, container: Container) -> None:
    v0 = container.index_store.current_version()
    desk.paste(actor="eve", title="Beekeeping permit", markdown=BEES)
    v1 = desk.publish(actor="eve").version
    desk.retire("beekeeping-permit", actor="eve")
    v2 = desk.publish(actor="eve").version
    assert desk.restore(actor="eve") == RestoreOut(version=v1, previous_version=v2)
    assert desk.restore(actor="eve") == RestoreOut(version=v0, previous_version=v1)
    with pytest.raises(Conflict, match="no earlier version"):
        desk.restore(actor="eve")  # v0 came from ingesting the sample, not a publish


def test_an_edit_saved_while_a_publish_is_built_stays_a_draft(desk: EditorDesk) -> None:
    draft, _ = desk.paste(actor="eve", title="Beekeeping permit", markdown=BEES)
    build = desk.ingestor.prepare

    def edited_meanwhile(*args: Any, **kwargs: Any) -> Any:
        built = build(*args, **kwargs)
        desk.update(draft.id, actor="ann", markdown=BEES + "\nHives need a sign.\n")
        return built

    desk.ingestor.prepare = edited_meanwhile  # type: ignore[method-assign]
    assert desk.publish(actor="eve").added == ["beekeeping-permit"]
    desk.ingestor.prepare = build  # type: ignore[method-assign]
    still_open = desk.draft(draft.id)
    assert still_open.state == "draft" and "Hives need a sign." in still_open.markdown
    assert still_open.conflict is False  # it now builds on what went live
    assert "Hives need a sign." not in desk.document("beekeeping-permit").markdown
    assert desk.publish(actor="ann").updated == ["beekeeping-permit"]
    assert "Hives need a sign." in desk.document("beekeeping-permit").markdown


@pytest.mark.slow
def test_a_version_built_with_other_settings_is_not_restored(
    desk: EditorDesk, container: Container
) -> None:
    other = Ingestor(
        store=container.index_store,
        embedder=container.embedder,
        chunker=Chunker(chunk_size=600, chunk_overlap=0),
        options=container.ingestor.options,
    )
    live = container.index_store.current_version()
    snapshot = container.index_store.snapshot()
    assert snapshot is not None
    other.ingest([next(iter(snapshot.documents.values()))])  # re-chunks everything
    built_elsewhere = container.index_store.current_version()
    assert desk.restore(actor="eve", version=live).version == live
    with pytest.raises(Conflict, match="another embedding model or passage size"):
        desk.restore(actor="eve", version=built_elsewhere)
    assert container.index_store.current_version() == live


def test_kind_refusals(desk: EditorDesk) -> None:
    with pytest.raises(Conflict, match="no drafts"):
        desk.publish(actor="eve")
    with pytest.raises(Conflict, match="no earlier version"):
        desk.restore(actor="eve")
    with pytest.raises(NotFound):
        desk.restore(actor="eve", version="19990101T000000000000Z-1")
    with pytest.raises(EditorialError, match="title"):
        desk.paste(actor="eve", title="  ", markdown=BEES)
    with pytest.raises(EditorialError, match="no text"):
        desk.paste(actor="eve", title="Bees", markdown=" \n")
    with pytest.raises(EditorialError, match="date"):
        desk.paste(actor="eve", title="Bees", markdown=BEES, fields={"review_due": "soon"})
    with pytest.raises(EditorialError, match="https://"):
        desk.paste(actor="eve", title="Bees", markdown=BEES, fields={"url": "javascript:x"})
    with pytest.raises(EditorialError, match="a code such as en or es"):
        desk.paste(actor="eve", title="Bees", markdown=BEES, fields={"language": "English"})
    with pytest.raises(UploadRejected):
        desk.upload("bees.pdf", b"MZ\x90\x00 not a document", actor="eve")
    with pytest.raises(NotFound):
        desk.draft("nope")
    draft, _ = desk.paste(actor="eve", title="Bees", markdown=BEES)
    desk.discard(draft.id, actor="eve")
    with pytest.raises(Conflict):
        desk.discard(draft.id, actor="eve")
    with pytest.raises(NotFound):
        desk.publish(actor="eve", draft_ids=[draft.id])


def test_a_draft_is_marked_when_the_live_document_changed_after_it_was_started(
    desk: EditorDesk, container: Container
) -> None:
    live = desk.document("renew-drivers-license")
    mine, _ = desk.paste(
        actor="eve", doc_id="renew-drivers-license", title=live.title, markdown=live.markdown
    )
    bees, _ = desk.paste(actor="ann", title="Bees", markdown=BEES)
    desk.publish(actor="ann", draft_ids=[bees.id])  # another document: no conflict
    assert desk.draft(mine.id).conflict is False
    # An operator re-ingests the page from its source folder meanwhile.
    snapshot = container.index_store.snapshot()
    assert snapshot is not None
    current = snapshot.documents["renew-drivers-license"]
    changed = replace(current, text=current.text + "\nOffices close on public holidays.")
    container.ingestor.ingest([changed])
    assert desk.draft(mine.id).conflict is True
    assert desk.drafts()[0].conflict is True


def test_review_dates_and_the_stale_report(container: Container) -> None:
    container.settings.review_interval_days = 365
    desk = container.editor_desk
    desk.today = lambda: date(2031, 1, 1)  # far enough that every sample page is due
    stale = desk.stale()
    assert stale and all(row.overdue for row in stale)
    assert stale == sorted(stale, key=lambda r: -r.days_overdue)
    desk.paste(
        actor="eve",
        title="Beekeeping permit",
        markdown=BEES,
        fields={"last_reviewed": "2030-12-01", "review_due": "2031-06-01"},
    )
    desk.publish(actor="eve")
    listed = desk.documents(query="beekeeping").documents[0]
    assert listed.review_due == "2031-06-01" and not listed.overdue
    assert "beekeeping-permit" not in [r.doc_id for r in desk.stale()]
    desk.today = lambda: date(2031, 6, 2)
    assert "beekeeping-permit" in [r.doc_id for r in desk.stale()]
    assert desk.documents(overdue_only=True).documents


def test_content_gaps_group_similar_unanswered_questions_without_personal_data(
    container: Container,
) -> None:
    service = container.assistant
    asked = [
        "How do I register my llama with the city? my email is jane.doe@example.com",
        "where do I register a pet llama? I'm Dana Whitfield, I live at 88 Quarry Hill",
        "llama registration in Fairhaven?",
        "What is the capital of France?",
        "How do I renew my driver's license?",
    ]
    for text in asked:
        service.handle(InboundMessage(channel="web", text=text))
    report = container.editor_desk.content_gaps(days=7)
    assert report.total >= 4
    examples = [e for g in report.groups for e in g.examples]
    assert not any("jane.doe" in e or "example.com" in e for e in examples)
    assert not any("Whitfield" in e or "Quarry Hill" in e for e in examples)  # #15 gaps
    assert any("[NAME]" in e and "[ADDRESS]" in e for e in examples)
    assert not any("renew" in e.lower() for e in examples)  # it was answered
    llama = [g for g in report.groups if "llama" in g.label.lower()]
    assert len(llama) == 1 and llama[0].count == 3  # grouped by meaning
    assert llama[0].trend == GapTrendOut(this_week=3, last_week=0)
    assert report.groups[0] is llama[0]


def test_content_gaps_read_each_turns_stored_question_and_final_status(
    container: Container,
) -> None:
    """On SQLite with real turns: a gap is paired with the question its own turn stored
    (not an earlier or later one of the conversation), under the status the turn ended
    with after every stage, bringing in a person included."""
    service = container.assistant
    first = service.handle(
        InboundMessage(channel="web", text="How do I renew my driver's license?")
    )
    assert first.status is Status.ANSWERED
    session = first.session_id
    questions = ("What is the capital of France?", "Who won the 1998 football world cup?")
    replies = [
        service.handle(InboundMessage(channel="web", text=text), session_id=session)
        for text in questions
    ]
    with container.engine.connect() as connection:
        stored = connection.scalars(
            select(Message.status).where(Message.role == "assistant").order_by(Message.id)
        ).all()
    assert stored == [str(r.status) for r in (first, *replies)]
    report = container.editor_desk.content_gaps(days=1)
    found = {example: group.statuses for group in report.groups for example in group.examples}
    assert report.total == 2
    assert found == {q: {str(r.status): 1} for q, r in zip(questions, replies, strict=True)}
    assert all(r.status in GAP_STATUSES for r in replies)
    # The second unanswered question brought in a person: its stored status says so.
    assert str(replies[1].status).startswith("handoff_")


def test_most_cited_and_feedback_per_document(container: Container) -> None:
    service = container.assistant
    store = container.conversation_store
    first = service.handle(
        InboundMessage(channel="web", text="How do I renew my driver's license?")
    )
    service.handle(InboundMessage(channel="web", text="How do I renew my driver's license?"))
    cited = container.editor_desk.most_cited(days=1)
    assert cited[0].doc_id == first.citations[0].doc_id and cited[0].citations == 2
    assert store.add_feedback(
        first.conversation_id, helpful=False, comment="Call me on 555-123-4567"
    )
    report = container.editor_desk.feedback(days=1)
    entry = next(r for r in report if r.doc_id == first.citations[0].doc_id)
    assert entry.not_helpful == 1 and entry.helpful == 0
    assert "555" not in " ".join(entry.comments)
    assert store.add_feedback(first.conversation_id, helpful=True, comment=None)  # replaces it
    entry = next(r for r in container.editor_desk.feedback(days=1) if r.doc_id == entry.doc_id)
    assert (entry.helpful, entry.not_helpful) == (1, 0)
    unanswered = service.handle(
        InboundMessage(channel="web", text="What is the capital of France?")
    )
    assert not store.add_feedback(unanswered.conversation_id, helpful=True, comment=None)


def test_cli_drafts_publishes_and_restores(settings: Settings, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from assistant.cli import app

    runner = CliRunner()
    env = {"CA_DATA_DIR": str(settings.data_dir)}
    page = tmp_path / "bees.md"
    page.write_text(BEES, encoding="utf-8")
    added = runner.invoke(app, ["kb", "draft", str(page), "--agency", "Animal Services"], env=env)
    assert added.exit_code == 0, added.output
    assert "new draft" in added.output and "beekeeping-permit" in added.output
    listed = runner.invoke(app, ["kb", "drafts"], env=env)
    assert "beekeeping-permit" in listed.output
    preview = runner.invoke(app, ["kb", "preview", "beekeeping permit fee"], env=env)
    assert preview.exit_code == 0 and "After publishing" in preview.output
    published = runner.invoke(app, ["kb", "publish", "--as", "eve"], env=env)
    assert published.exit_code == 0 and "1 added" in published.output, published.output
    asked = runner.invoke(app, ["ask", "How much is a beekeeping permit?", "--json"], env=env)
    assert '"doc_id": "beekeeping-permit"' in asked.output
    restored = runner.invoke(app, ["kb", "restore"], env=env)
    assert restored.exit_code == 0 and "live again" in restored.output
    asked = runner.invoke(app, ["ask", "How much is a beekeeping permit?", "--json"], env=env)
    assert '"doc_id": "beekeeping-permit"' not in asked.output
    bad = tmp_path / "evil.pdf"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    refused = runner.invoke(app, ["kb", "draft", str(bad)], env=env)
    assert refused.exit_code == 1 and "PNG" in refused.output
    gaps = runner.invoke(app, ["kb", "report", "gaps"], env=env)
    assert gaps.exit_code == 0 and "unanswered question" in gaps.output
    assert runner.invoke(app, ["kb", "report", "nonsense"], env=env).exit_code == 1


def test_the_audit_log_names_who_did_what(desk: EditorDesk, container: Container) -> None:
    draft, _ = desk.paste(actor="eve", title="Beekeeping permit", markdown=BEES)
    desk.update(draft.id, actor="ann", fields={"agency": "Animal Services"})
    desk.publish(actor="ann")
    entries = desk.audit()
    assert [(e.actor, e.action, e.target) for e in entries[:3]] == [
        ("ann", "kb.publish", container.index_store.current_version()),
        ("ann", "kb.draft.update", "beekeeping-permit"),
        ("eve", "kb.draft.create", "beekeeping-permit"),
    ]
    assert all(e.action.startswith("kb.") for e in entries)
