"""The catalogue editors browse: live documents, new ones that exist only as drafts, and
when each is due for review.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import TypedDict

from assistant.editorial.drafts import Drafts
from assistant.editorial.errors import NotFound
from assistant.editorial.fields import _parse_date, _record_fields
from assistant.editorial.views import DocumentListOut, DocumentOut, DraftBadgeOut
from assistant.models import Draft, aware
from knowledge_base.index_store import DocumentRecord, IndexSnapshot, IndexStore
from knowledge_base.lexical_index import tokenize
from knowledge_base.loaders import document_to_markdown
from knowledge_base.uploads import DRAFT_FIELDS


class SummaryRow(TypedDict):
    """A document's row while the catalogue filters and sorts it (``DocumentSummaryOut``'s
    fields). A plain dict, validated into the response models once per answer: a model
    per row cost 3 us more a row (+3 ms for 1,000 documents)."""

    doc_id: str
    title: str
    agency: str | None
    topic: str | None
    url: str | None
    language: str | None
    last_reviewed: str | None
    review_due: str | None
    overdue: bool
    chunk_count: int
    live: bool
    draft: DraftBadgeOut | None


class Catalogue:
    """Documents as editors see them: live or drafted, each with its review date."""

    def __init__(
        self,
        *,
        index_store: IndexStore,
        drafts: Drafts,
        review_interval: timedelta,
        today: Callable[[], date],
    ) -> None:
        self.index_store = index_store
        self.drafts = drafts
        self.review_interval = review_interval
        self.today = today

    def documents(
        self,
        *,
        query: str | None = None,
        agency: str | None = None,
        topic: str | None = None,
        overdue_only: bool = False,
    ) -> DocumentListOut:
        """Live documents and new ones that exist only as drafts, filtered, by title."""
        rows, agencies, topics, version = self.rows(
            query=query, agency=agency, topic=topic, overdue_only=overdue_only
        )
        return DocumentListOut.model_validate(
            {"documents": rows, "agencies": agencies, "topics": topics, "version": version}
        )

    def rows(
        self,
        *,
        query: str | None = None,
        agency: str | None = None,
        topic: str | None = None,
        overdue_only: bool = False,
    ) -> tuple[list[SummaryRow], list[str], list[str], str | None]:
        """The rows of :meth:`documents` (with every agency and topic, and the version)."""
        snapshot = self.index_store.snapshot()
        records = snapshot.manifest.documents if snapshot else {}
        drafts = {d.doc_id: d for d in self.drafts.open()}
        rows = [self._summary(r, drafts.get(r.doc_id)) for r in records.values()]
        rows += [self._draft_only_summary(d) for d in drafts.values() if d.doc_id not in records]
        agencies = sorted({r["agency"] for r in rows if r["agency"]})
        topics = sorted({r["topic"] for r in rows if r["topic"]})
        needle = (query or "").strip().casefold()
        in_body = _body_matches(snapshot, needle) if needle else {}
        rows = [
            r
            for r in rows
            if (
                not needle
                or needle in r["title"].casefold()
                or needle in r["doc_id"].casefold()
                or r["doc_id"] in in_body
            )
            and (not agency or r["agency"] == agency)
            and (not topic or r["topic"] == topic)
            and (not overdue_only or r["overdue"])
        ]
        if needle:
            # Title matches first (what an editor typing a title expects), then documents
            # that only say it in their text, the best BM25 passage first.
            rows.sort(
                key=lambda r: (
                    r["doc_id"] in in_body
                    and needle not in r["title"].casefold()
                    and needle not in r["doc_id"].casefold(),
                    -in_body.get(r["doc_id"], 0.0),
                    r["title"].casefold(),
                    r["doc_id"],
                )
            )
        else:
            rows.sort(key=lambda r: (r["title"].casefold(), r["doc_id"]))
        return rows, agencies, topics, snapshot.version if snapshot else None

    def document(self, doc_id: str) -> DocumentOut:
        """One document's summary, its live text as Markdown and its metadata."""
        snapshot = self.index_store.snapshot()
        record = snapshot.manifest.documents.get(doc_id) if snapshot else None
        draft = next((d for d in self.drafts.open() if d.doc_id == doc_id), None)
        if record is None or snapshot is None:
            if draft is None:
                raise NotFound(f"There is no document with the id {doc_id!r}.")
            fields: dict[str, str] = {
                k: v for k, v in (draft.fields or {}).items() if k in DRAFT_FIELDS and v
            }
            return DocumentOut.model_validate(
                {**self._draft_only_summary(draft), "markdown": "", "fields": fields}
            )
        document = snapshot.documents.get(doc_id)
        markdown = document_to_markdown(document) if document else ""
        return DocumentOut.model_validate(
            {**self._summary(record, draft), "markdown": markdown, "fields": _record_fields(record)}
        )

    def titles(self) -> dict[str, str]:
        """Each live document's title by its id."""
        snapshot = self.index_store.snapshot()
        if snapshot is None:
            return {}
        return {doc_id: r.title for doc_id, r in snapshot.manifest.documents.items()}

    def _summary(self, record: DocumentRecord, draft: Draft | None) -> SummaryRow:
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

    def _draft_only_summary(self, draft: Draft) -> SummaryRow:
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


def _body_matches(snapshot: IndexSnapshot | None, needle: str) -> dict[str, float]:
    """Live documents with a passage that holds every word of ``needle``, with the best
    such passage's score.

    Read from the version's own BM25 index (the words stemmed as citizens' questions
    are, so "vision tests" finds "vision test"), one sparse lookup a word, not a scan of
    the text. Every word must be in one passage: an editor's words are a conjunction
    (BM25 alone would rank any one of them), and a page that says "vision insurance" in
    one section and "skills test" in another is not about a vision test.
    """
    if snapshot is None or not len(snapshot):
        return {}
    words = tokenize([needle])[0]
    if not words:
        return {}
    size = len(snapshot)
    found: dict[int, float] | None = None
    for word in dict.fromkeys(words):
        rows, scores = snapshot.lexical_index.search([word], size)
        hits = dict(zip(rows.tolist(), scores.tolist(), strict=True))
        found = hits if found is None else {r: found[r] + s for r, s in hits.items() if r in found}
        if not found:
            return {}
    best: dict[str, float] = {}
    for row, score in (found or {}).items():
        doc_id = snapshot.chunks[row].doc_id
        best[doc_id] = max(best.get(doc_id, 0.0), score)
    return best


def _draft_badge(draft: Draft | None) -> DraftBadgeOut | None:
    if draft is None:
        return None
    return DraftBadgeOut(
        id=draft.id,
        action=draft.action,
        updated_at=aware(draft.updated_at).isoformat(),
        updated_by=draft.updated_by,
    )
