"""The citizen chat page, served from package files (no CDN, nothing external)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from channels.http import PAGE_METHODS

STATIC_DIR = Path(__file__).resolve().parent / "static"

router = APIRouter()


@router.api_route("/", methods=PAGE_METHODS, include_in_schema=False)
async def chat_page() -> FileResponse:
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html")
