"""Reading a Rasa tracker: the recent turns as history, the whole talk as a transcript.

The answer action tags its own utterances with ``ca_status`` and ``ca_doc_ids`` (Rasa
keeps extra ``utter_message`` keys as the BotUttered event's metadata), so a later turn
knows which bot messages were answers and which document they quoted — as the
conversation store knows on the other channels — and, with ``ca_offered``, which page a
"Did you mean …?" offered, so the citizen's yes is answered from it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from assistant.redaction import redact
from assistant.turns import PastTurn

STATUS_KEY = "ca_status"
DOC_IDS_KEY = "ca_doc_ids"
OFFERED_KEY = "ca_offered"


@dataclass(slots=True)
class TranscriptTurn:
    """A citizen message and what the bot said after it (several utterances joined)."""

    citizen_text: str
    reply_texts: list[str] = field(default_factory=list)
    status: str | None = None


def _bot_metadata(event: Mapping[str, Any]) -> Mapping[str, Any]:
    metadata = event.get("metadata")
    return metadata if isinstance(metadata, Mapping) else {}


def past_turns(events: Iterable[Mapping[str, Any]], *, limit: int) -> list[PastTurn]:
    """The last ``limit`` user and bot messages, oldest first, redacted.

    The last user event is the message being answered now, so it is left out (bot
    messages after it, such as an acknowledgement, stay).
    """
    turns: list[PastTurn] = []
    for event in events:
        kind = event.get("event")
        text = event.get("text")
        if not isinstance(text, str) or not text.strip():
            continue
        if kind == "user":
            turns.append(PastTurn(role="citizen", text=redact(text).text))
        elif kind == "bot":
            metadata = _bot_metadata(event)
            doc_ids = metadata.get(DOC_IDS_KEY) or []
            offered = metadata.get(OFFERED_KEY)
            turns.append(
                PastTurn(
                    role="assistant",
                    text=redact(text).text,
                    status=metadata.get(STATUS_KEY),
                    cited_docs=tuple(str(d) for d in doc_ids),
                    offered=offered if isinstance(offered, str) else None,
                )
            )
    last_citizen = max((i for i, t in enumerate(turns) if t.role == "citizen"), default=None)
    if last_citizen is not None:
        del turns[last_citizen]
    return turns[-limit:] if limit else []


def transcript(events: Iterable[Mapping[str, Any]]) -> list[TranscriptTurn]:
    """User messages with the bot messages that followed each, redacted, in order."""
    turns: list[TranscriptTurn] = []
    for event in events:
        text = event.get("text")
        if not isinstance(text, str) or not text.strip():
            continue
        if event.get("event") == "user":
            turns.append(TranscriptTurn(citizen_text=redact(text).text))
        elif event.get("event") == "bot" and turns:
            turns[-1].reply_texts.append(redact(text).text)
            status = _bot_metadata(event).get(STATUS_KEY)
            if isinstance(status, str):
                turns[-1].status = status
    return turns
