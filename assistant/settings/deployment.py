"""Deployment settings: the profile a deployment runs under, and where it keeps its data."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field


class DeploymentSettings(BaseModel):
    """The deployment profile, the data folder, the database and the index versions."""

    environment: Literal["development", "test", "production"] = Field(
        "development", description="Deployment profile: development, test or production."
    )
    data_dir: Path = Field(
        Path("data"),
        description="Folder holding the index versions and the SQLite database.",
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the conversation store; default: SQLite in the data dir.",
    )
    redis_url: str | None = Field(
        None,
        description="Redis URL (`redis://host:6379/0`) that replicas share: live events "
        "between them, rate-limit counters and sign-in lockouts; unset, events and counters "
        "stay in this one process, which is all a single server needs.",
    )
    index_store: Path | None = Field(
        None,
        description="Folder of the index versions; default: `index` in the data dir. Point "
        "every replica at the same shared folder and each picks up a publish within seconds.",
    )
    keep_index_versions: int = Field(
        8,
        ge=2,
        le=100,
        description="Index versions kept on disk (the live one and earlier "
        "ones an editor can restore).",
    )

    @property
    def index_dir(self) -> Path:
        return self.index_store or self.data_dir / "index"

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'assistant.db').resolve()}"
