"""Content editing settings: what editors may upload, and when documents fall due for review."""

from __future__ import annotations

from pydantic import BaseModel, Field


class EditingSettings(BaseModel):
    """Uploads, review dates, and the sample knowledge base a new deployment starts from."""

    upload_max_mb: float = Field(
        10.0, gt=0, le=200, description="Largest file a content editor may upload, in MB."
    )
    review_interval_days: int = Field(
        365,
        ge=1,
        description="A document without a `review_due` date is due for review this many days "
        "after `last_reviewed`.",
    )
    sample_kb_on_empty: bool = Field(
        True,
        description="On `serve` with an empty knowledge base, ingest the bundled sample first.",
    )
