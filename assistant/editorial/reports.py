"""The editors' reports: what citizens asked that the knowledge base could not answer,
which documents are past review, which are cited most, and what citizens said of them.

Citizens' words reach these reports only through :func:`~assistant.redaction.redact`.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from pydantic import TypeAdapter
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased, sessionmaker

from assistant.editorial.catalogue import Catalogue
from assistant.editorial.views import (
    CitedDocumentOut,
    FeedbackDocumentOut,
    GapGroupOut,
    GapsOut,
    GapTrendOut,
    StaleDocumentOut,
    TranslationOut,
)
from assistant.intents import route
from assistant.models import AnswerFeedback, AnswerProposal, Message, aware, utcnow
from assistant.redaction import redact
from assistant.turns import Route, Status
from knowledge_base.embeddings import Embedder

#: Statuses that mean the citizen did not get an answer from the knowledge base. A
#: citizen who asked for a person (``handoff_requested``) was not missing any content.
GAP_STATUSES = frozenset(
    s
    for s in Status
    if (s.value.startswith("unanswerable_") or s.value.startswith("handoff_"))
    and s not in (Status.HANDOFF_ACTIVE, Status.HANDOFF_WAITING, Status.HANDOFF_REQUESTED)
)
#: Questions closer than this (cosine distance, average linkage) form one content gap.
#: Measured with `python -m eval.gaps` on doc2dial opening questions, where "same page" is
#: the true group: ARI peaks at 0.25 (0.45) and is 0.42 here, with 84% purity. A gap is
#: broader than a page, and at 0.25-0.30 rephrasings ("llama registration?" / "where do I
#: register a pet llama") still split, so the cut sits a little above the peak.
GAP_DISTANCE = 0.35


def asks_about_content(text: str) -> bool:
    """False for a greeting, thanks or a request for a person: no page would answer those.

    The status alone cannot tell: "I want to talk to a person" out of hours ends as
    ``handoff_callback_offered``, and "hi there!" after two unanswered questions as
    ``handoff_unanswered_twice``, both statuses that a real gap can end with too.
    """
    return route(text) is Route.QUESTION


_STALE = TypeAdapter(list[StaleDocumentOut])


def group_by_meaning(embedder: Embedder, texts: list[str]) -> list[list[int]]:
    """Indices of ``texts`` grouped by meaning (cut at :data:`GAP_DISTANCE`); the first
    index of each group is its most typical member."""
    if not texts:
        return []
    if len(texts) == 1:
        return [[0]]
    from sklearn.cluster import AgglomerativeClustering

    vectors = embedder.embed_documents(texts)
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


class Reports:
    """Reports over the conversation store and the catalogue of documents."""

    def __init__(
        self, *, sessions: sessionmaker[Session], embedder: Embedder, catalogue: Catalogue
    ) -> None:
        self._sessions = sessions
        self.embedder = embedder
        self.catalogue = catalogue

    def content_gaps(self, *, days: int = 30, max_questions: int = 5000) -> GapsOut:
        """Unanswered questions grouped by similarity, largest group first (redacted)."""
        now = utcnow()
        since = now - timedelta(days=days)
        reply, asked = aliased(Message), aliased(Message)
        # A turn is stored as its citizen message and then its reply, in one transaction:
        # the question a reply answered is the conversation's last citizen message before
        # it. The reply's stored status says how the turn ended (after every stage,
        # bringing in a person included), so nothing is worked out again here.
        question_id = (
            select(func.max(asked.id))
            .where(
                asked.conversation_id == reply.conversation_id,
                asked.role == "citizen",
                asked.id < reply.id,
            )
            .correlate(reply)
            .scalar_subquery()
        )
        citizen = aliased(Message)
        with self._sessions() as session:
            rows = session.execute(
                select(citizen.text, reply.status, reply.created_at)
                .select_from(reply)
                .join(citizen, citizen.id == question_id)
                .where(
                    reply.role == "assistant",
                    reply.status.in_([s.value for s in GAP_STATUSES]),
                    reply.created_at >= since,
                )
                .order_by(reply.id.desc())
                .limit(max_questions)
            ).all()
        questions: list[tuple[str, str, datetime]] = [
            (redact(text).text, str(status), aware(at))  # status: one of GAP_STATUSES
            for text, status, at in rows
            # stored text is redacted already; redact() is a second net
            if text.strip() and asks_about_content(text)
        ]
        with self._sessions() as session:
            offered = set(
                session.scalars(
                    select(AnswerProposal.question).where(AnswerProposal.state == "open")
                )
            )
        groups = group_by_meaning(self.embedder, [q for q, _, _ in questions])
        out: list[GapGroupOut] = []
        week = now - timedelta(days=7)
        fortnight = now - timedelta(days=14)
        for members in groups:
            items = [questions[i] for i in members]
            examples = list(dict.fromkeys(q for q, _, _ in items))
            out.append(
                GapGroupOut(
                    label=examples[0],
                    count=len(items),
                    statuses=dict(Counter(s for _, s, _ in items).most_common()),
                    trend=GapTrendOut(
                        this_week=sum(1 for *_, at in items if at >= week),
                        last_week=sum(1 for *_, at in items if fortnight <= at < week),
                    ),
                    examples=examples[:5],
                    last_asked=max(at for *_, at in items).isoformat(),
                    # The link to caseworkers' answers: the same (redacted) question.
                    answers_offered=sum(1 for q, _, _ in items if q in offered),
                )
            )
        out.sort(key=lambda g: (-g.count, g.label))
        return GapsOut(days=days, total=len(questions), groups=out)

    def stale(self) -> list[StaleDocumentOut]:
        """Documents past their review date, most overdue first."""
        today = self.catalogue.today()
        overdue = [
            ((today - date.fromisoformat(r["review_due"])).days, r)
            for r in self.catalogue.rows(overdue_only=True)[0]
            if r["live"] and r["review_due"]  # overdue: it has a review date
        ]
        overdue.sort(key=lambda pair: -pair[0])
        rows = [{**r, "days_overdue": days} for days, r in overdue]
        return _STALE.validate_python(rows)  # one validation for all (see SummaryRow)

    def stale_translations(self, *, include_current: bool = False) -> list[TranslationOut]:
        """Live translations (front matter ``translation_of: <doc_id>``) reviewed before
        their original page was, or whose original is gone: an editor should bring them
        up to date. Oldest first; with ``include_current``, the up-to-date ones follow,
        by title, so the report also says which page translates which."""
        snapshot = self.catalogue.index_store.snapshot()
        if snapshot is None:
            return []
        documents = snapshot.documents
        stale: list[TranslationOut] = []
        current: list[TranslationOut] = []
        for doc in documents.values():
            original_id = doc.metadata.get("translation_of")
            if not original_id:
                continue
            original = documents.get(original_id)
            # ISO dates: reviewed on or after the original, so up to date
            behind = original is None or (original.last_reviewed or "") > (doc.last_reviewed or "")
            if not behind and not include_current:
                continue
            (stale if behind else current).append(
                TranslationOut(
                    doc_id=doc.doc_id,
                    title=doc.title,
                    language=doc.language,
                    last_reviewed=doc.last_reviewed,
                    translation_of=original_id,
                    original_title=original.title if original is not None else None,
                    original_last_reviewed=original.last_reviewed if original else None,
                    stale=behind,
                )
            )
        stale.sort(key=lambda t: (t.last_reviewed or "", t.doc_id))
        current.sort(key=lambda t: (t.title.casefold(), t.doc_id))
        return stale + current

    def most_cited(self, *, days: int = 30, limit: int = 50) -> list[CitedDocumentOut]:
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
        titles = self.catalogue.titles()
        return [
            CitedDocumentOut(doc_id=doc_id, title=titles.get(doc_id, doc_id), citations=n)
            for doc_id, n in counts.most_common(limit)
        ]

    def feedback(self, *, days: int = 90) -> list[FeedbackDocumentOut]:
        since = utcnow() - timedelta(days=days)
        # Counted in mutable rows, frozen into FeedbackDocuments at the end.
        per_doc: dict[str, dict[str, Any]] = {}
        with self._sessions() as session:
            rows = session.scalars(
                select(AnswerFeedback)
                .where(AnswerFeedback.created_at >= since)
                .order_by(AnswerFeedback.id.desc())
            ).all()
        titles = self.catalogue.titles()
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
        ordered = sorted(
            per_doc.values(), key=lambda e: (-e["not_helpful"], -e["helpful"], e["title"])
        )
        return [FeedbackDocumentOut(**e) for e in ordered]
