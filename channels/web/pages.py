"""The citizen chat page, served from package files (no CDN, nothing external)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse, HTMLResponse, Response

from assistant.canned import DEFAULT_LANGUAGE
from channels.web.deps import SettingsDep
from channels.web.page_text import language_of, render

STATIC_DIR = Path(__file__).resolve().parent / "static"

router = APIRouter()


# HEAD too, with GET's status and headers: uptime and link checkers send HEAD. It is left
# out of the schema, as the health checks' HEAD is.
@router.get("/", response_class=HTMLResponse, tags=["pages"])
@router.head("/", include_in_schema=False)
async def chat_page(
    settings: SettingsDep,
    lang: Annotated[
        str | None,
        Query(description="The page's language: `en` (the default) or `es` (Spanish)."),
    ] = None,
) -> Response:
    """The citizen web chat, in English or (``?lang=es``) in Spanish."""
    language = language_of(lang)
    if settings.llm_provider == "none" and language == DEFAULT_LANGUAGE:
        return FileResponse(STATIC_DIR / "index.html", media_type="text/html")
    page = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    if language != DEFAULT_LANGUAGE:
        page = render(page, language)
    if settings.llm_provider != "none":
        # With a language model the page asks for the answer as a stream of drafts
        # (``POST /api/chat/stream``); the page reads this flag rather than a second request.
        page = page.replace(
            f'<html lang="{language}"', f'<html data-streaming="true" lang="{language}"', 1
        )
    return HTMLResponse(page)
