"""The editor console: its page and the editor API (its schema: /openapi.json, docs/api.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, File, Form, HTTPException, Query, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from pydantic import BaseModel, Field, StrictStr
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.editorial import Conflict, EditorialError, NotFound, PublishResult
from assistant.editorial.views import (  # the desk's answers are the API's models
    AuditOut,
    CitedOut,
    DocumentListOut,
    DocumentOut,
    DraftDiffOut,
    DraftListOut,
    DraftOut,
    FeedbackReportOut,
    GapsOut,
    PreviewOut,
    ProposalsOut,
    RestoreOut,
    StaleOut,
    StaleTranslationsOut,
    VersionsOut,
)
from channels.web.deps import EditorDep, EditorDeskDep
from channels.web.pages import STATIC_DIR
from channels.web.schemas import SIGNED_IN_ERRORS, Ok, PublishOut, errors
from knowledge_base.metadata import MAX_LENGTHS, DocumentMetadata
from knowledge_base.uploads import MB, UploadRejected

_NOT_FOUND = errors({404: "No such document, draft or version."})
_CONFLICT = errors({409: "The draft is no longer open, or there is nothing to do."})
_UNREADABLE = errors(
    {
        413: "The file is larger than CA_UPLOAD_MAX_MB.",
        415: "Not a document type we read.",
        422: "Malformed, password-protected or bomb-like, or a field is invalid.",
    }
)

# Every editor route: 401 signed out, 403 not an editor; 422 an edit the desk refuses.
router = APIRouter(
    prefix="/api/editor",
    tags=["editor"],
    responses=errors({**SIGNED_IN_ERRORS, 422: "The request is invalid or cannot be carried out."}),
)
page_router = APIRouter()
UPLOAD_PATH = "/api/editor/drafts/upload"

T = TypeVar("T")

# Multipart framing around the file; anything bigger than limit + this is refused unread.
_FORM_OVERHEAD = 64 * 1024


class PasteRequest(BaseModel):
    doc_id: StrictStr | None = Field(None, max_length=128)
    title: StrictStr = Field(max_length=255)
    markdown: StrictStr
    fields: DocumentMetadata = Field(default_factory=DocumentMetadata)


class UpdateRequest(BaseModel):
    title: StrictStr | None = Field(None, max_length=255)
    markdown: StrictStr | None = None
    fields: DocumentMetadata | None = None


class PreviewRequest(BaseModel):
    question: StrictStr = Field(min_length=1, max_length=1000)
    history: list[StrictStr] = Field(default_factory=list, max_length=12)


class PublishRequest(BaseModel):
    draft_ids: list[StrictStr] | None = Field(None, max_length=500)


class DraftFromAnswersRequest(BaseModel):
    proposal_ids: list[StrictStr] = Field(min_length=1, max_length=200)
    title: StrictStr | None = Field(
        None, max_length=255, description="The page's title; the group's question if left out."
    )


class RestoreRequest(BaseModel):
    version: StrictStr | None = Field(None, max_length=64)


async def _call(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a desk method in the thread pool; its errors become kind HTTP errors."""
    try:
        return await run_in_threadpool(function, *args, **kwargs)
    except NotFound as error:
        raise HTTPException(404, str(error)) from error
    except Conflict as error:
        raise HTTPException(409, str(error)) from error
    except UploadRejected as error:
        raise HTTPException(error.status, str(error)) from error
    except EditorialError as error:
        raise HTTPException(422, str(error)) from error


@page_router.get("/editor", response_class=HTMLResponse, tags=["pages"])
@page_router.head("/editor", include_in_schema=False)
async def editor_page() -> FileResponse:
    """The editor console (it signs in with /api/staff/login)."""
    return FileResponse(STATIC_DIR / "editor" / "index.html", media_type="text/html")


@router.get("/documents", response_model=DocumentListOut)
async def list_documents(
    _: EditorDep,
    desk: EditorDeskDep,
    q: Annotated[str | None, Query(max_length=200)] = None,
    agency: Annotated[str | None, Query(max_length=200)] = None,
    topic: Annotated[str | None, Query(max_length=200)] = None,
    overdue: bool = False,
) -> DocumentListOut:
    """Documents with agency, topic and review dates; new documents that are only drafts too."""
    return await _call(desk.documents, query=q, agency=agency, topic=topic, overdue_only=overdue)


@router.get("/documents/{doc_id}", response_model=DocumentOut, responses=_NOT_FOUND)
async def get_document(doc_id: str, _: EditorDep, desk: EditorDeskDep) -> DocumentOut:
    """One document: summary, metadata and its live text as Markdown."""
    return await _call(desk.document, doc_id)


@router.post(
    "/documents/{doc_id}/retire",
    status_code=201,
    response_model=DraftOut,
    responses={**_NOT_FOUND, **_CONFLICT},
)
async def retire_document(doc_id: str, session: EditorDep, desk: EditorDeskDep) -> DraftOut:
    """A draft that removes the document when published."""
    draft, _ = await _call(desk.retire, doc_id, actor=session.user.username)
    return draft


@router.get("/drafts", response_model=DraftListOut)
async def list_drafts(_: EditorDep, desk: EditorDeskDep) -> DraftListOut:
    """The open drafts, newest first."""
    return DraftListOut(drafts=await _call(desk.drafts))


@router.get("/drafts/{draft_id}", response_model=DraftOut, responses=_NOT_FOUND)
async def get_draft(draft_id: str, _: EditorDep, desk: EditorDeskDep) -> DraftOut:
    return await _call(desk.draft, draft_id)


@router.get("/drafts/{draft_id}/diff", response_model=DraftDiffOut, responses=_NOT_FOUND)
async def get_draft_diff(draft_id: str, _: EditorDep, desk: EditorDeskDep) -> DraftDiffOut:
    """The draft's text against the live text: what publishing it would change."""
    return await _call(desk.draft_diff, draft_id)


@router.post("/drafts/upload", status_code=201, response_model=DraftOut, responses=_UNREADABLE)
async def upload_draft(
    session: EditorDep,
    desk: EditorDeskDep,
    file: Annotated[UploadFile, File(description="Markdown, HTML, PDF, DOCX or text.")],
    doc_id: Annotated[str | None, Form(max_length=128)] = None,
    agency: Annotated[str | None, Form(max_length=MAX_LENGTHS["agency"])] = None,
    topic: Annotated[str | None, Form(max_length=MAX_LENGTHS["topic"])] = None,
) -> DraftOut:
    """A new draft from a file. Its type is read from its content; its name is never a path."""
    data = await file.read()  # bounded: UploadBodyLimit cut the body off at the limit
    fields = {k: v for k, v in {"agency": agency, "topic": topic}.items() if v}
    draft, _ = await _call(
        desk.upload,
        file.filename or "",
        data,
        actor=session.user.username,
        doc_id=doc_id or None,
        fields=fields,
    )
    return draft


@router.post(
    "/drafts",
    status_code=201,
    response_model=DraftOut,
    responses={200: {"model": DraftOut, "description": "The open draft, updated."}},
)
async def paste_draft(body: PasteRequest, session: EditorDep, desk: EditorDeskDep) -> JSONResponse:
    """Pasted text as a new document, or an edit of a live document (its ``doc_id``)."""
    draft, created = await _call(
        desk.paste,
        actor=session.user.username,
        title=body.title,
        markdown=body.markdown,
        doc_id=body.doc_id,
        fields=body.fields.given(),
    )
    # A JSONResponse for its status (201 new, 200 updated).
    return JSONResponse(draft.model_dump(), status_code=201 if created else 200)


@router.put("/drafts/{draft_id}", response_model=DraftOut, responses={**_NOT_FOUND, **_CONFLICT})
async def update_draft(
    draft_id: str, body: UpdateRequest, session: EditorDep, desk: EditorDeskDep
) -> DraftOut:
    return await _call(
        desk.update,
        draft_id,
        actor=session.user.username,
        title=body.title,
        markdown=body.markdown,
        fields=body.fields.given() if body.fields else None,
    )


@router.delete("/drafts/{draft_id}", response_model=Ok, responses={**_NOT_FOUND, **_CONFLICT})
async def discard_draft(draft_id: str, session: EditorDep, desk: EditorDeskDep) -> Ok:
    """Discard the draft (kept for the audit log)."""
    await _call(desk.discard, draft_id, actor=session.user.username)
    return Ok(ok=True)


@router.post("/preview", response_model=PreviewOut)
async def preview(body: PreviewRequest, _: EditorDep, desk: EditorDeskDep) -> PreviewOut:
    """The answer citizens get today beside the answer after publishing the open drafts."""
    return await _call(desk.preview, body.question, history=body.history)


@router.post("/publish", response_model=PublishOut, responses={**_NOT_FOUND, **_CONFLICT})
async def publish(body: PublishRequest, session: EditorDep, desk: EditorDeskDep) -> PublishResult:
    """Re-index what the drafts change and switch every server to the new version."""
    return await _call(desk.publish, actor=session.user.username, draft_ids=body.draft_ids)


@router.get("/versions", response_model=VersionsOut)
async def versions(_: EditorDep, desk: EditorDeskDep) -> VersionsOut:
    """Stored index versions and the publications that made them, newest first."""
    return await _call(desk.versions)


@router.post("/restore", response_model=RestoreOut, responses={**_NOT_FOUND, **_CONFLICT})
async def restore(body: RestoreRequest, session: EditorDep, desk: EditorDeskDep) -> RestoreOut:
    """Make an earlier version live again; without one, undo the last publish."""
    return await _call(desk.restore, actor=session.user.username, version=body.version)


@router.get("/audit", response_model=AuditOut)
async def audit(
    _: EditorDep, desk: EditorDeskDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> AuditOut:
    """What editors did (kb.* actions), newest first."""
    return AuditOut(entries=await _call(desk.audit, limit=limit))


@router.get("/proposals", response_model=ProposalsOut)
async def answer_proposals(_: EditorDep, desk: EditorDeskDep) -> ProposalsOut:
    """Caseworkers' answers to questions the assistant could not answer, offered for the
    knowledge base: grouped by similar question, largest group first, personal data removed."""
    return await _call(desk.answer_proposals)


@router.post(
    "/proposals/draft",
    status_code=201,
    response_model=DraftOut,
    responses={**_NOT_FOUND, **_CONFLICT},
)
async def draft_from_answers(
    body: DraftFromAnswersRequest, session: EditorDep, desk: EditorDeskDep
) -> DraftOut:
    """A new draft page made of these answers, to edit and publish like any other draft."""
    return await _call(
        desk.draft_from_answers, body.proposal_ids, actor=session.user.username, title=body.title
    )


@router.delete("/proposals/{proposal_id}", response_model=Ok, responses={**_NOT_FOUND, **_CONFLICT})
async def dismiss_answer(proposal_id: str, session: EditorDep, desk: EditorDeskDep) -> Ok:
    """Leave this answer out of the knowledge base (kept for the audit log)."""
    await _call(desk.dismiss_answer, proposal_id, actor=session.user.username)
    return Ok(ok=True)


@router.get("/reports/gaps", response_model=GapsOut)
async def gaps(
    _: EditorDep, desk: EditorDeskDep, days: Annotated[int, Query(ge=1, le=365)] = 30
) -> GapsOut:
    """Questions that ended unanswered or with a person, grouped by similarity (redacted)."""
    return await _call(desk.content_gaps, days=days)


@router.get("/reports/stale", response_model=StaleOut)
async def stale(_: EditorDep, desk: EditorDeskDep) -> StaleOut:
    """Live documents past their review date, most overdue first."""
    return StaleOut(documents=await _call(desk.stale))


@router.get("/reports/translations", response_model=StaleTranslationsOut)
async def stale_translations(
    _: EditorDep,
    desk: EditorDeskDep,
    include_current: Annotated[
        bool,
        Query(
            alias="all",
            description="Also list the translations that are up to date (`stale: false`).",
        ),
    ] = False,
) -> StaleTranslationsOut:
    """Translated pages reviewed before the page they translate was (or whose page is gone),
    oldest first: the Spanish page may no longer say what the English page says. With
    `all=true`, every translated page follows, so the report says which page translates which."""
    return StaleTranslationsOut(
        translations=await _call(desk.stale_translations, include_current=include_current)
    )


@router.get("/reports/cited", response_model=CitedOut)
async def cited(
    _: EditorDep, desk: EditorDeskDep, days: Annotated[int, Query(ge=1, le=365)] = 30
) -> CitedOut:
    """The documents answers cited most, most cited first."""
    return CitedOut(documents=await _call(desk.most_cited, days=days))


@router.get("/reports/feedback", response_model=FeedbackReportOut)
async def feedback(
    _: EditorDep, desk: EditorDeskDep, days: Annotated[int, Query(ge=1, le=365)] = 90
) -> FeedbackReportOut:
    """Citizens' verdicts on answers, per cited document (comments redacted)."""
    return FeedbackReportOut(documents=await _call(desk.feedback, days=days))


class UploadBodyLimit:
    """Stops reading an upload's request body once it passes the upload limit: 413.

    The form parser would otherwise spool a body of any size to disk before the endpoint
    could look at it (a client may send no Content-Length at all).
    """

    def __init__(self, app: ASGIApp, *, path: str) -> None:
        self.app = app
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        limit = scope["app"].state.container.editor_desk.upload_max_bytes
        allowed = limit + _FORM_OVERHEAD
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length", b"0")
        seen = int(declared) if declared.isdigit() else 0
        cut_off = seen > allowed
        if not cut_off:
            seen = 0

            async def counted() -> Message:
                nonlocal seen, cut_off
                if cut_off:
                    return {"type": "http.request", "body": b"", "more_body": False}
                message = await receive()
                if message["type"] == "http.request":
                    seen += len(message.get("body", b""))
                    if seen > allowed:  # end the body here; the parser's complaint is dropped
                        cut_off = True
                        return {"type": "http.request", "body": b"", "more_body": False}
                return message

            async def unless_cut_off(message: Message) -> None:
                if not cut_off:
                    await send(message)

            await self.app(scope, counted, unless_cut_off)
        if cut_off:
            response = JSONResponse({"detail": _too_large(seen, limit)}, status_code=413)
            await response(scope, receive, send)


def _too_large(size: int, limit: int) -> str:
    return f"The file is {size / MB:.1f} MB or more; the limit is {limit / MB:g} MB."
