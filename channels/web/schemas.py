"""The JSON the web API answers with: one model per response, the OpenAPI schema's source.

Each model mirrors the JSON the route returned before it was typed, key for key and in
the same order; a value that may be ``null`` is a required ``X | None`` field, so the key
is always present. Times are ISO 8601 strings with a UTC offset. The editor API's models
are the editor desk's own answers, in ``assistant/editorial/views.py``; so are the staff
API's answers that the assistant gives: a handoff, a note and a sent reply
(``assistant/handoffs/views.py``), a staff account (``assistant/staff.py``) and a
suggested reply (``assistant/suggestions.py``).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

# The editor API's models are the desk's own answers (assistant/editorial/views.py); the
# chat reply's citations share theirs. The staff API's are the assistant's answers too.
from assistant.editorial.views import CitationOut
from assistant.handoffs import HandoffSummaryOut, NoteOut
from assistant.staff import StaffUserOut
from assistant.suggestions import SuggestionOut


class Out(BaseModel):
    # Routes hand over the assistant's dataclasses as they are; read them by attribute.
    model_config = ConfigDict(from_attributes=True)


class Ok(Out):
    ok: bool = Field(description="Always true: the request did what it asked.")


class ErrorOut(Out):
    detail: str = Field(description="What went wrong, in a sentence for a person.")


class InvalidOut(Out):
    detail: str | list[dict[str, Any]] = Field(
        description="Why the request was refused: a sentence, or one entry per invalid field "
        "(loc, msg, type) when the request did not match its schema."
    )


def errors(described: dict[int, str]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the error statuses a route answers, each with its reason."""
    return {
        code: {"model": InvalidOut if code == 422 else ErrorOut, "description": text}
        for code, text in described.items()
    }


SIGNED_IN_ERRORS = {
    401: "Not signed in (or the session expired).",
    403: "The account's role may not do this, or the X-CSRF-Token header is missing.",
}


# ---------------------------------------------------------------- citizen chat


class MoreOut(Out):
    url: str = Field(description="The official page, at the section the answer quotes from.")
    section: str | None = Field(description="That section's heading (none: the page's opening).")


class ReplyOut(Out):
    text: str = Field(
        description="The answer: sentences quoted from the sources, list items on their own "
        "lines starting with '- ', a line ending in ':' labelling the items under it, and "
        "[n] after each group naming its citation."
    )
    citations: list[CitationOut]
    more: MoreOut | None = Field(
        None, description="Set when the answer shows only part of a section: read the rest."
    )


class HandoffOut(Out):
    id: str
    state: str = Field(description="waiting, claimed, resolved, returned or callback_requested.")
    position: int | None = Field(description="Place in the queue while waiting.")


class PageOfferOut(Out):
    title: str = Field(description="The page's title, as the reply names it.")
    url: str | None = Field(description="The official page.")


class ChatResponse(Out):
    session_id: str
    reply: ReplyOut
    status: str = Field(description="How the turn ended, e.g. answered or unanswerable_*.")
    confidence: float
    handoff: HandoffOut | None
    composer: Literal["extractive", "generative"] = Field(
        description="Who wrote the reply text: `extractive` (quoted from the sources, and every "
        "canned reply) or `generative` (the configured language model, checked against the "
        "sources it cites)."
    )
    fallback_reason: str | None = Field(
        description="Set when a generated answer was replaced by the quoted one: `timeout`, "
        "`error`, `malformed`, `empty`, `refusal`, `no_citation`, `invented_citation`, "
        "`unsupported` or `forbidden`."
    )
    message: str | None = Field(
        None,
        description="The citizen's message as it was stored, personal data replaced "
        "(e.g. [CARD NUMBER]): what a page keeps instead of what was typed.",
    )
    language: Literal["en", "es"] = Field(
        "en",
        description="The language the message was read in and the reply is written in "
        "(`en`, `es`): a page marks the exchange with it (`lang`).",
    )
    offer: PageOfferOut | None = Field(
        None,
        description="Set when the assistant was not sure enough to answer but one page may "
        'be what the citizen means: the reply asks "Did you mean ...?", and a next '
        "message of `yes` gets that page's answer (`no`: asked to put it another way).",
    )


class CitizenHandoffOut(HandoffOut):
    expected_wait_minutes: int | None


class CallbackOut(Out):
    handoff: CitizenHandoffOut
    text: str = Field(description="What to tell the citizen: the message was received.")


class LanguageOut(Out):
    session_id: str
    language: str = Field(description="The conversation's language from now on (`en`, `es`).")


class CitizenMessageOut(Out):
    seq: int = Field(description="1, 2, 3 … within the conversation.")
    role: str = Field(description="citizen, assistant or caseworker.")
    text: str = Field(description="As stored: what the citizen wrote, redacted.")
    author: str | None = Field(description="The caseworker's name on their replies.")
    at: str
    status: str | None = Field(description="How the assistant's turn ended; null otherwise.")
    citations: list[dict[str, Any]] = Field(description="The answer's sources, as stored.")


class CitizenTranscriptOut(Out):
    messages: list[CitizenMessageOut] = Field(description="Oldest first, after `after`.")
    last_seq: int = Field(
        description="The highest number the conversation has reached: ask with it next time."
    )


# ---------------------------------------------------------------- health


class HealthOut(Out):
    status: str = Field(description='"ok" while the process is alive.')


class ReadinessOut(Out):
    status: str = Field(description='"ready", or "not ready" (then the status code is 503).')
    checks: dict[str, str] = Field(description="index and database: what each check found.")


# ---------------------------------------------------------------- staff


class StaffSessionOut(Out):
    user: StaffUserOut
    csrf_token: str = Field(description="Send it as X-CSRF-Token on every request but a GET.")


class TranscriptMessageOut(Out):
    id: int
    seq: int = Field(description="1, 2, 3 … within the conversation.")
    role: str = Field(description="citizen, assistant, caseworker or system.")
    text: str
    author: str | None
    status: str | None
    confidence: float | None
    citations: list[dict[str, Any]] = Field(description="As stored with the answer.")
    at: str
    delivery_status: str | None = Field(
        description="A caseworker reply sent by text: pending, retrying, queued, sent, "
        "delivered, read, undelivered or failed; null otherwise."
    )
    delivery_error: str | None
    offer: PageOfferOut | None = Field(
        None,
        description='An assistant reply not sure of its answer: the page it offered ("Did '
        'you mean ...?"); null otherwise.',
    )


class HandoffDetailOut(HandoffSummaryOut):
    transcript: list[TranscriptMessageOut]
    notes: list[NoteOut]


class SuggestionResponse(Out):
    suggestion: SuggestionOut | None = Field(
        description="None when the knowledge base has no answer the assistant would give."
    )


# ---------------------------------------------------------------- editor


class PublishOut(Out):
    version: str
    previous_version: str | None
    added: list[str]
    updated: list[str]
    removed: list[str]
    embedded: int = Field(description="Passages embedded for this version.")
    seconds: float

    @field_validator("seconds")
    @classmethod
    def _to_the_hundredth(cls, seconds: float) -> float:
        return round(seconds, 2)
