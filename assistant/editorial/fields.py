"""Document metadata on the desk: as the live index holds it and as an editor gives it.

The validation here is due to be replaced by one model in ``knowledge_base``; until then
it stays as it was in the single ``editorial`` module, names included, so that change and
this package's split touch different lines.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from assistant.editorial.errors import EditorialError
from knowledge_base.index_store import DocumentRecord
from knowledge_base.uploads import DRAFT_FIELDS


def _record_fields(record: DocumentRecord) -> dict[str, str]:
    values = {
        "agency": record.agency,
        "topic": record.topic,
        "url": record.url,
        "language": record.language,
        "last_reviewed": record.last_reviewed,
        "review_due": record.review_due,
    }
    return {k: v for k, v in values.items() if v}


def _clean_fields(fields: dict[str, Any]) -> dict[str, str]:
    """Known metadata fields only, as trimmed strings; dates must be YYYY-MM-DD."""
    clean: dict[str, str] = {}
    for key in DRAFT_FIELDS:
        value = fields.get(key)
        if value is None:
            continue
        text = str(value).strip()
        if key in ("last_reviewed", "review_due") and text and _parse_date(text) is None:
            raise EditorialError(
                f"{key.replace('_', ' ').capitalize()} must be a date like 2026-03-31."
            )
        if key == "url" and text and not text.startswith(("https://", "http://")):
            raise EditorialError("The link must start with https:// or http://.")
        if len(text) > 500:
            raise EditorialError(f"{key} is too long (at most 500 characters).")
        clean[key] = text
    return clean


def _parse_date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None
