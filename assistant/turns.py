"""The values a turn is made of: the inbound message, the context stages share, the reply."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from assistant.answer import Citation, ComposedAnswer
from assistant.canned import DEFAULT_LANGUAGE
from assistant.language import LanguageChoice
from knowledge_base.retriever import RetrievalQuery, RetrievalResult

if TYPE_CHECKING:
    import numpy as np


class Status(StrEnum):
    """How a turn ended. Escalation, analytics and evaluation read this, never the text."""

    ANSWERED = "answered"
    UNANSWERABLE_NO_CONTENT = "unanswerable_no_content"
    UNANSWERABLE_LOW_CONFIDENCE = "unanswerable_low_confidence"
    UNANSWERABLE_OUT_OF_SCOPE = "unanswerable_out_of_scope"
    SMALLTALK_GREETING = "smalltalk_greeting"
    SMALLTALK_THANKS = "smalltalk_thanks"
    SMALLTALK_LANGUAGE = "smalltalk_language"  # the citizen chose a language ("ESPAÑOL")
    GUARDRAIL_CRISIS = "guardrail_crisis"
    GUARDRAIL_ABUSE = "guardrail_abuse"
    GUARDRAIL_UNSUPPORTED_ANSWER = "guardrail_unsupported_answer"
    GUARDRAIL_ATTACK = "guardrail_attack"  # injection, jailbreak, the prompt, others' data
    GUARDRAIL_HARMFUL = "guardrail_harmful"  # help to harm or defraud
    GUARDRAIL_FORBIDDEN_OUTPUT = "guardrail_forbidden_output"  # an answer that may not go
    HANDOFF_REQUESTED = "handoff_requested"
    HANDOFF_CRISIS = "handoff_crisis"
    HANDOFF_OWN_CASE = "handoff_own_case"
    HANDOFF_FRUSTRATION = "handoff_frustration"
    HANDOFF_UNANSWERED_TWICE = "handoff_unanswered_twice"
    HANDOFF_WAITING = "handoff_waiting"
    HANDOFF_ACTIVE = "handoff_active"
    HANDOFF_CALLBACK_OFFERED = "handoff_callback_offered"
    HANDOFF_LIMITED = "handoff_limited"
    ERROR_INTERNAL = "error_internal"

    @property
    def answered(self) -> bool:
        return self is Status.ANSWERED

    @property
    def unanswered(self) -> bool:
        return self.value.startswith("unanswerable_") or self in (
            Status.GUARDRAIL_UNSUPPORTED_ANSWER,
            Status.GUARDRAIL_FORBIDDEN_OUTPUT,
        )

    @classmethod
    def parse(cls, value: str | None) -> Status | None:
        """The status stored as text, or None for none or an unknown one."""
        return cls._value2member_map_.get(value or "")  # type: ignore[return-value]


class Route(StrEnum):
    GREETING = "greeting"
    THANKS = "thanks"
    HUMAN = "human"
    QUESTION = "question"


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """A citizen's message as a channel hands it to the assistant."""

    channel: str
    text: str
    conversation_key: str | None = None
    external_id: str | None = None
    # False when the channel's limit on new handoffs from this sender is used up.
    may_open_handoff: bool = True
    # The language the citizen chose on the page's switch ("en", "es"); None: not chosen.
    language: str | None = None


@dataclass(frozen=True, slots=True)
class PastTurn:
    """One earlier message in the conversation, as stages see it (already redacted)."""

    role: str  # "citizen" | "assistant"
    text: str
    status: str | None = None
    cited_docs: tuple[str, ...] = ()
    # An answer's vector as composed (see ``ComposedAnswer.vector``); None: embed the text.
    vector: np.ndarray | None = field(default=None, compare=False, repr=False)
    # The embedder that made ``vector`` (None: not recorded, stored before migration 0007).
    vector_model: str | None = field(default=None, compare=False, repr=False)
    # A reply that was not sure: the page it asked the citizen about ("Did you mean ...?").
    offered: str | None = None


@dataclass(slots=True)
class TurnContext:
    """What the stages of one turn read and write. A stage ends the turn by setting ``status``."""

    message: InboundMessage
    # What the stages read: the message, redacted, without clauses that only hand over
    # personal data ("my SSN is [SSN] and I need help with SNAP" asks about SNAP).
    text: str
    # The message as the citizen said it, redacted: what is stored and shown to staff.
    said: str = ""
    history: list[PastTurn] = field(default_factory=list)
    # The stored conversation the turn belongs to (None: nothing is stored, as for `ask`).
    conversation_id: str | None = None
    # The language the conversation was in before this turn (None: new, or not stored).
    remembered_language: LanguageChoice | None = None
    # This turn's language: what the citizen reads back, and which pages are searched.
    language: str = DEFAULT_LANGUAGE
    language_chosen: bool = False
    route: Route | None = None
    retrieval_query: RetrievalQuery | None = None
    retrieval: RetrievalResult | None = None
    answer: ComposedAnswer | None = None
    # An answer composed but not given (the answerability stage judged it unlikely to be
    # right): kept so evaluation can tell what would have been said.
    declined: ComposedAnswer | None = None
    # Why a generated answer was not sent ("timeout", "invented_citation", ...), when a
    # model was asked and the quoted answer went instead.
    fallback_reason: str | None = None
    # A declined answer's page, offered to the citizen ("Did you mean ...?"); and, on the
    # turn where they say yes, the page they chose, answered from whatever its confidence.
    offer: PageOffer | None = None
    confirmed_doc: str | None = None
    reply_text: str = ""
    citations: list[Citation] = field(default_factory=list)
    confidence: float = 0.0
    status: Status | None = None
    redactions: list[str] = field(default_factory=list)
    handoff_reasons: list[str] = field(default_factory=list)
    # The handoff a person will take it up in, as the citizen sees it (position, wait).
    handoff: CitizenHandoff | None = None
    timings_ms: dict[str, float] = field(default_factory=dict)
    scores: dict[str, float] = field(default_factory=dict)

    @property
    def finished(self) -> bool:
        return self.status is not None

    def finish(self, status: Status, text: str, *, confidence: float | None = None) -> None:
        self.status = status
        self.reply_text = text
        if confidence is not None:
            self.confidence = confidence

    @property
    def citizen_history(self) -> list[str]:
        return [t.text for t in self.history if t.role == "citizen"]


@dataclass(frozen=True, slots=True)
class ReadMore:
    """A link to the whole section an answer quotes part of, on the official page.

    The URL carries a text fragment (``#:~:text=Fees``), so browsers that support them
    scroll to the section's heading; others open the page at its top.
    """

    url: str
    section: str | None

    @classmethod
    def for_answer(cls, page_url: str | None, section: tuple[str, ...]) -> ReadMore | None:
        if not page_url:
            return None
        heading = section[-1] if len(section) > 1 else None
        if heading is None or "#" in page_url:
            return cls(url=page_url, section=heading)
        return cls(url=f"{page_url}#:~:text={quote(heading, safe='')}", section=heading)

    def to_json(self) -> dict[str, Any]:  # part of OutboundReply.to_json
        return {"url": self.url, "section": self.section}


@dataclass(frozen=True, slots=True)
class PageOffer:
    """The page a declined answer came from, offered to the citizen by its title: they
    know whether it is what they asked about, and a yes gets them its answer."""

    doc_id: str
    title: str
    url: str | None

    def to_json(self) -> dict[str, Any]:  # stored in ``messages.offer`` and sent
        return {"doc_id": self.doc_id, "title": self.title, "url": self.url}

    @classmethod
    def from_json(cls, data: object) -> PageOffer | None:
        if not isinstance(data, dict) or not isinstance(data.get("doc_id"), str):
            return None
        url = data.get("url")
        return cls(
            doc_id=data["doc_id"],
            title=str(data.get("title") or ""),
            url=url if isinstance(url, str) else None,
        )


@dataclass(frozen=True, slots=True)
class CitizenHandoff:
    """What a citizen may see of their own handoff (never who holds it or why)."""

    id: str
    state: str
    position: int | None
    expected_wait_minutes: int | None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CitizenHandoff:
        return cls(
            id=data["id"],
            state=data["state"],
            position=data["position"],
            expected_wait_minutes=data["expected_wait_minutes"],
        )

    def to_json(self) -> dict[str, Any]:  # part of OutboundReply.to_json
        return {
            "id": self.id,
            "state": self.state,
            "position": self.position,
            "expected_wait_minutes": self.expected_wait_minutes,
        }


@dataclass(frozen=True, slots=True)
class OutboundReply:
    """What goes back to the channel."""

    session_id: str
    text: str
    citations: list[Citation]
    status: Status
    confidence: float
    handoff: CitizenHandoff | None = None
    timings_ms: dict[str, float] = field(default_factory=dict)
    duplicate: bool = False  # the inbound message was delivered before; this is a replay
    # The answer shows part of a section: where the citizen can read all of it.
    more: ReadMore | None = None
    composer: str = "extractive"  # who wrote the text: "extractive" | "generative"
    fallback_reason: str | None = None  # why a generated answer was replaced
    # The sequence number of the last message the turn stored (the web page keeps it, to
    # merge what the server holds on reload); not part of the JSON body.
    seq: int | None = None
    # The citizen's message as stored (personal data replaced): what a page may keep.
    said: str | None = None
    # The id the conversation is stored under. For a web citizen it is a hash of
    # ``session_id`` (their key, which only they hold); not part of the JSON body.
    conversation_id: str = ""
    language: str = DEFAULT_LANGUAGE  # the language the reply is in ("en", "es")
    # Not sure of the answer: the page it may be on, which the citizen can confirm.
    offer: PageOffer | None = None

    def to_json(self) -> dict[str, Any]:
        """The ``POST /api/chat`` response body (and ``ask --json``).

        A dict on purpose: it is the JSON itself, written in one place so that the API
        (whose ``ChatResponse`` model checks and documents it) and the command line print
        the same thing; the assistant's callers get the ``OutboundReply``.
        """
        return {
            "session_id": self.session_id,
            "reply": {
                "text": self.text,
                "citations": [c.to_json() for c in self.citations],
                "more": self.more.to_json() if self.more is not None else None,
            },
            "status": str(self.status),
            "confidence": round(float(self.confidence), 4),
            "handoff": self.handoff.to_json() if self.handoff is not None else None,
            "composer": self.composer,
            "fallback_reason": self.fallback_reason,
            "message": self.said,
            "language": self.language,
            "offer": (
                {"title": self.offer.title, "url": self.offer.url}
                if self.offer is not None
                else None
            ),
        }
