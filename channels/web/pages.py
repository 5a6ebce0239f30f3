"""The citizen chat page, served from package files (no CDN, nothing external)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse

STATIC_DIR = Path(__file__).resolve().parent / "static"

router = APIRouter()


# HEAD too, with GET's status and headers: uptime and link checkers send HEAD. It is left
# out of the schema, as the health checks' HEAD is.
@router.get("/", response_class=HTMLResponse, tags=["pages"])
@router.head("/", include_in_schema=False)
async def chat_page() -> FileResponse:
    """The citizen web chat."""
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html")
