"""Typed dependencies for the HTTP routers of every channel (one place, as FastAPI's
template does): a route asks for the one service it uses (``AssistantDep``,
``HandoffsDep``, ``EditorDeskDep`` ...), each taken from the app's container, so its
signature says what it touches and the whole container stays out of the handlers.
Staff sign-in and roles are the web channel's (``channels.web.deps``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.requests import HTTPConnection

from assistant.container import Container
from assistant.editorial import EditorDesk
from assistant.handoffs import HandoffQueue
from assistant.saved_replies import SavedReplies
from assistant.service import AssistantService
from assistant.settings import Settings
from assistant.staff import Staff
from assistant.store import ConversationStore
from knowledge_base.index_store import IndexStore


def container_of(connection: HTTPConnection) -> Container:
    """The app's container, for a request or a WebSocket."""
    container: Container = connection.app.state.container
    return container


# The dependencies are ``async``: FastAPI would run a plain function in the thread pool,
# a thread hop per request for a single attribute read.
async def get_settings(request: Request) -> Settings:
    return container_of(request).settings


async def get_assistant(request: Request) -> AssistantService:
    return container_of(request).assistant


async def get_handoffs(request: Request) -> HandoffQueue:
    return container_of(request).handoffs


async def get_staff_accounts(request: Request) -> Staff:
    return container_of(request).staff


async def get_editor_desk(request: Request) -> EditorDesk:
    return container_of(request).editor_desk


async def get_saved_replies(request: Request) -> SavedReplies:
    return container_of(request).saved_replies


async def get_conversation_store(request: Request) -> ConversationStore:
    return container_of(request).conversation_store


async def get_index_store(request: Request) -> IndexStore:
    return container_of(request).index_store


def get_teams(request: Request) -> list[str]:
    # Plain ``def``: it reads the users table, so FastAPI runs it in the thread pool.
    return container_of(request).teams()


SettingsDep = Annotated[Settings, Depends(get_settings)]
AssistantDep = Annotated[AssistantService, Depends(get_assistant)]
HandoffsDep = Annotated[HandoffQueue, Depends(get_handoffs)]
StaffAccountsDep = Annotated[Staff, Depends(get_staff_accounts)]
EditorDeskDep = Annotated[EditorDesk, Depends(get_editor_desk)]
ConversationStoreDep = Annotated[ConversationStore, Depends(get_conversation_store)]
IndexStoreDep = Annotated[IndexStore, Depends(get_index_store)]
TeamsDep = Annotated[list[str], Depends(get_teams)]
SavedRepliesDep = Annotated[SavedReplies, Depends(get_saved_replies)]
