"""What the desk answers with: one frozen dataclass per kind of answer.

The web API's response models (``channels/web/schemas.py``) read these by attribute, field
for field, so a field added here shows in the API only once its model has it too. Times
are ISO 8601 strings with a UTC offset, as the API sends them.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from typing import Any

from assistant.answer import Citation


@dataclass(frozen=True, slots=True)
class DraftBadge:
    """The open draft a document has, as shown beside it in the catalogue."""

    id: str
    action: str  # upsert | retire
    updated_at: str
    updated_by: str | None


@dataclass(frozen=True, slots=True)
class DocumentSummary:
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
    live: bool  # False: a new document that exists only as a draft
    draft: DraftBadge | None


@dataclass(frozen=True, slots=True)
class DocumentDetail(DocumentSummary):
    markdown: str  # the live text ("" when not live)
    fields: dict[str, str]  # the metadata that is set

    @classmethod
    def of(
        cls, summary: DocumentSummary, *, markdown: str, fields: dict[str, str]
    ) -> DocumentDetail:
        return cls(**_values(summary), markdown=markdown, fields=fields)


@dataclass(frozen=True, slots=True)
class DocumentList:
    documents: list[DocumentSummary]
    agencies: list[str]
    topics: list[str]
    version: str | None  # the live index version


@dataclass(frozen=True, slots=True)
class DraftFields:
    agency: str | None
    topic: str | None
    url: str | None
    language: str | None
    last_reviewed: str | None
    review_due: str | None


@dataclass(frozen=True, slots=True)
class DraftView:
    id: str
    doc_id: str
    action: str
    title: str | None
    markdown: str
    fields: DraftFields
    source_name: str | None
    source_kind: str | None
    state: str  # draft | published | discarded
    created_by: str | None
    updated_by: str | None
    created_at: str
    updated_at: str
    warnings: list[str]
    conflict: bool  # the live document changed after the draft began
    live: bool


@dataclass(frozen=True, slots=True)
class Passage:
    rank: int
    doc_id: str
    title: str
    section: str | None
    score: float
    snippet: str
    draft: bool  # the passage comes from an open draft


@dataclass(frozen=True, slots=True)
class PreviewReply:
    text: str
    citations: list[Citation]


@dataclass(frozen=True, slots=True)
class PreviewAnswer:
    reply: PreviewReply
    status: str
    confidence: float
    passages: list[Passage]


@dataclass(frozen=True, slots=True)
class PreviewResult:
    live: PreviewAnswer  # the answer citizens get today
    draft: PreviewAnswer  # the answer once the open drafts are published
    drafts: list[str]  # the ids of the drafts the preview included


@dataclass(frozen=True, slots=True)
class VersionEntry:
    version: str
    created_at: str
    documents: int
    live: bool


@dataclass(frozen=True, slots=True)
class PublicationEntry:
    id: int
    action: str  # publish | restore
    version: str
    previous_version: str | None
    actor: str | None
    at: str
    # The publish's counts as stored in its JSON column (None for a restore).
    summary: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class Versions:
    live: str | None
    versions: list[VersionEntry]
    publications: list[PublicationEntry]


@dataclass(frozen=True, slots=True)
class Restored:
    version: str
    previous_version: str | None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: str
    actor: str | None
    action: str
    target: str | None
    detail: dict[str, Any] | None  # as stored in the audit log's JSON column

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AuditEntry:
        return cls(
            at=data["at"],
            actor=data["actor"],
            action=data["action"],
            target=data["target"],
            detail=data["detail"],
        )


@dataclass(frozen=True, slots=True)
class GapTrend:
    this_week: int
    last_week: int


@dataclass(frozen=True, slots=True)
class GapGroup:
    label: str
    count: int
    statuses: dict[str, int]  # how each question's turn ended, most common first
    trend: GapTrend
    examples: list[str]  # redacted, at most five
    last_asked: str


@dataclass(frozen=True, slots=True)
class GapsReport:
    days: int
    total: int
    groups: list[GapGroup]


@dataclass(frozen=True, slots=True)
class StaleDocument(DocumentSummary):
    days_overdue: int

    @classmethod
    def of(cls, summary: DocumentSummary, *, days_overdue: int) -> StaleDocument:
        return cls(**_values(summary), days_overdue=days_overdue)


@dataclass(frozen=True, slots=True)
class CitedDocument:
    doc_id: str
    title: str
    citations: int


@dataclass(frozen=True, slots=True)
class FeedbackDocument:
    doc_id: str
    title: str
    helpful: int
    not_helpful: int
    comments: list[str]  # redacted, at most ten


def _values(summary: DocumentSummary) -> dict[str, Any]:
    """A summary's fields by name (to extend it into a subclass; not ``asdict``, which
    would turn its draft badge into a dict too)."""
    return {f.name: getattr(summary, f.name) for f in dataclass_fields(DocumentSummary)}
