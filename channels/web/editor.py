"""The editor console: its page and the editor API (docs/editor-api.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field, StrictStr
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.editorial import Conflict, EditorialError, NotFound
from assistant.staff import Role, SignedIn
from channels.http import PAGE_METHODS
from channels.web.deps import ContainerDep, require
from channels.web.pages import STATIC_DIR
from knowledge_base.metadata import MAX_LENGTHS, DocumentMetadata
from knowledge_base.uploads import MB, UploadRejected

router = APIRouter(prefix="/api/editor", tags=["editor"])
page_router = APIRouter()

EditorDep = Annotated[SignedIn, Depends(require(Role.EDITOR))]
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


@page_router.api_route("/editor", methods=PAGE_METHODS, include_in_schema=False)
async def editor_page() -> FileResponse:
    return FileResponse(STATIC_DIR / "editor" / "index.html", media_type="text/html")


@router.get("/documents")
async def list_documents(
    container: ContainerDep,
    _: EditorDep,
    q: Annotated[str | None, Query(max_length=200)] = None,
    agency: Annotated[str | None, Query(max_length=200)] = None,
    topic: Annotated[str | None, Query(max_length=200)] = None,
    overdue: bool = False,
) -> dict[str, Any]:
    """Documents with agency, topic and review dates; new documents that are only drafts too."""
    desk = container.editor_desk
    return await _call(desk.documents, query=q, agency=agency, topic=topic, overdue_only=overdue)


@router.get("/documents/{doc_id}")
async def get_document(doc_id: str, container: ContainerDep, _: EditorDep) -> dict[str, Any]:
    """One document: summary, metadata and its live text as Markdown."""
    return await _call(container.editor_desk.document, doc_id)


@router.post("/documents/{doc_id}/retire", status_code=201)
async def retire_document(
    doc_id: str, container: ContainerDep, session: EditorDep
) -> dict[str, Any]:
    """A draft that removes the document when published."""
    draft, _ = await _call(container.editor_desk.retire, doc_id, actor=session.user.username)
    return draft


@router.get("/drafts")
async def list_drafts(container: ContainerDep, _: EditorDep) -> dict[str, Any]:
    return {"drafts": await _call(container.editor_desk.drafts)}


@router.get("/drafts/{draft_id}")
async def get_draft(draft_id: str, container: ContainerDep, _: EditorDep) -> dict[str, Any]:
    return await _call(container.editor_desk.draft, draft_id)


@router.post("/drafts/upload", status_code=201)
async def upload_draft(
    container: ContainerDep,
    session: EditorDep,
    file: Annotated[UploadFile, File(description="Markdown, HTML, PDF, DOCX or text.")],
    doc_id: Annotated[str | None, Form(max_length=128)] = None,
    agency: Annotated[str | None, Form(max_length=MAX_LENGTHS["agency"])] = None,
    topic: Annotated[str | None, Form(max_length=MAX_LENGTHS["topic"])] = None,
) -> dict[str, Any]:
    """A new draft from a file. Its type is read from its content; its name is never a path."""
    data = await file.read()  # bounded: UploadBodyLimit cut the body off at the limit
    fields = {k: v for k, v in {"agency": agency, "topic": topic}.items() if v}
    draft, _ = await _call(
        container.editor_desk.upload,
        file.filename or "",
        data,
        actor=session.user.username,
        doc_id=doc_id or None,
        fields=fields,
    )
    return draft


@router.post("/drafts", status_code=201)
async def paste_draft(body: PasteRequest, container: ContainerDep, session: EditorDep) -> Any:
    """Pasted text as a new document, or an edit of a live document (its ``doc_id``)."""
    draft, created = await _call(
        container.editor_desk.paste,
        actor=session.user.username,
        title=body.title,
        markdown=body.markdown,
        doc_id=body.doc_id,
        fields=body.fields.given(),
    )
    return JSONResponse(draft, status_code=201 if created else 200)


@router.put("/drafts/{draft_id}")
async def update_draft(
    draft_id: str, body: UpdateRequest, container: ContainerDep, session: EditorDep
) -> dict[str, Any]:
    return await _call(
        container.editor_desk.update,
        draft_id,
        actor=session.user.username,
        title=body.title,
        markdown=body.markdown,
        fields=body.fields.given() if body.fields else None,
    )


@router.delete("/drafts/{draft_id}")
async def discard_draft(
    draft_id: str, container: ContainerDep, session: EditorDep
) -> dict[str, bool]:
    await _call(container.editor_desk.discard, draft_id, actor=session.user.username)
    return {"ok": True}


@router.post("/preview")
async def preview(body: PreviewRequest, container: ContainerDep, _: EditorDep) -> dict[str, Any]:
    """The answer citizens get today beside the answer after publishing the open drafts."""
    return await _call(container.editor_desk.preview, body.question, history=body.history)


@router.post("/publish")
async def publish(body: PublishRequest, container: ContainerDep, session: EditorDep) -> Any:
    """Re-index what the drafts change and switch every server to the new version."""
    result = await _call(
        container.editor_desk.publish, actor=session.user.username, draft_ids=body.draft_ids
    )
    return result.to_json()


@router.get("/versions")
async def versions(container: ContainerDep, _: EditorDep) -> dict[str, Any]:
    return await _call(container.editor_desk.versions)


@router.post("/restore")
async def restore(body: RestoreRequest, container: ContainerDep, session: EditorDep) -> Any:
    """Make an earlier version live again; without one, undo the last publish."""
    return await _call(
        container.editor_desk.restore, actor=session.user.username, version=body.version
    )


@router.get("/audit")
async def audit(
    container: ContainerDep, _: EditorDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> dict[str, Any]:
    return {"entries": await _call(container.editor_desk.audit, limit=limit)}


@router.get("/reports/gaps")
async def gaps(
    container: ContainerDep, _: EditorDep, days: Annotated[int, Query(ge=1, le=365)] = 30
) -> dict[str, Any]:
    """Questions that ended unanswered or with a person, grouped by similarity (redacted)."""
    return await _call(container.editor_desk.content_gaps, days=days)


@router.get("/reports/stale")
async def stale(container: ContainerDep, _: EditorDep) -> dict[str, Any]:
    return {"documents": await _call(container.editor_desk.stale)}


@router.get("/reports/cited")
async def cited(
    container: ContainerDep, _: EditorDep, days: Annotated[int, Query(ge=1, le=365)] = 30
) -> dict[str, Any]:
    return {"documents": await _call(container.editor_desk.most_cited, days=days)}


@router.get("/reports/feedback")
async def feedback(
    container: ContainerDep, _: EditorDep, days: Annotated[int, Query(ge=1, le=365)] = 90
) -> dict[str, Any]:
    return {"documents": await _call(container.editor_desk.feedback, days=days)}


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
