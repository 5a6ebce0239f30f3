"""Drafts: every change to the knowledge base starts as one, and citizens see none of them.

A :class:`~assistant.models.Draft` row holds a new or edited document as Markdown plus
metadata, or the retiring of a live document. A document has at most one open draft;
saving again updates it. Each save is checked by parsing the draft as a document, so
what is saved can later be published.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from assistant.editorial.errors import Conflict, EditorialError, NotFound
from assistant.editorial.fields import _clean_fields, _record_fields
from assistant.editorial.views import DraftFieldsOut, DraftOut
from assistant.models import Draft, aware, utcnow
from assistant.staff import Staff
from knowledge_base.documents import Document
from knowledge_base.index_store import DocumentRecord, IndexStore
from knowledge_base.loaders import (
    UnreadableDocument,
    markdown_with_front_matter,
    parse_markdown,
    slugify,
)
from knowledge_base.uploads import (
    DRAFT_FIELDS,
    UploadedDraft,
    check_size,
    read_pasted,
    read_upload,
    sanitise_markdown,
)


class Drafts:
    """Open drafts: written from uploads, pastes and edits, read by the rest of the desk."""

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        index_store: IndexStore,
        staff: Staff,
        upload_max_bytes: int,
    ) -> None:
        self._sessions = sessions
        self.index_store = index_store
        self.staff = staff
        self.upload_max_bytes = upload_max_bytes

    def listing(self) -> list[DraftOut]:
        return [self.view(d) for d in self.open()]

    def detail(self, draft_id: str) -> DraftOut:
        return self.view(self.get(draft_id))

    def upload(
        self,
        filename: str,
        data: bytes,
        *,
        actor: str,
        doc_id: str | None = None,
        fields: dict[str, str] | None = None,
    ) -> tuple[DraftOut, bool]:
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
    ) -> tuple[DraftOut, bool]:
        """A draft from pasted text, or an edit of a live document when ``doc_id`` is live."""
        if not title.strip():
            raise EditorialError("Give the document a title.")
        if not markdown.strip():
            raise EditorialError("The document has no text. Paste or type its content.")
        live = self.live_record(doc_id) if doc_id else None
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

    def from_caseworkers(
        self,
        *,
        actor: str,
        doc_id: str,
        title: str,
        markdown: str,
        fields: dict[str, str],
        source_name: str,
        warnings: Sequence[str],
    ) -> tuple[DraftOut, bool]:
        """A new document's draft made of caseworkers' answers (see :mod:`.proposals`)."""
        pasted = read_pasted(markdown, title=title, max_bytes=self.upload_max_bytes)
        return self._upsert(
            doc_id=slugify(doc_id),
            action="upsert",
            title=pasted.title,
            body=pasted.markdown_body,
            fields={**_clean_fields(pasted.fields), **_clean_fields(fields)},
            source_name=source_name,
            source_kind="caseworkers",
            actor=actor,
            warnings=[*pasted.warnings, *warnings],
        )

    def _save_uploaded(
        self,
        uploaded: UploadedDraft,
        *,
        actor: str,
        doc_id: str | None,
        fields: dict[str, str] | None,
    ) -> tuple[DraftOut, bool]:
        target = slugify(doc_id) if doc_id else uploaded.suggested_doc_id
        if not target:
            raise EditorialError("Choose an id for the document (letters, digits and dashes).")
        merged = {**_clean_fields(uploaded.fields), **_clean_fields(fields or {})}
        live = self.live_record(target)
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
    ) -> DraftOut:
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
            self.document_of(draft)  # still a readable document?
            draft.updated_by = actor
            draft.updated_at = utcnow()
            result = self.view(draft)
        self.staff.audit(actor=actor, action="kb.draft.update", target=draft.doc_id)
        return result

    def retire(self, doc_id: str, *, actor: str) -> tuple[DraftOut, bool]:
        """A draft that removes a live document when published."""
        record = self.live_record(doc_id)
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
    ) -> tuple[DraftOut, bool]:
        """Save the open draft of ``doc_id`` (creating it if there is none)."""
        live = self.live_record(doc_id)
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
                self.document_of(draft)  # refuse now what could not be published later
            result = self.view(draft)
        verb = "retire" if action == "retire" else ("create" if created else "update")
        detail = {"source": source_kind, "file": source_name} if source_kind else None
        self.staff.audit(actor=actor, action=f"kb.draft.{verb}", target=doc_id, detail=detail)
        return result, created

    def get(self, draft_id: str) -> Draft:
        with self._sessions() as session:
            draft = session.get(Draft, draft_id)
        if draft is None:
            raise NotFound(f"There is no draft with the id {draft_id!r}.")
        return draft

    def open(self, ids: Sequence[str] | None = None) -> list[Draft]:
        """The open drafts (of ``ids`` only, when given), most recently saved first."""
        with self._sessions() as session:
            query = select(Draft).where(Draft.state == "draft")
            if ids is not None:
                query = query.where(Draft.id.in_(list(ids)))
            return list(session.scalars(query.order_by(Draft.updated_at.desc())))

    def live_record(self, doc_id: str | None) -> DocumentRecord | None:
        snapshot = self.index_store.snapshot()
        return snapshot.manifest.documents.get(doc_id) if snapshot and doc_id else None

    def view(self, draft: Draft) -> DraftOut:
        live = self.live_record(draft.doc_id)
        given = draft.fields or {}
        return DraftOut(
            id=draft.id,
            doc_id=draft.doc_id,
            action=draft.action,
            title=draft.title,
            markdown=draft.body or "",
            fields=DraftFieldsOut(**{k: given.get(k) for k in DRAFT_FIELDS}),
            source_name=draft.source_name,
            source_kind=draft.source_kind,
            state=draft.state,
            created_by=draft.created_by,
            updated_by=draft.updated_by,
            created_at=aware(draft.created_at).isoformat(),
            updated_at=aware(draft.updated_at).isoformat(),
            warnings=list(draft.warnings or []),
            conflict=draft.state == "draft"
            and (live.content_hash if live else None) != draft.base_hash,
            live=live is not None,
        )

    def changes(self, drafts: Sequence[Draft]) -> tuple[list[Document], list[str]]:
        """What ``drafts`` would publish: documents to add or replace, ids to remove."""
        documents = [self.document_of(d) for d in drafts if d.action == "upsert"]
        retired = [d.doc_id for d in drafts if d.action == "retire"]
        return documents, retired

    @staticmethod
    def document_of(draft: Draft) -> Document:
        text = markdown_with_front_matter(draft.body or "", draft.title or "", draft.fields or {})
        try:
            document = parse_markdown(text, draft.doc_id, source=f"editor:{draft.id}")
        except UnreadableDocument as error:
            raise EditorialError(f"This draft cannot be read: {error}") from None
        # A front matter ``doc_id`` inside the text must not redirect the change elsewhere.
        return (
            replace(document, doc_id=draft.doc_id) if document.doc_id != draft.doc_id else document
        )
