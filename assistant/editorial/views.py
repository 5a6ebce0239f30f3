"""What the desk answers with: frozen pydantic models, which the web API sends as they are.

They are the editor API's response models (``channels/web/editor.py`` names them; the
other routes' models are in ``channels/web/schemas.py``), so they carry the names and
field descriptions the OpenAPI schema shows, and the ``Out`` of an API model; a route
hands the desk's answer straight on, and FastAPI sends it without converting it again
(validating an instance of the response model itself is a pass-through). Each
mirrors the JSON the API has always sent, key for key and in order; a value that may be
``null`` is a required ``X | None`` field. Times are ISO 8601 strings with a UTC offset.

(Frozen dataclasses were tried first: building them and then validating them by
attribute made ``GET /api/editor/documents`` 6.5 -> 10.9 ms per 1,000 documents; long
lists are validated in one call from plain rows for the same reason.)
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

# The audit log's entries are the staff accounts' own answer (assistant/staff.py).
from assistant.staff import AuditEntryOut


class Out(BaseModel):
    # Frozen: a view is a value. ``from_attributes``: a citation is read from the
    # assistant's ``Citation`` dataclass.
    model_config = ConfigDict(frozen=True, from_attributes=True)


class CitationOut(Out):
    n: int = Field(description="The number the answer text refers to as [n].")
    doc_id: str
    title: str
    url: str | None
    section: str | None
    snippet: str


class DraftBadgeOut(Out):
    id: str
    action: str = Field(description="upsert or retire.")
    updated_at: str
    updated_by: str | None


class DocumentSummaryOut(Out):
    doc_id: str
    title: str
    agency: str | None
    topic: str | None
    url: str | None
    language: str | None
    last_reviewed: str | None
    review_due: str | None = Field(
        description="The document's own date, or last_reviewed plus CA_REVIEW_INTERVAL_DAYS."
    )
    overdue: bool
    chunk_count: int
    live: bool = Field(description="False: a new document that exists only as a draft.")
    draft: DraftBadgeOut | None


class DocumentListOut(Out):
    documents: list[DocumentSummaryOut]
    agencies: list[str]
    topics: list[str]
    version: str | None = Field(description="The live index version.")


class DocumentOut(DocumentSummaryOut):
    markdown: str = Field(description='The live text as Markdown ("" when not live).')
    fields: dict[str, str] = Field(description="The metadata that is set.")


class DraftFieldsOut(Out):
    agency: str | None
    topic: str | None
    url: str | None
    language: str | None
    last_reviewed: str | None
    review_due: str | None


class DraftOut(Out):
    id: str
    doc_id: str
    action: str = Field(description="upsert or retire.")
    title: str | None
    markdown: str
    fields: DraftFieldsOut
    source_name: str | None = Field(description="The uploaded file's name, shown only.")
    source_kind: str | None = Field(
        description="markdown, html, pdf, docx, text, paste, edit, caseworkers."
    )
    state: str = Field(description="draft, published or discarded.")
    created_by: str | None
    updated_by: str | None
    created_at: str
    updated_at: str
    warnings: list[str] = Field(description="What reading the upload changed.")
    conflict: bool = Field(description="The live document changed after the draft began.")
    live: bool


class DraftListOut(Out):
    drafts: list[DraftOut]


class PassageOut(Out):
    rank: int
    doc_id: str
    title: str
    section: str | None
    score: float
    snippet: str
    draft: bool = Field(description="The passage comes from an open draft.")


class PreviewReplyOut(Out):
    text: str
    citations: list[CitationOut]


class PreviewAnswerOut(Out):
    reply: PreviewReplyOut
    status: str
    confidence: float
    passages: list[PassageOut]


class PreviewOut(Out):
    live: PreviewAnswerOut = Field(description="The answer citizens get today.")
    draft: PreviewAnswerOut = Field(description="The answer once the open drafts are published.")
    drafts: list[str] = Field(description="The ids of the drafts the preview included.")


class VersionOut(Out):
    version: str
    created_at: str
    documents: int
    live: bool


class PublicationOut(Out):
    id: int
    action: str = Field(description="publish or restore.")
    version: str
    previous_version: str | None
    actor: str | None
    at: str
    summary: dict[str, Any] | None


class VersionsOut(Out):
    live: str | None
    versions: list[VersionOut]
    publications: list[PublicationOut]


class RestoreOut(Out):
    version: str
    previous_version: str | None


class AuditOut(Out):
    entries: list[AuditEntryOut]


class GapTrendOut(Out):
    this_week: int
    last_week: int


class GapGroupOut(Out):
    label: str
    count: int
    statuses: dict[str, int]
    trend: GapTrendOut
    examples: list[str] = Field(description="Redacted questions, at most five.")
    last_asked: str
    answers_offered: int = Field(
        description="Its questions a caseworker answered and offered for the knowledge base "
        "(open offers: GET /api/editor/proposals)."
    )


class GapsOut(Out):
    days: int
    total: int
    groups: list[GapGroupOut]


class StaleDocumentOut(DocumentSummaryOut):
    days_overdue: int


class StaleOut(Out):
    documents: list[StaleDocumentOut]


class TranslationOut(Out):
    """A translated page and the page it translates; stale when the original changed
    after it (or went away)."""

    doc_id: str
    title: str
    language: str
    last_reviewed: str | None
    translation_of: str = Field(description="The doc_id of the page it translates.")
    original_title: str | None = Field(description="None: the original is no longer live.")
    original_last_reviewed: str | None
    stale: bool = Field(
        True,
        description="True: the original was reviewed after this translation, or is gone.",
    )


class StaleTranslationsOut(Out):
    translations: list[TranslationOut]


class CitedDocumentOut(Out):
    doc_id: str
    title: str
    citations: int


class CitedOut(Out):
    documents: list[CitedDocumentOut]


class FeedbackDocumentOut(Out):
    doc_id: str
    title: str
    helpful: int
    not_helpful: int
    comments: list[str] = Field(description="Redacted, at most ten.")


class FeedbackReportOut(Out):
    documents: list[FeedbackDocumentOut]


class DiffPieceOut(Out):
    op: str = Field(description="equal, insert (only in the draft) or delete (only live).")
    text: str


class DraftDiffOut(Out):
    draft_id: str
    doc_id: str
    action: str = Field(description="upsert or retire.")
    live: bool = Field(description="False: a new document, so all of the draft is inserted.")
    title_before: str | None = Field(description="The live title (null when not live).")
    title_after: str | None = Field(description="The draft's title (null when retiring).")
    changes: list[DiffPieceOut] = Field(
        description="The live text turned into the draft's, in order (diff-match-patch, "
        "cleaned up to whole words and phrases)."
    )
    inserted: int = Field(description="Characters only in the draft.")
    deleted: int = Field(description="Characters only in the live text.")


class ProposalOut(Out):
    """A caseworker's answer to a question the assistant could not answer (redacted)."""

    id: str
    question: str = Field(description="The citizen's question, personal data removed.")
    answer: str = Field(description="The caseworker's answer, personal data removed.")
    gap_status: str | None = Field(description="How the assistant's reply to it ended.")
    language: str | None
    proposed_by: str | None
    proposed_at: str


class ProposalGroupOut(Out):
    label: str = Field(description="The group's most typical question.")
    count: int
    statuses: dict[str, int] = Field(description="The content gaps' statuses, by count.")
    proposals: list[ProposalOut]


class ProposalsOut(Out):
    total: int
    groups: list[ProposalGroupOut]
