"""The citizen chat page, served from package files (no CDN, nothing external)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse, Response

from channels.web.deps import SettingsDep

STATIC_DIR = Path(__file__).resolve().parent / "static"

router = APIRouter()


# HEAD too, with GET's status and headers: uptime and link checkers send HEAD. It is left
# out of the schema, as the health checks' HEAD is.
@router.get("/", response_class=HTMLResponse, tags=["pages"])
@router.head("/", include_in_schema=False)
async def chat_page(settings: SettingsDep) -> Response:
    """The citizen web chat."""
    if settings.llm_provider == "none":
        return FileResponse(STATIC_DIR / "index.html", media_type="text/html")
    # With a language model the page asks for the answer as a stream of drafts
    # (``POST /api/chat/stream``); the page reads this flag rather than a second request.
    page = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    flagged = page.replace('<html lang="en">', '<html lang="en" data-streaming="true">', 1)
    return HTMLResponse(flagged)
