"""Document metadata: the one statement of what an editor may set on a document.

Besides its title and text, a document carries the ``DRAFT_FIELDS``: agency, topic,
official address, language and review dates. The editor API, the ``kb`` CLI (through
the editor desk) and uploads all check them here, so a value refused in one place is
refused everywhere, with the same words.

:class:`DocumentMetadata` is the shape (strings of bounded length), which the API
enforces on the wire. The rules about content come in two strengths:

- :meth:`DocumentMetadata.checked` for values an editor typed: the first bad one raises
  :class:`InvalidMetadata`, whose message tells the editor how to fix it;
- :meth:`DocumentMetadata.salvaged` for values a file carried: a bad one is left out,
  with a warning, because the editor did not type it and the rest of the file is fine.

Loading files for ``ingest`` checks none of this (see ``knowledge_base.loaders``): a
published document keeps whatever its source says.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, StrictStr

__all__ = ["DRAFT_FIELDS", "MAX_LENGTHS", "DocumentMetadata", "InvalidMetadata"]

MetadataField = Literal["agency", "topic", "url", "language", "last_reviewed", "review_due"]

# The fields a draft carries besides its title (docs/api.md, the OpenAPI schema), in order.
DRAFT_FIELDS: tuple[MetadataField, ...] = (
    "agency",
    "topic",
    "url",
    "language",
    "last_reviewed",
    "review_due",
)
# The console's inputs carry the same limits, so an editor meets them while typing.
MAX_LENGTHS: dict[MetadataField, int] = {
    "agency": 200,
    "topic": 200,
    "url": 500,
    "language": 20,
    "last_reviewed": 10,
    "review_due": 10,
}
_DATE_FIELDS = frozenset({"last_reviewed", "review_due"})
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*")
_CONTROLS = re.compile(r"[\x00-\x1f\x7f]")


class InvalidMetadata(ValueError):
    """A metadata value an editor must fix; ``str(exc)`` tells them how."""


class DocumentMetadata(BaseModel):
    """A document's metadata fields, each optional; ``""`` clears a field in an edit."""

    model_config = ConfigDict(frozen=True)

    agency: StrictStr | None = Field(None, max_length=MAX_LENGTHS["agency"])
    topic: StrictStr | None = Field(None, max_length=MAX_LENGTHS["topic"])
    url: StrictStr | None = Field(None, max_length=MAX_LENGTHS["url"])
    language: StrictStr | None = Field(None, max_length=MAX_LENGTHS["language"])
    last_reviewed: StrictStr | None = Field(None, max_length=MAX_LENGTHS["last_reviewed"])
    review_due: StrictStr | None = Field(None, max_length=MAX_LENGTHS["review_due"])

    def given(self) -> dict[str, str]:
        """The fields that were set (empty ones included), as a plain dict."""
        return {key: value for key, value in self.model_dump().items() if value is not None}

    @classmethod
    def checked(cls, values: Mapping[str, object]) -> DocumentMetadata:
        """``values`` (unknown keys ignored) as one-line strings, dates as YYYY-MM-DD.

        Raises InvalidMetadata for the first value an editor has to change.
        """
        clean: dict[str, str] = {}
        for key in DRAFT_FIELDS:
            raw = values.get(key)
            if raw is None:
                continue
            text = _one_line(str(raw))
            if text:
                problem = _problem(key, text)
                if problem is not None:
                    raise InvalidMetadata(problem[0])
                text = _normalised(key, text)
            if len(text) > MAX_LENGTHS[key]:
                raise InvalidMetadata(f"{key} is too long (at most {MAX_LENGTHS[key]} characters).")
            clean[key] = text
        return cls.model_validate(clean)

    @classmethod
    def salvaged(cls, values: Mapping[str, str | None]) -> tuple[DocumentMetadata, list[str]]:
        """What can be kept of the values a file carried, and a warning for each left out.

        Empty values are dropped and over-long ones shortened: the file's author cannot
        be asked, and a shortened agency name is still better than none.
        """
        clean: dict[str, str] = {}
        warnings: list[str] = []
        for key in DRAFT_FIELDS:
            raw = values.get(key)
            text = _one_line(raw)[:500] if raw else ""
            if not text:
                continue
            problem = _problem(key, text)
            if problem is not None:
                warnings.append(problem[1])
                continue
            clean[key] = _normalised(key, text)[: MAX_LENGTHS[key]]
        return cls.model_validate(clean), warnings


def _one_line(text: str) -> str:
    """``text`` without control characters, its whitespace collapsed to single spaces."""
    return " ".join(_CONTROLS.sub(" ", text).split())


def _problem(key: MetadataField, text: str) -> tuple[str, str] | None:
    """What is wrong with ``text`` as ``key``: (message for an editor, warning for a
    value left out of a file), or None if nothing is."""
    if key == "url":
        parts = urlsplit(text)
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
            return (
                "The link must start with https:// or http://.",
                f"We left out the address {text!r}: only web addresses starting with "
                "https:// or http:// can be used.",
            )
    elif key in _DATE_FIELDS:
        if _date(text) is None:
            label = key.replace("_", " ")
            return (
                f"{label.capitalize()} must be a date like 2026-03-31.",
                f"We left out {label} {text!r}: write dates as YYYY-MM-DD.",
            )
    elif key == "language" and not _LANGUAGE_TAG.fullmatch(text):
        return (
            "Language must be a code such as en or es.",
            f"We left out the language {text!r}: use a code such as en or es.",
        )
    return None


def _normalised(key: MetadataField, text: str) -> str:
    """A valid value in its stored form: dates as YYYY-MM-DD (a time after them dropped)."""
    if key in _DATE_FIELDS:
        day = _date(text)
        return day.isoformat() if day is not None else text
    return text


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return None
