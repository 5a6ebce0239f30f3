"""``POST /channels/twilio/sms``: Twilio's signed webhook for SMS and WhatsApp.

One inbound message, at most one reply: Twilio's MessageSid is the external id, so a
retried delivery gets an empty ``<Response/>``. The answer goes back as TwiML when the
turn finishes within ``sms_reply_budget_seconds``; otherwise the webhook acknowledges at
once (Twilio waits 15 s at most) and the answer follows through the REST API.

``POST /channels/twilio/status``: Twilio's signed status callbacks for caseworker replies
sent by text (see ``delivery.py``).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property
from typing import Annotated, Any, Final

from fastapi import APIRouter, BackgroundTasks, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from twilio.request_validator import RequestValidator, get_signature_algorithm
from twilio.twiml.messaging_response import MessagingResponse

from assistant import canned
from assistant.container import Container
from assistant.settings import Settings
from assistant.turns import InboundMessage, OutboundReply
from channels.phone import Address, hash_address, phone_hash_key
from channels.sms.answers import AnswerLinks, answer_url
from channels.sms.contacts import Contact
from channels.sms.delivery import TextDelivery
from channels.sms.formatting import format_sms, format_whatsapp, needs_cut
from channels.sms.keywords import Keyword, keyword_language, keyword_of
from channels.sms.opt_outs import OptOutStore
from channels.sms.segments import count_segments
from channels.sms.sender import SmsSender, TwilioSender
from channels.sms.signing import STATUS_PATH, WEBHOOK_PATH, auth_token_for, signed_url

log = logging.getLogger(__name__)

TWIML: Final = "application/xml"

router = APIRouter(tags=["sms"])


class SmsChannel:
    """The SMS channel's long-lived pieces for one app, built on first use."""

    def __init__(self, container: Container, *, sender: SmsSender | None = None) -> None:
        self.container = container
        if sender is not None:
            self.__dict__["sender"] = sender

    @property
    def settings(self) -> Settings:
        return self.container.settings

    @cached_property
    def opt_outs(self) -> OptOutStore:
        # The conversation store runs the migrations (0002 creates the opt-out table).
        return OptOutStore(self.container.conversation_store.engine)

    @cached_property
    def hash_key(self) -> bytes:
        return phone_hash_key(self.settings)

    @cached_property
    def sender(self) -> SmsSender:
        return TwilioSender.from_settings(self.settings, auth_token=auth_token_for(self.settings))

    def signature_ok(self, request: Request, form: FormData) -> bool:
        signature = request.headers.get("X-Twilio-Signature")
        if not signature:
            return False
        algorithm = get_signature_algorithm(
            request.headers.get("X-Twilio-Webhooks-Signature-Settings")
        )
        validator = RequestValidator(auth_token_for(self.settings))
        return bool(
            validator.validate(signed_url(self.settings, request), form, signature, algorithm)
        )

    @cached_property
    def answer_links(self) -> AnswerLinks:
        return AnswerLinks(self.container.conversation_store.engine)

    @property
    def deliveries(self) -> TextDelivery:
        delivery = self.container.delivery("sms")
        assert isinstance(delivery, TextDelivery), "channels.sms.register(container) first"
        return delivery

    def render(
        self, reply: OutboundReply, channel: str, *, full_answer_url: str | None = None
    ) -> str:
        if channel == "whatsapp":
            return format_whatsapp(reply)
        return format_sms(
            reply, max_segments=self.settings.sms_max_segments, full_answer_url=full_answer_url
        )

    def respond(self, inbound: InboundMessage, *, contact: Contact, base_url: str) -> Answer:
        """Run the turn, keep the citizen's (encrypted) number, and write the text back.

        Runs in a worker thread, whole: when it misses the webhook's budget it still
        finishes, and its body is sent by REST.
        """
        reply = self.container.assistant.handle(inbound)
        if reply.duplicate:
            return Answer(reply, "")
        try:
            self.deliveries.remember_contact(reply.conversation_id, contact)
        except Exception as error:  # the citizen still gets the answer
            log.error("sms contact not stored channel=%s error=%s", *_ids(inbound), error)
        full_answer_url = None
        max_segments = self.settings.sms_max_segments
        shortened = inbound.channel == "sms" and needs_cut(reply, max_segments=max_segments)
        if shortened and inbound.external_id:
            token = self.answer_links.token_for_reply(
                channel=inbound.channel, external_id=inbound.external_id
            )
            full_answer_url = answer_url(base_url, token) if token else None
        return Answer(reply, self.render(reply, inbound.channel, full_answer_url=full_answer_url))

    def replies(self, template: str, language: str = canned.DEFAULT_LANGUAGE) -> str:
        return self.container.replies(template, language=language)

    def language_for(self, *, channel: str, phone_hash: str, text: str) -> str:
        """The language to refuse a message in that runs no turn (empty, too long): the
        message's own, when the detector is sure of it, else the conversation's."""
        detected, _ = self.container.language_detector.detect(text)
        if detected in canned.LANGUAGES:
            return detected
        store = self.container.conversation_store
        found = store.find_by_key(
            channel=channel,
            conversation_key=phone_hash,
            idle=timedelta(minutes=self.settings.conversation_idle_minutes),
        )
        choice = store.language_of(found) if found is not None else None
        return choice.language if choice is not None else canned.DEFAULT_LANGUAGE

    async def send_later(
        self, turn: asyncio.Future[Answer], *, to: Address, from_: Address | None
    ) -> None:
        """Wait for a turn that missed the webhook's budget and send its answer by REST."""
        try:
            answer = await turn
            reply, body = answer.reply, answer.body
            if reply.duplicate or not body:
                return  # another delivery of the same message already answered
            phone_hash = hash_address(to, key=self.hash_key)
            if await run_in_threadpool(
                self.opt_outs.is_opted_out, channel=to.channel, phone_hash=phone_hash
            ):
                return  # STOP arrived while the answer was being prepared
            sent = await run_in_threadpool(self.sender.send, to=to, from_=from_, body=body)
            log.info(
                "sms late reply sent channel=%s status=%s message=%s",
                to.channel,
                reply.status,
                sent.sid,
            )
        except Exception as error:
            # The citizen's number and the text stay out of the log; the error kind does not.
            log.error("sms late reply failed channel=%s error=%s", to.channel, type(error).__name__)


@dataclass(frozen=True, slots=True)
class Answer:
    """A finished turn and the text message it becomes ("" for a retried delivery)."""

    reply: OutboundReply
    body: str


def get_sms_channel(request: Request) -> SmsChannel:
    container: Container = request.app.state.container
    channel: SmsChannel | None = getattr(request.app.state, "sms_channel", None)
    if channel is None or channel.container is not container:
        channel = SmsChannel(container)
        request.app.state.sms_channel = channel
    return channel


SmsChannelDep = Annotated[SmsChannel, Depends(get_sms_channel)]


def twiml(text: str | None = None) -> Response:
    """A TwiML answer: one message, or nothing at all (``<Response />``)."""
    response = MessagingResponse()
    if text:
        response.message(text)
    return Response(content=str(response), media_type=TWIML)


_TWIML_BODY: Final = {TWIML: {"schema": {"type": "string", "description": "TwiML <Response>"}}}
_PLAIN: Final = {"text/plain": {"schema": {"type": "string"}}}


def _form(description: str, fields: dict[str, str], required: list[str]) -> dict[str, Any]:
    """The OpenAPI request body of a Twilio form post.

    The handlers read the form themselves: the signature covers every field Twilio sends,
    including ones not named here, so the whole form must reach the validator as it came.
    """
    properties = {name: {"type": "string", "description": text} for name, text in fields.items()}
    schema = {"type": "object", "properties": properties, "required": required}
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {"application/x-www-form-urlencoded": {"schema": schema}},
        }
    }


_MESSAGE_FORM: Final = _form(
    "Twilio's inbound message, signed with X-Twilio-Signature.",
    {
        "MessageSid": "Twilio's id of the message (SmsSid is read too).",
        "From": "The citizen: +15555550100, or whatsapp:+15555550100.",
        "To": "Our number.",
        "Body": "The text.",
    },
    ["MessageSid", "From"],
)
_STATUS_FORM: Final = _form(
    "Twilio's status callback for a message we sent, signed with X-Twilio-Signature.",
    {
        "MessageSid": "The message's id (SmsSid is read too).",
        "MessageStatus": "queued, sent, delivered, read, undelivered, failed ...",
        "ErrorCode": "Twilio's error code, when it failed.",
    },
    ["MessageSid", "MessageStatus"],
)
_REFUSED: Final[dict[int | str, dict[str, Any]]] = {
    400: {"description": "MessageSid or another required field is missing.", "content": _PLAIN},
    403: {"description": "The X-Twilio-Signature is missing or wrong.", "content": _PLAIN},
}
_MESSAGE_REFUSED: Final[dict[int | str, dict[str, Any]]] = {
    **_REFUSED,
    400: {
        "description": "MessageSid is missing, or From is not a phone or whatsapp: number.",
        "content": _PLAIN,
    },
    429: {
        "description": "Too many messages from this number: wait Retry-After seconds.",
        "content": _PLAIN,
    },
}


@router.post(
    WEBHOOK_PATH,
    response_class=Response,
    responses={
        200: {
            "description": "The reply as TwiML (an empty <Response/> for none).",
            "content": _TWIML_BODY,
        },
        **_MESSAGE_REFUSED,
    },
    openapi_extra=_MESSAGE_FORM,
)
async def twilio_message(
    request: Request, background: BackgroundTasks, sms: SmsChannelDep
) -> Response:
    """Answer one SMS or WhatsApp message (Twilio's signed form post) with TwiML."""
    form = await request.form()
    if not sms.signature_ok(request, form):
        # Deliberately no body, number or signature here: only that one was refused.
        has_signature = "X-Twilio-Signature" in request.headers
        log.warning(
            "twilio webhook refused: %s signature",
            "invalid" if has_signature else "missing",
        )
        return Response("Forbidden", status_code=403, media_type="text/plain")

    message_sid = str(form.get("MessageSid") or form.get("SmsSid") or "")
    sender_value = str(form.get("From") or "")
    if not message_sid or not sender_value:
        return Response("MessageSid and From are required", status_code=400)
    try:
        citizen = Address.parse_strict(sender_value)
    except ValueError:
        return Response(
            "From must be a phone number (+15555550100) or whatsapp:+15555550100",
            status_code=400,
        )
    ours = Address.parse(str(form["To"])) if form.get("To") else None
    phone_hash = hash_address(citizen, key=sms.hash_key)
    refusal = await sms.container.throttle.hit("sms_address", phone_hash)
    if refusal is not None:
        log.warning("sms rate limit channel=%s message=%s", citizen.channel, message_sid)
        return Response(
            "Too many messages from this number",
            status_code=429,
            media_type="text/plain",
            headers={"Retry-After": str(refusal.retry_after)},
        )
    text = str(form.get("Body") or "")
    store = sms.opt_outs

    keyword = keyword_of(text)
    if keyword is Keyword.OPT_OUT:
        await run_in_threadpool(store.opt_out, channel=citizen.channel, phone_hash=phone_hash)
        log.info("sms opt-out recorded channel=%s message=%s", citizen.channel, message_sid)
        return twiml()  # Twilio's Advanced Opt-Out sends the confirmation
    if keyword is Keyword.OPT_IN:
        await run_in_threadpool(store.opt_in, channel=citizen.channel, phone_hash=phone_hash)
        return twiml(sms.replies(canned.SMS_OPTED_IN, keyword_language(text)))
    if keyword is Keyword.HELP:  # answered even when opted out, as carriers require
        return twiml(sms.replies(canned.SMS_HELP, keyword_language(text)))
    if await run_in_threadpool(store.is_opted_out, channel=citizen.channel, phone_hash=phone_hash):
        return twiml()
    limit = sms.settings.message_max_chars
    if not text.strip() or len(text) > limit:
        language = await run_in_threadpool(
            sms.language_for, channel=citizen.channel, phone_hash=phone_hash, text=text[:limit]
        )
        if not text.strip():  # e.g. a picture with no words
            return twiml(canned.translate(canned.EMPTY_MESSAGE, language))
        return twiml(canned.render(canned.MESSAGE_TOO_LONG, language=language, limit=limit))

    inbound = InboundMessage(
        channel=citizen.channel, text=text, conversation_key=phone_hash, external_id=message_sid
    )
    base_url = sms.settings.public_url or str(request.base_url)
    turn = asyncio.ensure_future(
        run_in_threadpool(sms.respond, inbound, contact=Contact(citizen, ours), base_url=base_url)
    )
    try:
        # shield: when the budget runs out the turn keeps going for the late reply.
        answer = await asyncio.wait_for(
            asyncio.shield(turn), timeout=sms.settings.sms_reply_budget_seconds
        )
    except TimeoutError:
        log.info("sms turn over budget, replying later channel=%s message=%s", *_ids(inbound))
        background.add_task(sms.send_later, turn, to=citizen, from_=ours)
        return twiml()
    reply, body = answer.reply, answer.body
    if reply.duplicate:
        log.info("sms duplicate delivery ignored channel=%s message=%s", *_ids(inbound))
        return twiml()
    counted = count_segments(body)
    log.info(
        "sms reply channel=%s message=%s status=%s encoding=%s segments=%d",
        citizen.channel,
        message_sid,
        reply.status,
        counted.encoding,
        counted.segments,
    )
    return twiml(body)


def _ids(inbound: InboundMessage) -> tuple[str, str]:
    return inbound.channel, inbound.external_id or "-"


@router.post(
    STATUS_PATH,
    response_class=Response,
    status_code=204,
    responses={204: {"description": "Recorded (or not a message we track)."}, **_REFUSED},
    openapi_extra=_STATUS_FORM,
)
async def twilio_status(request: Request, sms: SmsChannelDep) -> Response:
    """Twilio's status callback for a caseworker's reply sent by text (signed form post)."""
    form = await request.form()
    if not sms.signature_ok(request, form):
        has_signature = "X-Twilio-Signature" in request.headers
        log.warning(
            "twilio status callback refused: %s signature",
            "invalid" if has_signature else "missing",
        )
        return Response("Forbidden", status_code=403, media_type="text/plain")
    sid = str(form.get("MessageSid") or form.get("SmsSid") or "")
    status = str(form.get("MessageStatus") or form.get("SmsStatus") or "")
    if not sid or not status:
        return Response("MessageSid and MessageStatus are required", status_code=400)
    error_code = str(form.get("ErrorCode") or "") or None
    known = await run_in_threadpool(
        sms.deliveries.record_status, sid, status, error_code=error_code
    )
    log.info("twilio status sid=%s status=%s known=%s", sid, status, known)
    # 204 either way: Twilio need not retry a report about a message we do not track.
    return Response(status_code=204)
