"""The editors' desk: one object the web console, the staff API and the CLI call.

It builds the desk's parts over one database and one index store and passes each
request to the part that does it, so callers need not know how the desk is divided.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from assistant.editorial.catalogue import Catalogue
from assistant.editorial.diffs import text_changes
from assistant.editorial.drafts import Drafts
from assistant.editorial.preview import Preview
from assistant.editorial.proposals import Proposals
from assistant.editorial.publishing import Publishing, PublishResult
from assistant.editorial.reports import Reports
from assistant.editorial.views import (
    CitedDocumentOut,
    DocumentListOut,
    DocumentOut,
    DraftDiffOut,
    DraftOut,
    FeedbackDocumentOut,
    GapsOut,
    PreviewOut,
    ProposalsOut,
    RestoreOut,
    StaleDocumentOut,
    TranslationOut,
    VersionsOut,
)
from assistant.pipeline import TurnPipeline
from assistant.staff import AuditEntryOut, Staff
from knowledge_base.embeddings import Embedder
from knowledge_base.index_store import IndexStore
from knowledge_base.ingest import Ingestor
from knowledge_base.loaders import document_to_markdown


class EditorDesk:
    """What content editors can do, for the web console, the staff API and the CLI."""

    def __init__(
        self,
        *,
        engine: Engine,
        index_store: IndexStore,
        ingestor: Ingestor,
        staff: Staff,
        live_pipeline: TurnPipeline,
        pipeline_over: Callable[[IndexStore], TurnPipeline],
        embedder: Embedder,
        review_interval: timedelta,
        upload_max_bytes: int,
        today: Callable[[], date] = lambda: datetime.now(UTC).date(),
    ) -> None:
        sessions = sessionmaker(engine, expire_on_commit=False)
        self.index_store = index_store
        self.ingestor = ingestor
        self.staff = staff
        self.drafting = Drafts(
            sessions=sessions,
            index_store=index_store,
            staff=staff,
            upload_max_bytes=upload_max_bytes,
        )
        self.catalogue = Catalogue(
            index_store=index_store,
            drafts=self.drafting,
            review_interval=review_interval,
            today=today,
        )
        self.previews = Preview(
            index_store=index_store,
            ingestor=ingestor,
            drafts=self.drafting,
            live_pipeline=live_pipeline,
            pipeline_over=pipeline_over,
        )
        self.publishing = Publishing(
            sessions=sessions,
            index_store=index_store,
            ingestor=ingestor,
            drafts=self.drafting,
            staff=staff,
        )
        self.reports = Reports(sessions=sessions, embedder=embedder, catalogue=self.catalogue)
        self.proposals = Proposals(
            sessions=sessions, embedder=embedder, drafts=self.drafting, staff=staff
        )

    @property
    def upload_max_bytes(self) -> int:
        return self.drafting.upload_max_bytes

    @property
    def today(self) -> Callable[[], date]:
        return self.catalogue.today

    @today.setter
    def today(self, today: Callable[[], date]) -> None:
        # The catalogue is the one part that reads the date (the stale report asks it), so
        # moving the clock here moves it for every review deadline the desk shows.
        self.catalogue.today = today

    # ------------------------------------------------------------------ documents

    def documents(
        self,
        *,
        query: str | None = None,
        agency: str | None = None,
        topic: str | None = None,
        overdue_only: bool = False,
    ) -> DocumentListOut:
        """Live documents and new ones that exist only as drafts, filtered, by title."""
        return self.catalogue.documents(
            query=query, agency=agency, topic=topic, overdue_only=overdue_only
        )

    def document(self, doc_id: str) -> DocumentOut:
        """One document's summary, its live text as Markdown and its metadata."""
        return self.catalogue.document(doc_id)

    def review_due(self, last_reviewed: str | None, review_due: str | None) -> date | None:
        """The document's own review date, else ``last_reviewed`` plus the interval."""
        return self.catalogue.review_due(last_reviewed, review_due)

    # ------------------------------------------------------------------ drafts

    def drafts(self) -> list[DraftOut]:
        return self.drafting.listing()

    def draft(self, draft_id: str) -> DraftOut:
        return self.drafting.detail(draft_id)

    def draft_diff(self, draft_id: str) -> DraftDiffOut:
        """What publishing the draft changes in the live text (all of it, for a new one)."""
        draft = self.drafting.detail(draft_id)
        snapshot = self.index_store.snapshot()
        record = snapshot.manifest.documents.get(draft.doc_id) if snapshot else None
        live = snapshot.documents.get(draft.doc_id) if snapshot and record else None
        before = document_to_markdown(live) if live else ""
        after = "" if draft.action == "retire" else draft.markdown
        changes = text_changes(before, after)
        return DraftDiffOut(
            draft_id=draft.id,
            doc_id=draft.doc_id,
            action=draft.action,
            live=record is not None,
            title_before=record.title if record else None,
            title_after=None if draft.action == "retire" else draft.title,
            changes=changes,
            inserted=sum(len(c.text) for c in changes if c.op == "insert"),
            deleted=sum(len(c.text) for c in changes if c.op == "delete"),
        )

    def upload(
        self,
        filename: str,
        data: bytes,
        *,
        actor: str,
        doc_id: str | None = None,
        fields: dict[str, str] | None = None,
    ) -> tuple[DraftOut, bool]:
        """A draft from an uploaded file; (draft, created)."""
        return self.drafting.upload(filename, data, actor=actor, doc_id=doc_id, fields=fields)

    def paste(
        self,
        *,
        actor: str,
        title: str,
        markdown: str,
        doc_id: str | None = None,
        fields: dict[str, str] | None = None,
    ) -> tuple[DraftOut, bool]:
        """A draft from pasted text, or an edit of a live document when ``doc_id`` is live."""
        return self.drafting.paste(
            actor=actor, title=title, markdown=markdown, doc_id=doc_id, fields=fields
        )

    def update(
        self,
        draft_id: str,
        *,
        actor: str,
        title: str | None = None,
        markdown: str | None = None,
        fields: dict[str, str] | None = None,
    ) -> DraftOut:
        """Change an open draft's title, text or metadata."""
        return self.drafting.update(
            draft_id, actor=actor, title=title, markdown=markdown, fields=fields
        )

    def retire(self, doc_id: str, *, actor: str) -> tuple[DraftOut, bool]:
        """A draft that removes a live document when published."""
        return self.drafting.retire(doc_id, actor=actor)

    def discard(self, draft_id: str, *, actor: str) -> None:
        self.drafting.discard(draft_id, actor=actor)

    # ------------------------------------------------------------------ preview

    def preview(self, question: str, *, history: Sequence[str] = ()) -> PreviewOut:
        """The answer citizens get today beside the answer after publishing the open drafts."""
        return self.previews.answer(question, history=history)

    # ------------------------------------------------------------------ publishing

    def publish(self, *, actor: str, draft_ids: Sequence[str] | None = None) -> PublishResult:
        """Build the next version from live + drafts, switch to it, mark the drafts published."""
        return self.publishing.publish(actor=actor, draft_ids=draft_ids)

    def versions(self) -> VersionsOut:
        return self.publishing.versions()

    def restore(self, *, actor: str, version: str | None = None) -> RestoreOut:
        """Make ``version`` live again; without one, undo the last publish or restore."""
        return self.publishing.restore(actor=actor, version=version)

    def audit(self, *, limit: int = 100) -> list[AuditEntryOut]:
        return self.publishing.audit(limit=limit)

    # ------------------------------------------------------------------ caseworkers' answers

    def answer_proposals(self) -> ProposalsOut:
        """Caseworkers' answers offered for the knowledge base, grouped by similar question."""
        return self.proposals.listing()

    def draft_from_answers(
        self, proposal_ids: Sequence[str], *, actor: str, title: str | None = None
    ) -> DraftOut:
        """A new draft page from caseworkers' answers, for an editor to edit and publish."""
        return self.proposals.draft(proposal_ids, actor=actor, title=title)

    def dismiss_answer(self, proposal_id: str, *, actor: str) -> None:
        self.proposals.dismiss(proposal_id, actor=actor)

    # ------------------------------------------------------------------ reports

    def content_gaps(self, *, days: int = 30, max_questions: int = 5000) -> GapsOut:
        """Unanswered questions grouped by similarity, largest group first (redacted)."""
        return self.reports.content_gaps(days=days, max_questions=max_questions)

    def stale(self) -> list[StaleDocumentOut]:
        """Documents past their review date, most overdue first."""
        return self.reports.stale()

    def stale_translations(self, *, include_current: bool = False) -> list[TranslationOut]:
        """Translations older than the page they translate (or whose page is gone); with
        ``include_current``, every translation, the stale ones first."""
        return self.reports.stale_translations(include_current=include_current)

    def most_cited(self, *, days: int = 30, limit: int = 50) -> list[CitedDocumentOut]:
        return self.reports.most_cited(days=days, limit=limit)

    def feedback(self, *, days: int = 90) -> list[FeedbackDocumentOut]:
        return self.reports.feedback(days=days)
