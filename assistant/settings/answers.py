"""Answer settings: how long answers are, when the assistant answers at all, and what its
canned replies say."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field

from assistant.canned import N_


class AnswerSettings(BaseModel):
    """Answer length, the answer model and its thresholds, and the messages a turn reads."""

    answer_max_chars: int = Field(
        600,
        ge=80,
        le=2000,
        description="Longest answer, in characters: a list of steps, documents or fees "
        "(an SMS shows two segments of it and links to the rest).",
    )
    answer_prose_chars: int = Field(
        320,
        ge=80,
        le=2000,
        description="Longest answer in running text (sentences rather than a list), in characters.",
    )
    answer_model: Path | None = Field(
        None,
        description="A JSON file of fitted answer weights (`python -m eval.answer_model`) "
        "instead of the packaged `assistant/answer_model.json`.",
    )
    min_confidence: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Estimated chance of a right answer below which the assistant says it "
        "does not know; empty: the threshold chosen with the answer model "
        "(`python -m eval.answer_model`).",
    )
    spanish_min_confidence: float | None = Field(
        None,
        ge=0,
        le=1,
        description="The same threshold for an answer from a Spanish page; empty: the one "
        "chosen with the Spanish answer model (`python -m eval.answer_model`), the lowest "
        "at which 90% of the Spanish question set's dev unanswerable questions are refused.",
    )
    offer_min_confidence: float = Field(
        0.05,
        ge=0,
        le=1.01,
        description="Below the answer threshold, estimated chance of a right answer from "
        'which the page it would have come from is offered by its title ("Did you mean '
        "...?\"); the citizen's yes gets that page's answer. Above 1: never offered.",
    )
    statement_confidence_discount: float = Field(
        0.08,
        ge=0,
        le=1,
        description="How much lower the answer threshold is for a conversation's first "
        'message that is not phrased as a question ("my EBT card got stolen", "food truck '
        'permit cost"): the answer model learnt mostly from questions and trusts the '
        "answers to such messages less.",
    )
    answer_caveat_below: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Estimated chance of a right answer below which an answer ends with a "
        "note that it may not be complete and how to reach a person.",
    )
    message_max_chars: int = Field(
        1000, ge=10, le=20_000, description="Longest citizen message accepted, in characters."
    )
    conversation_idle_minutes: int = Field(
        120,
        ge=1,
        description="Minutes of silence after which a channel keyed by phone number starts a "
        "new conversation.",
    )
    session_history_turns: int = Field(
        6, ge=0, le=50, description="Recent turns kept in view for contextualising follow-ups."
    )


class CannedReplySettings(BaseModel):
    """Who the citizen is talking to, used in canned replies, and when a question is off topic."""

    # The defaults are marked N_ so the catalog translates them; an agency's own text is
    # said as written until it adds a translation to the catalog (make messages).
    agency_name: str = Field(
        N_("the City of Fairhaven"), description="How canned replies name the service."
    )
    human_contact: str = Field(
        N_(
            "call 311 (or (555) 010-0311 from outside the city), Monday to Friday 8 am to "
            "6 pm, or visit City Hall, 100 Main Street"
        ),
        description="How a citizen reaches a person, quoted in canned replies.",
    )
    emergency_contact: str = Field(
        N_(
            "If you are in danger right now, call 911. For a mental health crisis, call or "
            "text 988. For domestic violence, call the hotline at 1-800-799-7233."
        ),
        description="Emergency numbers given at once when a message suggests a crisis.",
    )
    out_of_scope_margin: float = Field(
        0.05,
        ge=0,
        le=1,
        description="How much closer to an off-topic example than to any passage a question "
        "must be to be treated as out of scope.",
    )
    language_min_confidence: float = Field(
        0.75,
        ge=0.5,
        le=1,
        description="How sure the language detector must be (English or Spanish) before a "
        "message changes the conversation's language; below it, short or mixed messages "
        "keep the language the conversation is in.",
    )
