"""Document metadata on the desk: as the live index holds it and as an editor gives it
(checked by ``knowledge_base.metadata.DocumentMetadata``, the one model the API, the CLI
and uploads share)."""

from __future__ import annotations

from datetime import date
from typing import Any

from assistant.editorial.errors import EditorialError
from knowledge_base.index_store import DocumentRecord
from knowledge_base.metadata import DocumentMetadata, InvalidMetadata


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
    try:
        return DocumentMetadata.checked(fields).given()
    except InvalidMetadata as error:
        raise EditorialError(str(error)) from None


def _parse_date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None
