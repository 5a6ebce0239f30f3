"""Content editing: drafts, preview, publishing, restoring, and the editors' reports.

Every change to the knowledge base starts as a :class:`~assistant.models.Draft` row (a
new or edited document as Markdown plus metadata, or retiring a document). Citizens see
nothing of it until :meth:`EditorDesk.publish` builds the next index version from the
live one plus the drafts — embedding only the documents that changed — and switches to
it atomically; every process sharing the index folder answers from it on its next
request. :meth:`EditorDesk.restore` points the live version back at an earlier one.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from assistant.models import AnswerFeedback, Draft, Message, Publication, aware, utcnow
from assistant.pipeline import TurnPipeline
from assistant.redaction import redact
from assistant.staff import Staff
from assistant.turns import InboundMessage, PastTurn, Status, TurnContext
from knowledge_base.documents import Document
from knowledge_base.embeddings import Embedder
from knowledge_base.index_store import DocumentRecord, IndexSnapshot, IndexStore
from knowledge_base.ingest import Ingestor
from knowledge_base.loaders import (
    UnreadableDocument,
    document_to_markdown,
    markdown_with_front_matter,
    parse_markdown,
    slugify,
)
from knowledge_base.metadata import DocumentMetadata, InvalidMetadata
from knowledge_base.uploads import (
    DRAFT_FIELDS,
    UploadedDraft,
    check_size,
    read_pasted,
    read_upload,
    sanitise_markdown,
)

log = logging.getLogger(__name__)

#: Statuses that mean the citizen did not get an answer from the knowledge base.
GAP_STATUSES = frozenset(
    s
    for s in Status
    if (s.value.startswith("unanswerable_") or s.value.startswith("handoff_"))
    and s not in (Status.HANDOFF_ACTIVE, Status.HANDOFF_WAITING)
)
#: Questions closer than this (cosine distance, average linkage) form one content gap.
#: Measured with `python -m eval.gaps` on doc2dial opening questions, where "same page" is
#: the true group: ARI peaks at 0.25 (0.45) and is 0.42 here, with 84% purity. A gap is
#: broader than a page, and at 0.25-0.30 rephrasings ("llama registration?" / "where do I
#: register a pet llama") still split, so the cut sits a little above the peak.
GAP_DISTANCE = 0.35


class EditorialError(Exception):
    """A request an editor can fix; the message says how."""


class NotFound(EditorialError):
    pass


class Conflict(EditorialError):
    pass


@dataclass(slots=True)
class PublishResult:
    version: str
    previous_version: str | None
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    embedded: int = 0
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "previous_version": self.previous_version,
            "added": self.added,
            "updated": self.updated,
            "removed": self.removed,
            "embedded": self.embedded,
            "seconds": round(self.seconds, 2),
        }


class _PinnedStore(IndexStore):
    """An index store that always answers from one snapshot (the preview's candidate)."""

    def __init__(self, live: IndexStore, snapshot: IndexSnapshot) -> None:
        super().__init__(live.root, ef_search=live.ef_search)
        self._pinned = snapshot

    def snapshot(self) -> IndexSnapshot | None:
        return self._pinned


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
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self.index_store = index_store
        self.ingestor = ingestor
        self.staff = staff
        self.live_pipeline = live_pipeline
        self.pipeline_over = pipeline_over
        self.embedder = embedder
        self.review_interval = review_interval
        self.upload_max_bytes = upload_max_bytes
        self.today = today
        self._preview_lock = threading.Lock()
        self._preview: tuple[tuple[Any, ...], TurnPipeline, frozenset[str]] | None = None

    # ------------------------------------------------------------------ documents

    def documents(
        self,
        *,
        query: str | None = None,
        agency: str | None = None,
        topic: str | None = None,
        overdue_only: bool = False,
    ) -> dict[str, Any]:
        """Live documents and new ones that exist only as drafts, filtered, by title."""
        snapshot = self.index_store.snapshot()
        records = snapshot.manifest.documents if snapshot else {}
        drafts = {d.doc_id: d for d in self._open_drafts()}
        rows = [self._summary(r, drafts.get(r.doc_id)) for r in records.values()]
        rows += [self._draft_only_summary(d) for d in drafts.values() if d.doc_id not in records]
        agencies = sorted({r["agency"] for r in rows if r["agency"]})
        topics = sorted({r["topic"] for r in rows if r["topic"]})
        needle = (query or "").strip().casefold()
        rows = [
            r
            for r in rows
            if (not needle or needle in r["title"].casefold() or needle in r["doc_id"].casefold())
            and (not agency or r["agency"] == agency)
            and (not topic or r["topic"] == topic)
            and (not overdue_only or r["overdue"])
        ]
        rows.sort(key=lambda r: (r["title"].casefold(), r["doc_id"]))
        return {
            "documents": rows,
            "agencies": agencies,
            "topics": topics,
            "version": snapshot.version if snapshot else None,
        }

    def document(self, doc_id: str) -> dict[str, Any]:
        """One document's summary, its live text as Markdown and its metadata."""
        snapshot = self.index_store.snapshot()
        record = snapshot.manifest.documents.get(doc_id) if snapshot else None
        draft = next((d for d in self._open_drafts() if d.doc_id == doc_id), None)
        if record is None or snapshot is None:
            if draft is None:
                raise NotFound(f"There is no document with the id {doc_id!r}.")
            fields = {k: v for k, v in (draft.fields or {}).items() if k in DRAFT_FIELDS and v}
            return {**self._draft_only_summary(draft), "markdown": "", "fields": fields}
        document = snapshot.documents.get(doc_id)
        markdown = document_to_markdown(document) if document else ""
        return {
            **self._summary(record, draft),
            "markdown": markdown,
            "fields": _record_fields(record),
        }

    def _summary(self, record: DocumentRecord, draft: Draft | None) -> dict[str, Any]:
        due = self.review_due(record.last_reviewed, record.review_due)
        return {
            "doc_id": record.doc_id,
            "title": record.title,
            "agency": record.agency,
            "topic": record.topic,
            "url": record.url,
            "language": record.language,
            "last_reviewed": record.last_reviewed,
            "review_due": due.isoformat() if due else None,
            "overdue": bool(due and due < self.today()),
            "chunk_count": record.chunk_count,
            "live": True,
            "draft": _draft_badge(draft),
        }

    def _draft_only_summary(self, draft: Draft) -> dict[str, Any]:
        fields = draft.fields or {}
        due = self.review_due(fields.get("last_reviewed"), fields.get("review_due"))
        return {
            "doc_id": draft.doc_id,
            "title": draft.title or draft.doc_id,
            "agency": fields.get("agency"),
            "topic": fields.get("topic"),
            "url": fields.get("url"),
            "language": fields.get("language") or "en",
            "last_reviewed": fields.get("last_reviewed"),
            "review_due": due.isoformat() if due else None,
            "overdue": bool(due and due < self.today()),
            "chunk_count": 0,
            "live": False,
            "draft": _draft_badge(draft),
        }

    def review_due(self, last_reviewed: str | None, review_due: str | None) -> date | None:
        """The document's own review date, else ``last_reviewed`` plus the interval."""
        own = _parse_date(review_due)
        if own is not None:
            return own
        reviewed = _parse_date(last_reviewed)
        return reviewed + self.review_interval if reviewed else None

    # ------------------------------------------------------------------ drafts

    def drafts(self) -> list[dict[str, Any]]:
        return [self._draft_json(d) for d in self._open_drafts()]

    def draft(self, draft_id: str) -> dict[str, Any]:
        return self._draft_json(self._get_draft(draft_id))

    def upload(
        self,
        filename: str,
        data: bytes,
        *,
        actor: str,
        doc_id: str | None = None,
        fields: dict[str, str] | None = None,
    ) -> tuple[dict[str, Any], bool]:
        """A draft from an uploaded file (checked by :func:`read_upload`); (draft, created)."""
        uploaded = read_upload(filename, data, max_bytes=self.upload_max_bytes)
        return self._save_uploaded(uploaded, actor=actor, doc_id=doc_id, fields=fields)

    def paste(
        self,
        *,
        actor: str,
        title: str,
        markdown: str,
        doc_id: str | None = None,
        fields: dict[str, str] | None = None,
    ) -> tuple[dict[str, Any], bool]:
        """A draft from pasted text, or an edit of a live document when ``doc_id`` is live."""
        if not title.strip():
            raise EditorialError("Give the document a title.")
        if not markdown.strip():
            raise EditorialError("The document has no text. Paste or type its content.")
        live = self._live_record(doc_id) if doc_id else None
        if live is not None:
            body = sanitise_markdown(markdown)
            merged = {**_record_fields(live), **_clean_fields(fields or {})}
            return self._upsert(
                doc_id=live.doc_id,
                action="upsert",
                title=title.strip(),
                body=body,
                fields=merged,
                source_name=None,
                source_kind="edit",
                actor=actor,
            )
        pasted = read_pasted(markdown, title=title, max_bytes=self.upload_max_bytes)
        return self._save_uploaded(pasted, actor=actor, doc_id=doc_id, fields=fields)

    def _save_uploaded(
        self,
        uploaded: UploadedDraft,
        *,
        actor: str,
        doc_id: str | None,
        fields: dict[str, str] | None,
    ) -> tuple[dict[str, Any], bool]:
        target = slugify(doc_id) if doc_id else uploaded.suggested_doc_id
        if not target:
            raise EditorialError("Choose an id for the document (letters, digits and dashes).")
        merged = {**_clean_fields(uploaded.fields), **_clean_fields(fields or {})}
        live = self._live_record(target)
        if live is not None:  # an upload that replaces a live document keeps its metadata
            merged = {**_record_fields(live), **merged}
        return self._upsert(
            doc_id=target,
            action="upsert",
            title=uploaded.title,
            body=uploaded.markdown_body,
            fields=merged,
            source_name=uploaded.display_name,
            source_kind=uploaded.kind,
            actor=actor,
            warnings=uploaded.warnings,
        )

    def update(
        self,
        draft_id: str,
        *,
        actor: str,
        title: str | None = None,
        markdown: str | None = None,
        fields: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Change an open draft's title, text or metadata."""
        with self._sessions.begin() as session:
            draft = session.get(Draft, draft_id)
            if draft is None:
                raise NotFound(f"There is no draft with the id {draft_id!r}.")
            if draft.state != "draft":
                raise Conflict(f"This draft was already {draft.state}; start a new one.")
            if draft.action == "retire":
                raise Conflict("A retirement has nothing to edit; discard it instead.")
            if title is not None:
                if not title.strip():
                    raise EditorialError("Give the document a title.")
                draft.title = title.strip()[:255]
            if markdown is not None:
                if not markdown.strip():
                    raise EditorialError("The document has no text.")
                check_size(len(markdown.encode("utf-8")), self.upload_max_bytes, "text")
                draft.body = sanitise_markdown(markdown)
            if fields is not None:
                draft.fields = {**(draft.fields or {}), **_clean_fields(fields)}
            self._document_of(draft)  # still a readable document?
            draft.updated_by = actor
            draft.updated_at = utcnow()
            result = self._draft_json(draft)
        self.staff.audit(actor=actor, action="kb.draft.update", target=draft.doc_id)
        return result

    def retire(self, doc_id: str, *, actor: str) -> tuple[dict[str, Any], bool]:
        """A draft that removes a live document when published."""
        record = self._live_record(doc_id)
        if record is None:
            raise NotFound(f"There is no live document with the id {doc_id!r}.")
        return self._upsert(
            doc_id=doc_id,
            action="retire",
            title=record.title,
            body=None,
            fields=None,
            source_name=None,
            source_kind=None,
            actor=actor,
        )

    def discard(self, draft_id: str, *, actor: str) -> None:
        with self._sessions.begin() as session:
            draft = session.get(Draft, draft_id)
            if draft is None:
                raise NotFound(f"There is no draft with the id {draft_id!r}.")
            if draft.state != "draft":
                raise Conflict(f"This draft was already {draft.state}.")
            draft.state = "discarded"
            draft.updated_by = actor
            draft.updated_at = utcnow()
            doc_id = draft.doc_id
        self.staff.audit(actor=actor, action="kb.draft.discard", target=doc_id)

    def _upsert(
        self,
        *,
        doc_id: str,
        action: str,
        title: str,
        body: str | None,
        fields: dict[str, str] | None,
        source_name: str | None,
        source_kind: str | None,
        actor: str,
        warnings: Sequence[str] = (),
    ) -> tuple[dict[str, Any], bool]:
        """Save the open draft of ``doc_id`` (creating it if there is none)."""
        live = self._live_record(doc_id)
        with self._sessions.begin() as session:
            draft = session.scalars(
                select(Draft).where(Draft.doc_id == doc_id, Draft.state == "draft")
            ).first()
            created = draft is None
            if draft is None:
                draft = Draft(
                    id=secrets.token_hex(8),
                    doc_id=doc_id,
                    state="draft",
                    created_by=actor,
                    created_at=utcnow(),
                    base_hash=live.content_hash if live else None,
                )
                session.add(draft)
            draft.action = action
            draft.title = title[:255]
            draft.body = body
            draft.fields = fields
            draft.source_name = source_name
            draft.source_kind = source_kind
            draft.warnings = list(warnings)
            draft.updated_by = actor
            draft.updated_at = utcnow()
            if action == "upsert":
                self._document_of(draft)  # refuse now what could not be published later
            result = self._draft_json(draft)
        verb = "retire" if action == "retire" else ("create" if created else "update")
        detail = {"source": source_kind, "file": source_name} if source_kind else None
        self.staff.audit(actor=actor, action=f"kb.draft.{verb}", target=doc_id, detail=detail)
        return result, created

    def _get_draft(self, draft_id: str) -> Draft:
        with self._sessions() as session:
            draft = session.get(Draft, draft_id)
        if draft is None:
            raise NotFound(f"There is no draft with the id {draft_id!r}.")
        return draft

    def _open_drafts(self, ids: Sequence[str] | None = None) -> list[Draft]:
        with self._sessions() as session:
            query = select(Draft).where(Draft.state == "draft")
            if ids is not None:
                query = query.where(Draft.id.in_(list(ids)))
            return list(session.scalars(query.order_by(Draft.updated_at.desc())))

    def _live_record(self, doc_id: str | None) -> DocumentRecord | None:
        snapshot = self.index_store.snapshot()
        return snapshot.manifest.documents.get(doc_id) if snapshot and doc_id else None

    def _draft_json(self, draft: Draft) -> dict[str, Any]:
        live = self._live_record(draft.doc_id)
        return {
            "id": draft.id,
            "doc_id": draft.doc_id,
            "action": draft.action,
            "title": draft.title,
            "markdown": draft.body or "",
            "fields": {k: (draft.fields or {}).get(k) for k in DRAFT_FIELDS},
            "source_name": draft.source_name,
            "source_kind": draft.source_kind,
            "state": draft.state,
            "created_by": draft.created_by,
            "updated_by": draft.updated_by,
            "created_at": aware(draft.created_at).isoformat(),
            "updated_at": aware(draft.updated_at).isoformat(),
            "warnings": list(draft.warnings or []),
            "conflict": draft.state == "draft"
            and (live.content_hash if live else None) != draft.base_hash,
            "live": live is not None,
        }

    @staticmethod
    def _document_of(draft: Draft) -> Document:
        text = markdown_with_front_matter(draft.body or "", draft.title or "", draft.fields or {})
        try:
            document = parse_markdown(text, draft.doc_id, source=f"editor:{draft.id}")
        except UnreadableDocument as error:
            raise EditorialError(f"This draft cannot be read: {error}") from None
        # A front matter ``doc_id`` inside the text must not redirect the change elsewhere.
        return (
            replace(document, doc_id=draft.doc_id) if document.doc_id != draft.doc_id else document
        )

    # ------------------------------------------------------------------ preview

    def preview(self, question: str, *, history: Sequence[str] = ()) -> dict[str, Any]:
        """The answer citizens get today beside the answer after publishing the open drafts."""
        if not question.strip():
            raise EditorialError("Type a question to preview.")
        drafts = self._open_drafts()
        pipeline, draft_docs = self._candidate_pipeline(drafts)
        return {
            "live": _answer(self.live_pipeline, question, history, frozenset()),
            "draft": _answer(pipeline, question, history, draft_docs),
            "drafts": [d.id for d in drafts],
        }

    def _candidate_pipeline(self, drafts: list[Draft]) -> tuple[TurnPipeline, frozenset[str]]:
        """A pipeline over live + drafts, kept while neither the drafts nor the live change."""
        live = self.index_store.current_version()
        key = (live, tuple(sorted((d.id, aware(d.updated_at).isoformat()) for d in drafts)))
        with self._preview_lock:
            if self._preview is not None and self._preview[0] == key:
                return self._preview[1], self._preview[2]
            if not drafts:
                self._preview = (key, self.live_pipeline, frozenset())
                return self.live_pipeline, frozenset()
            documents, retired = self._changes(drafts)
            _, candidate = self.ingestor.prepare(documents, remove=retired)
            if candidate is None:
                pipeline = self.live_pipeline
            else:
                pipeline = self.pipeline_over(_PinnedStore(self.index_store, candidate))
            changed = frozenset(d.doc_id for d in documents)
            self._preview = (key, pipeline, changed)
            return pipeline, changed

    def _changes(self, drafts: Sequence[Draft]) -> tuple[list[Document], list[str]]:
        documents = [self._document_of(d) for d in drafts if d.action == "upsert"]
        retired = [d.doc_id for d in drafts if d.action == "retire"]
        return documents, retired

    # ------------------------------------------------------------------ publishing

    def publish(self, *, actor: str, draft_ids: Sequence[str] | None = None) -> PublishResult:
        """Build the next version from live + drafts, switch to it, mark the drafts published."""
        with self.index_store.writer():
            drafts = self._open_drafts(draft_ids)
            if draft_ids is not None and len(drafts) != len(set(draft_ids)):
                raise NotFound("Some of those drafts are not open any more; reload the list.")
            if not drafts:
                raise Conflict("There are no drafts to publish.")
            previous = self.index_store.current_version()
            documents, retired = self._changes(drafts)
            report, snapshot = self.ingestor.prepare(documents, remove=retired)
            if snapshot is not None:
                self.index_store.publish(snapshot)
            version = self.index_store.current_version() or ""
            with self._sessions.begin() as session:
                for draft in drafts:
                    row = session.get(Draft, draft.id)
                    if row is None or row.state != "draft":
                        continue
                    if aware(row.updated_at) != aware(draft.updated_at):
                        # Edited while this publish was being built: what was read went
                        # live, and the newer edit stays an open draft for the next one.
                        live = self.index_store.snapshot()
                        record = live.manifest.documents.get(row.doc_id) if live else None
                        row.base_hash = record.content_hash if record else None
                        continue
                    row.state = "published"
                    row.published_version = version
                    row.updated_at = utcnow()
                summary = {
                    "added": report.added,
                    "updated": report.updated,
                    "removed": report.removed,
                    "unchanged": report.unchanged,
                }
                session.add(
                    Publication(
                        action="publish",
                        version=version,
                        previous_version=previous,
                        actor=actor,
                        summary=summary,
                    )
                )
        self.staff.audit(
            actor=actor,
            action="kb.publish",
            target=version,
            detail={"previous_version": previous, **summary},
        )
        log.info("publish by %s: %s", actor, report.summary())
        return PublishResult(
            version=version,
            previous_version=previous,
            added=report.added,
            updated=report.updated,
            removed=report.removed,
            embedded=report.chunks_embedded,
            seconds=report.seconds,
        )

    def versions(self) -> dict[str, Any]:
        live = self.index_store.current_version()
        rows = []
        for version in reversed(self.index_store.versions()):
            try:
                manifest = self.index_store.manifest(version)
            except (OSError, ValueError, KeyError):  # pruned while we looked
                continue
            rows.append(
                {
                    "version": version,
                    "created_at": manifest.created_at,
                    "documents": len(manifest.documents),
                    "live": version == live,
                }
            )
        with self._sessions() as session:
            publications = session.scalars(
                select(Publication).order_by(Publication.id.desc()).limit(50)
            ).all()
        return {
            "live": live,
            "versions": rows,
            "publications": [_publication_json(p) for p in publications],
        }

    def restore(self, *, actor: str, version: str | None = None) -> dict[str, Any]:
        """Make ``version`` live again; without one, undo the last publish or restore."""
        with self.index_store.writer():
            live = self.index_store.current_version()
            target = version or self._undo_target(live)
            if target is None:
                raise Conflict("There is no earlier version to restore.")
            if target == live:
                raise Conflict("That version is already live.")
            if target not in self.index_store.versions():
                raise NotFound(f"There is no stored version {target!r}; it may have been pruned.")
            if self.index_store.manifest(target).config != self.ingestor.config:
                raise Conflict(
                    "That version was built with another embedding model or passage size, "
                    "so this server cannot answer from it. Publish the documents again instead."
                )
            self.index_store.restore(target)
            with self._sessions.begin() as session:
                session.add(
                    Publication(
                        action="restore", version=target, previous_version=live, actor=actor
                    )
                )
        self.staff.audit(
            actor=actor, action="kb.restore", target=target, detail={"previous_version": live}
        )
        return {"version": target, "previous_version": live}

    def _undo_target(self, live: str | None) -> str | None:
        """The version the live one was published over (undo again goes further back)."""
        stored = self.index_store.versions()
        with self._sessions() as session:
            made = session.scalars(
                select(Publication)
                .where(Publication.version == live, Publication.action == "publish")
                .order_by(Publication.id.desc())
                .limit(1)
            ).first()
        if made is not None:
            return made.previous_version if made.previous_version in stored else None
        earlier = [v for v in stored if live is None or v < live]
        return earlier[-1] if earlier else None

    def audit(self, *, limit: int = 100) -> list[dict[str, Any]]:
        return self.staff.audit_log(limit=limit, action_prefix="kb.")

    # ------------------------------------------------------------------ reports

    def content_gaps(self, *, days: int = 30, max_questions: int = 5000) -> dict[str, Any]:
        """Unanswered questions grouped by similarity, largest group first (redacted)."""
        now = utcnow()
        since = now - timedelta(days=days)
        with self._sessions() as session:
            replies = session.execute(
                select(Message.conversation_id, Message.id, Message.status, Message.created_at)
                .where(
                    Message.role == "assistant",
                    Message.status.in_([s.value for s in GAP_STATUSES]),
                    Message.created_at >= since,
                )
                .order_by(Message.id.desc())
                .limit(max_questions)
            ).all()
            conversations = {r.conversation_id for r in replies}
            citizen = session.execute(
                select(Message.conversation_id, Message.id, Message.text)
                .where(Message.role == "citizen", Message.conversation_id.in_(conversations))
                .order_by(Message.id)
            ).all()
        asked: dict[str, list[tuple[int, str]]] = defaultdict(list)
        for row in citizen:
            asked[row.conversation_id].append((row.id, row.text))
        questions: list[tuple[str, str, datetime]] = []
        for reply in replies:
            before = [text for mid, text in asked[reply.conversation_id] if mid < reply.id]
            if before and before[-1].strip():
                questions.append((redact(before[-1]).text, reply.status, aware(reply.created_at)))
        groups = self._group([q for q, _, _ in questions])
        out: list[dict[str, Any]] = []
        week = now - timedelta(days=7)
        fortnight = now - timedelta(days=14)
        for members in groups:
            items = [questions[i] for i in members]
            examples = list(dict.fromkeys(q for q, _, _ in items))
            out.append(
                {
                    "label": examples[0],
                    "count": len(items),
                    "statuses": dict(Counter(s for _, s, _ in items).most_common()),
                    "trend": {
                        "this_week": sum(1 for *_, at in items if at >= week),
                        "last_week": sum(1 for *_, at in items if fortnight <= at < week),
                    },
                    "examples": examples[:5],
                    "last_asked": max(at for *_, at in items).isoformat(),
                }
            )
        out.sort(key=lambda g: (-g["count"], g["label"]))
        return {"days": days, "total": len(questions), "groups": out}

    def _group(self, texts: list[str]) -> list[list[int]]:
        """Indices of ``texts`` grouped by meaning; the first index of each is its centre."""
        if not texts:
            return []
        if len(texts) == 1:
            return [[0]]
        from sklearn.cluster import AgglomerativeClustering

        vectors = self.embedder.embed_documents(texts)
        labels = AgglomerativeClustering(
            n_clusters=None, metric="cosine", linkage="average", distance_threshold=GAP_DISTANCE
        ).fit_predict(vectors)
        groups: list[list[int]] = []
        for label in sorted(set(labels.tolist())):
            members = [i for i, lab in enumerate(labels) if lab == label]
            centre = np.asarray(vectors[members]).mean(axis=0)
            members.sort(key=lambda i: -float(np.dot(vectors[i], centre)))
            groups.append(members)
        return groups

    def stale(self) -> list[dict[str, Any]]:
        """Documents past their review date, most overdue first."""
        rows = [r for r in self.documents(overdue_only=True)["documents"] if r["live"]]
        today = self.today()
        for row in rows:
            row["days_overdue"] = (today - date.fromisoformat(row["review_due"])).days
        rows.sort(key=lambda r: -r["days_overdue"])
        return rows

    def most_cited(self, *, days: int = 30, limit: int = 50) -> list[dict[str, Any]]:
        since = utcnow() - timedelta(days=days)
        counts: Counter[str] = Counter()
        with self._sessions() as session:
            for citations in session.scalars(
                select(Message.citations).where(
                    Message.role == "assistant",
                    Message.status == Status.ANSWERED.value,
                    Message.created_at >= since,
                )
            ):
                counts.update({c["doc_id"] for c in citations or [] if "doc_id" in c})
        titles = self._titles()
        return [
            {"doc_id": doc_id, "title": titles.get(doc_id, doc_id), "citations": n}
            for doc_id, n in counts.most_common(limit)
        ]

    def feedback(self, *, days: int = 90) -> list[dict[str, Any]]:
        since = utcnow() - timedelta(days=days)
        per_doc: dict[str, dict[str, Any]] = {}
        with self._sessions() as session:
            rows = session.scalars(
                select(AnswerFeedback)
                .where(AnswerFeedback.created_at >= since)
                .order_by(AnswerFeedback.id.desc())
            ).all()
        titles = self._titles()
        for row in rows:
            for doc_id in row.doc_ids or []:
                entry = per_doc.setdefault(
                    doc_id,
                    {
                        "doc_id": doc_id,
                        "title": titles.get(doc_id, doc_id),
                        "helpful": 0,
                        "not_helpful": 0,
                        "comments": [],
                    },
                )
                entry["helpful" if row.helpful else "not_helpful"] += 1
                if row.comment and len(entry["comments"]) < 10:
                    entry["comments"].append(redact(row.comment).text)
        return sorted(
            per_doc.values(), key=lambda e: (-e["not_helpful"], -e["helpful"], e["title"])
        )

    def _titles(self) -> dict[str, str]:
        snapshot = self.index_store.snapshot()
        if snapshot is None:
            return {}
        return {doc_id: r.title for doc_id, r in snapshot.manifest.documents.items()}


def _answer(
    pipeline: TurnPipeline, question: str, history: Sequence[str], drafted: frozenset[str]
) -> dict[str, Any]:
    ctx = TurnContext(
        message=InboundMessage(channel="preview", text=question),
        text=question,
        history=[PastTurn(role="citizen", text=h) for h in history],
    )
    pipeline.run(ctx)
    hits = ctx.retrieval.hits if ctx.retrieval else []
    return {
        "reply": {"text": ctx.reply_text, "citations": [c.to_json() for c in ctx.citations]},
        "status": str(ctx.status),
        "confidence": round(ctx.confidence, 3),
        "passages": [
            {
                "rank": rank,
                "doc_id": hit.chunk.doc_id,
                "title": hit.chunk.title,
                "section": hit.chunk.section,
                "score": round(hit.score, 4),
                "snippet": _snippet(hit.chunk.text),
                "draft": hit.chunk.doc_id in drafted,
            }
            for rank, hit in enumerate(hits[:8], start=1)
        ],
    }


def _snippet(text: str, limit: int = 240) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rsplit(" ", 1)[0] + "…"


def _draft_badge(draft: Draft | None) -> dict[str, Any] | None:
    if draft is None:
        return None
    return {
        "id": draft.id,
        "action": draft.action,
        "updated_at": aware(draft.updated_at).isoformat(),
        "updated_by": draft.updated_by,
    }


def _record_fields(record: DocumentRecord) -> dict[str, str]:
    values = {
        "agency": record.agency,
        "topic": record.topic,
        "url": record.url,
        "language": record.language,
        "last_reviewed": record.last_reviewed,
        "review_due": record.review_due,
    }
    return {k: v for k, v in values.items() if v}


def _clean_fields(fields: dict[str, Any]) -> dict[str, str]:
    """Known metadata fields only, as trimmed strings; dates must be YYYY-MM-DD."""
    try:
        return DocumentMetadata.checked(fields).given()
    except InvalidMetadata as error:
        raise EditorialError(str(error)) from None


def _parse_date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _publication_json(row: Publication) -> dict[str, Any]:
    return {
        "id": row.id,
        "action": row.action,
        "version": row.version,
        "previous_version": row.previous_version,
        "actor": row.actor,
        "at": aware(row.at).isoformat(),
        "summary": row.summary,
    }
