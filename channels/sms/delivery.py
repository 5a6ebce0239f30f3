"""A caseworker's reply to a citizen who texted: sent through Twilio, tracked, retried, flagged.

``HandoffQueue.reply`` stores the message (``delivery_status = "pending"``) and calls
``TextDelivery.deliver``, which only queues a job: the staff request never waits for
Twilio. Worker threads send each job with the real ``twilio`` client to the number kept
encrypted on the conversation (``contacts.py``), from the agency number the citizen
wrote to (or ``CA_TWILIO_FROM_NUMBER`` / the Messaging Service).

- Passing failures (Twilio 5xx or 429, network errors) are tried again after each of
  ``CA_SMS_DELIVERY_BACKOFF_SECONDS``; the row says ``retrying`` meanwhile.
- Lasting failures (a 4xx from Twilio, no number on file, the citizen sent STOP, retries
  used up) and ``failed``/``undelivered`` status callbacks are flagged to the caseworker:
  a system message "Could not deliver the reply by text: <reason>" in the transcript.
- Twilio's status callbacks (``POST /channels/twilio/status``) update the row by
  MessageSid. Every change is published to the staff console as
  ``{"type": "delivery", "handoff_id", "message_id", "status", "error"}``.

Jobs are rows of the text outbox (``outbox.py``), worked by any live replica: a reply
outlives the replica that queued it, a retry included, and the last failure is still
flagged to the caseworker.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import select, update
from sqlalchemy.orm import sessionmaker

from assistant.events import STAFF_TOPIC
from assistant.metrics import TEXT_DELIVERIES
from assistant.models import Conversation, Handoff, Message, utcnow
from assistant.settings import Settings
from assistant.store import take_seq
from channels.phone import hash_address, phone_hash_key
from channels.sms.contacts import Contact, ContactCipher, ContactUnreadable
from channels.sms.opt_outs import OptOutStore
from channels.sms.outbox import Outbox
from channels.sms.sender import Sent, SmsSender, TwilioSender
from channels.sms.signing import STATUS_PATH, auth_token_for

if TYPE_CHECKING:
    from assistant.container import Container

log = logging.getLogger(__name__)

FLAG_PREFIX: Final = "Could not deliver the reply by text: "
MAX_BODY: Final = 1600  # Twilio refuses longer message bodies (error 21617)

# Twilio's MessageStatus values, in the order a message moves through them. A callback
# that arrives late (``sent`` after ``delivered``) does not move a message backwards.
_RANK: Final = {
    "pending": 0,
    "retrying": 1,
    "accepted": 2,
    "scheduled": 2,
    "queued": 3,
    "sending": 4,
    "sent": 5,
    "delivered": 6,
    "undelivered": 6,
    "failed": 6,
    "canceled": 6,
    "read": 7,
}
FAILED_STATES: Final = frozenset({"failed", "undelivered", "canceled"})

# The Twilio error codes a caseworker is most likely to meet, in words they can act on.
_ERROR_WORDS: Final = {
    21211: "the phone number is not valid",
    21408: "texts to that country are not enabled for the agency's account",
    21610: "the citizen has opted out of texts from this number (they sent STOP)",
    21612: "the agency's number cannot text that phone",
    21614: "the number cannot receive texts (it may be a landline)",
    21617: "the reply is too long for a text message",
    30003: "the citizen's phone is unreachable (off or out of coverage)",
    30004: "the message was blocked by the carrier or the recipient",
    30005: "the number is unknown or no longer in service",
    30006: "the number cannot receive texts (landline or unreachable carrier)",
    30007: "the carrier filtered the message as spam",
    30008: "the carrier reported an unknown error",
    63016: "WhatsApp allows free-form replies only within 24 hours of the citizen's last message",
}


def describe_error(code: int | str | None, fallback: str) -> str:
    try:
        number = int(code) if code not in (None, "") else None
    except (TypeError, ValueError):
        number = None
    if number is not None and number in _ERROR_WORDS:
        return f"{_ERROR_WORDS[number]} (Twilio error {number})"
    if number is not None:
        return f"{fallback} (Twilio error {number})"
    return fallback


class PermanentFailure(Exception):
    """Trying again will not help; the message says why in words for the caseworker."""


class PassingFailure(Exception):
    """Worth another try later."""


@dataclass(frozen=True, slots=True)
class Job:
    conversation_id: str
    handoff_id: str
    message_id: int
    text: str
    attempt: int = 0  # tries already made


class TextDelivery:
    """Caseworker replies by SMS and WhatsApp for one container."""

    def __init__(self, container: Container, *, sender: SmsSender | None = None) -> None:
        self.container = container
        if sender is not None:
            self.__dict__["sender"] = sender

    @cached_property
    def outbox(self) -> Outbox:
        return Outbox(self.container.conversation_store.engine, self._attempt, Job)

    @property
    def settings(self) -> Settings:
        return self.container.settings

    @cached_property
    def _sessions(self) -> sessionmaker[Any]:
        return sessionmaker(self.container.conversation_store.engine, expire_on_commit=False)

    @cached_property
    def cipher(self) -> ContactCipher:
        return ContactCipher.from_settings(self.settings)

    @cached_property
    def opt_outs(self) -> OptOutStore:
        return OptOutStore(self.container.conversation_store.engine)

    @cached_property
    def sender(self) -> SmsSender:
        return TwilioSender.from_settings(self.settings, auth_token=auth_token_for(self.settings))

    @property
    def status_callback(self) -> str | None:
        """Where Twilio reports delivery: only with a public URL Twilio can reach."""
        base = self.settings.public_url
        return base.rstrip("/") + STATUS_PATH if base else None

    # ---- the citizen's number ----------------------------------------------------------
    def remember_contact(self, conversation_id: str, contact: Contact) -> None:
        token = self.cipher.encrypt(contact)
        with self._sessions.begin() as session:
            session.execute(
                update(Conversation)
                .where(Conversation.id == conversation_id)
                .values(contact_encrypted=token)
            )

    def contact_of(self, conversation_id: str) -> Contact | None:
        with self._sessions() as session:
            token = session.scalar(
                select(Conversation.contact_encrypted).where(Conversation.id == conversation_id)
            )
        return self.cipher.decrypt(token) if token else None

    # ---- sending -----------------------------------------------------------------------
    def deliver(self, conversation_id: str, text: str, *, message_id: int, handoff_id: str) -> None:
        """Queue a caseworker's message for the citizen's phone (returns at once; the text
        itself is read from the stored message when it is sent)."""
        self.outbox.add(
            message_id=message_id, conversation_id=conversation_id, handoff_id=handoff_id
        )

    __call__ = deliver  # the assistant's ``Delivery`` protocol

    def _attempt(self, job: Job) -> None:
        try:
            sent = self._send(job)
        except PassingFailure as error:
            delays = self.settings.sms_delivery_backoff_seconds
            if job.attempt < len(delays):
                delay = delays[job.attempt]
                log.info(
                    "text delivery retrying handoff=%s message=%s in=%.1fs reason=%s",
                    *_ids(job),
                    delay,
                    error,
                )
                self._set_status(job, "retrying", str(error))
                self.outbox.retry_later(job.message_id, attempt=job.attempt + 1, delay=delay)
                return
            tries = job.attempt + 1
            self._flag(job, f"{error} ({tries} tries)")
            self.outbox.done(job.message_id)
            return
        except PermanentFailure as error:
            self._flag(job, str(error))
            self.outbox.done(job.message_id)
            return
        log.info(
            "text delivery accepted handoff=%s message=%s sid=%s status=%s",
            *_ids(job),
            sent.sid,
            sent.status,
        )
        self._set_status(job, sent.status, None, sid=sent.sid)
        # Only now: killed before this line, the row is taken again once its lease runs out
        # (the text may go twice; it is never lost).
        self.outbox.done(job.message_id)

    def _send(self, job: Job) -> Sent:
        from twilio.base.exceptions import TwilioException, TwilioRestException

        try:
            contact = self.contact_of(job.conversation_id)
        except ContactUnreadable as error:
            raise PermanentFailure(
                "the phone number on file cannot be read (was the contact key changed?)"
            ) from error
        if contact is None:
            raise PermanentFailure("there is no phone number on file for this conversation")
        phone_hash = hash_address(contact.citizen, key=phone_hash_key(self.settings))
        if self.opt_outs.is_opted_out(channel=contact.citizen.channel, phone_hash=phone_hash):
            raise PermanentFailure("the citizen has opted out of texts (they sent STOP)")
        if len(job.text) > MAX_BODY:
            raise PermanentFailure(
                f"the reply is longer than {MAX_BODY} characters; send it in shorter parts"
            )
        try:
            sender = self.sender
            return sender.send(
                to=contact.citizen,
                from_=contact.agency,
                body=job.text,
                status_callback=self.status_callback,
            )
        except TwilioRestException as error:
            if error.status >= 500 or error.status == 429:
                raise PassingFailure(f"Twilio answered HTTP {error.status}") from error
            raise PermanentFailure(
                describe_error(error.code, f"Twilio refused the message (HTTP {error.status})")
            ) from error
        except ValueError as error:  # no account, no sending number: set-up, not chance
            raise PermanentFailure(f"sending texts is not set up: {error}") from error
        except (OSError, TwilioException) as error:  # requests' errors are OSErrors
            raise PassingFailure(f"Twilio could not be reached ({type(error).__name__})") from error

    # ---- what Twilio reports back ------------------------------------------------------
    def record_status(self, sid: str, status: str, *, error_code: str | None = None) -> bool:
        """A status callback for one of our messages; False when the sid is not ours."""
        status = status.strip().lower()
        with self._sessions.begin() as session:
            row = session.scalars(select(Message).where(Message.delivery_sid == sid)).first()
            if row is None:
                return False
            before = row.delivery_status or "pending"
            if _RANK.get(status, -1) < _RANK.get(before, 0):
                return True  # an older report arriving late
            job = Job(row.conversation_id, "", row.id, "")
        handoff_id = self._handoff_of(job.conversation_id)
        job = Job(job.conversation_id, handoff_id, job.message_id, "")
        if status in FAILED_STATES and before not in FAILED_STATES:
            reason = describe_error(error_code, f"the carrier reported the message {status}")
            self._flag(job, reason, status=status)
        else:
            self._set_status(job, status, None)
        return True

    # ---- internals ---------------------------------------------------------------------
    def _handoff_of(self, conversation_id: str) -> str:
        with self._sessions() as session:
            found = session.scalar(
                select(Handoff.id)
                .where(Handoff.conversation_id == conversation_id)
                .order_by(Handoff.created_at.desc())
                .limit(1)
            )
        return found or ""

    def _set_status(
        self, job: Job, status: str, error: str | None, *, sid: str | None = None
    ) -> None:
        values: dict[str, Any] = {"delivery_status": status[:24], "delivery_error": error}
        if error is not None:
            values["delivery_error"] = error[:255]
        if sid is not None:
            values["delivery_sid"] = sid
        with self._sessions.begin() as session:
            session.execute(update(Message).where(Message.id == job.message_id).values(**values))
        self._publish(job, status, error)

    def _flag(self, job: Job, reason: str, *, status: str = "failed") -> None:
        """Mark the message failed and tell the caseworker in the transcript."""
        log.warning("text delivery failed handoff=%s message=%s reason=%s", *_ids(job), reason)
        now = utcnow()
        text = FLAG_PREFIX + reason
        with self._sessions.begin() as session:
            session.execute(
                update(Message)
                .where(Message.id == job.message_id)
                .values(delivery_status=status, delivery_error=reason[:255])
            )
            seq = take_seq(session, job.conversation_id)
            note = Message(
                conversation_id=job.conversation_id,
                role="system",
                text=text,
                seq=seq,
                created_at=now,
            )
            session.add(note)
            session.flush()
            note_id = note.id
        self._publish(job, status, reason)
        message = {
            "id": note_id,
            "seq": seq,
            "role": "system",
            "text": text,
            "author": None,
            "at": now.isoformat(),
            "status": None,
            "citations": [],
            "delivery_status": None,
            "delivery_error": None,
        }
        self.container.events.publish(
            STAFF_TOPIC, {"type": "message", "handoff_id": job.handoff_id, "message": message}
        )

    def _publish(self, job: Job, status: str, error: str | None) -> None:
        TEXT_DELIVERIES.labels(outcome=status).inc()
        self.container.events.publish(
            STAFF_TOPIC,
            {
                "type": "delivery",
                "handoff_id": job.handoff_id,
                "message_id": job.message_id,
                "status": status,
                "error": error,
            },
        )


def _ids(job: Job) -> tuple[str, int]:
    return job.handoff_id or "-", job.message_id
