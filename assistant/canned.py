"""Every sentence the assistant says on its own, in one place to review and translate.

Templates take ``agency`` (settings.agency_name), ``contact`` (settings.human_contact)
and ``emergency`` (settings.emergency_contact).

The English text is the message id; other languages come from gettext catalogs in
``assistant/locale/<language>/LC_MESSAGES/citizen_assistant.po`` (compiled ``.mo`` files
are committed next to them, so an installed package has them without a build step).
``N_`` marks a string for ``pybabel extract`` (``make messages``) and changes nothing.
"""

from __future__ import annotations

import gettext
from functools import lru_cache
from pathlib import Path
from typing import Final

#: Languages a citizen can be answered in; the first is the default.
LANGUAGES: Final = ("en", "es")
DEFAULT_LANGUAGE: Final = "en"
DOMAIN: Final = "citizen_assistant"
LOCALE_DIR: Final = Path(__file__).parent / "locale"


def N_(message: str) -> str:
    """Marks ``message`` for extraction; translated when rendered, not here."""
    return message


@lru_cache(maxsize=len(LANGUAGES))
def catalog(language: str) -> gettext.NullTranslations:
    """The compiled catalog of ``language`` (English, the source language, needs none)."""
    if language == DEFAULT_LANGUAGE or language not in LANGUAGES:
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[language])


def translate(text: str, language: str = DEFAULT_LANGUAGE) -> str:
    """``text`` in ``language`` when the catalog has it; otherwise ``text`` as it is (an
    agency's own contact line is translated only once it adds it to the catalog)."""
    return catalog(language).gettext(text) if text else text


GREETING: Final = N_(
    "Hello! I can answer questions about services from {agency}, like licences, "
    "benefits, bills and permits. What would you like to know?"
)
THANKS: Final = N_("You're welcome. Is there anything else I can help you with?")
HUMAN_REQUESTED: Final = N_(
    "I can put you in touch with a person. To talk to someone now, {contact}."
)
OUT_OF_SCOPE: Final = N_(
    "Sorry, I can only help with services from {agency}, so I can't answer that. "
    "Ask me about things like licences, benefits, bills or permits, or to talk to a "
    "person, {contact}."
)
NO_CONTENT: Final = N_(
    "Sorry, I don't have any information about that yet. To talk to a person, {contact}."
)
LOW_CONFIDENCE: Final = N_(
    "Sorry, I'm not sure I have the right information to answer that. You could try "
    "asking in a different way, or to talk to a person, {contact}."
)
# Not sure enough to answer, but one page may be what the citizen means: {title} is its
# title, in quotes. A "yes" (the web page has a button for it) gets that page's answer.
OFFER_PAGE: Final = N_(
    "Sorry, I'm not sure I have the right information to answer that. Did you mean "
    "{title}? Reply yes to see what that page says, or try asking in a different way. "
    "To talk to a person, {contact}."
)
# The citizen said the page offered was not what they meant.
OFFER_DECLINED: Final = N_(
    "Sorry about that. Could you ask in a different way? To talk to a person, {contact}."
)
# After an answer the assistant is not sure covers the whole question.
MAYBE_NOT_COMPLETE: Final = N_(
    "If this doesn't answer your question, a person can help: {contact}."
)
# After an answer to one part of a message that asked two things; {asked} is the part
# it found nothing for, in quotes.
PART_NOT_COVERED: Final = N_(
    "I couldn't find an answer to {asked} in our information. A person can help: {contact}."
)
CRISIS: Final = N_("{emergency} You can also talk to a person here: {contact}.")
ABUSE: Final = N_(
    "I'm here to help with services from {agency}. Please keep the conversation "
    "respectful. To talk to a person, {contact}."
)
# A message that tries to change how the assistant works, or to see its instructions or
# other people's data: nothing of it is looked up or passed on.
ATTACK: Final = N_(
    "I can only answer questions about services from {agency}, from its official "
    "pages, and I can't change how I work. What would you like to know? To talk to a "
    "person, {contact}."
)
HARMFUL: Final = N_(
    "I can't help with that. I can answer questions about services from {agency}; to "
    "talk to a person, {contact}."
)
EMPTY_MESSAGE: Final = N_(
    "Please type a question, for example: How do I renew my driver's license?"
)
MESSAGE_TOO_LONG: Final = N_(
    "Your message is too long: please keep it under {limit} characters, or split it "
    "into shorter questions."
)
INTERNAL_ERROR: Final = N_(
    "Sorry, something went wrong on our side and I couldn't answer. Please try again "
    "in a moment, or to talk to a person, {contact}."
)


# SMS and WhatsApp keywords (STOP and its synonyms get no text from us: Twilio's
# Advanced Opt-Out sends the carrier-approved confirmation itself).
SMS_HELP: Final = N_(
    "This is the question line of {agency}: text a question, like How do I renew my "
    "driver's license? To talk to a person, {contact}. Reply STOP to stop messages. "
    "Responda ESPAÑOL para español."
)
SMS_OPTED_IN: Final = N_(
    "You will get answers from {agency} again. Text a question any time, or reply STOP to stop."
)
# Said when the citizen names a language (the page's switch, or a text such as ESPAÑOL).
LANGUAGE_CHOSEN: Final = N_(
    "I will answer in English. Ask me a question, or to talk to a person, {contact}."
)
# The web page's conversation is no longer on the server (expired, or the storage reset).
CONVERSATION_ENDED: Final = N_("This conversation has ended. Please start a new one.")
CALLBACK_INCOMPLETE: Final = N_("Please write a message and a phone number or email address.")
# Said before an answer quoted from an English page when no page in the citizen's
# language covers the question.
FALLBACK_ENGLISH: Final = N_(
    "We do not have this information in your language yet; here is our English page."
)

# Offered (Rasa) when the assistant could not answer: the agency's own flow decides next.
HANDOFF_OFFER: Final = N_("Would you like to talk to a person about this?")


# Said before the reply when personal data was taken out of the citizen's message.
PERSONAL_DATA_REMOVED: Final = N_(
    "For your safety I removed your {what} from your message: you never need to share "
    "it here, and a caseworker will ask for what they need."
)
_PERSONAL_DATA_NAMES: Final = {
    "ssn": N_("Social Security number"),
    "card_number": N_("card number"),
    "routing_number": N_("routing number"),
    "account_number": N_("account number"),
    "date_of_birth": N_("date of birth"),
    "phone": N_("phone number"),
    "email": N_("email address"),
    "street_address": N_("street address"),
}
_PERSONAL_DETAILS: Final = N_("personal details")
_AND: Final = N_(" and ")


_NOTES: Final = (PERSONAL_DATA_REMOVED, MAYBE_NOT_COMPLETE, PART_NOT_COVERED, FALLBACK_ENGLISH)


def without_notes(reply: str) -> str:
    """An answer as stored, without the notes said around it (the privacy note before it,
    the offer of a person after it): they name no topic of the conversation, and their
    words ("call 311") would pull the next question towards another page."""
    openings = tuple(
        translate(note, language).split("{", 1)[0] for note in _NOTES for language in LANGUAGES
    )
    return "\n\n".join(p for p in reply.split("\n\n") if not p.startswith(openings))


def privacy_note(kinds: list[str], language: str = DEFAULT_LANGUAGE) -> str:
    """The note for the kinds of personal data redacted ("your phone number and email")."""
    names = list(
        dict.fromkeys(
            translate(_PERSONAL_DATA_NAMES.get(k, _PERSONAL_DETAILS), language) for k in kinds
        )
    )
    and_ = translate(_AND, language)
    what = names[0] if len(names) == 1 else ", ".join(names[:-1]) + and_ + names[-1]
    return render(PERSONAL_DATA_REMOVED, language=language, what=what)


def render(template: str, *, language: str = DEFAULT_LANGUAGE, **values: object) -> str:
    """Fill a template, in ``language``; unknown placeholders are an error caught by the
    tests (the catalog's test checks that every translation keeps the same ones)."""
    return translate(template, language).format(**values)


# Handoff to a person. {position} and {wait} describe the queue.
HANDOFF_LEAD_IN: Final = {
    "requested": "",
    "unanswered_twice": N_("I'm sorry I couldn't find an answer. "),
    "own_case": N_("I can't see your records, but a caseworker can help with your case. "),
    "frustration": N_("I'm sorry this hasn't been helpful. "),
    "crisis": "",
}
HANDOFF_OPENED: Final = N_(
    "I've asked a caseworker to join this conversation. You are number {position} in the "
    "queue and the wait is about {wait} minutes. Please keep this conversation open."
)
HANDOFF_CRISIS_OPENED: Final = N_(" A caseworker has been asked to join this conversation first.")
HANDOFF_STILL_WAITING: Final = N_(
    "Thank you, a caseworker will see your message. You are number {position} in the queue."
)
CALLBACK_OFFER: Final = N_(
    "No caseworker is available right now{hours}. You can leave a message and a phone "
    "number or email address, and someone will contact you. Or {contact}."
)
CALLBACK_HOURS: Final = N_(" (we are here {hours})")
CALLBACK_RECEIVED: Final = N_(
    "Thank you. Your message is with our caseworkers and someone will contact you."
)

# ---- limits (the wait is in whole seconds, from the Retry-After the server sends) ----
TOO_MANY_MESSAGES: Final = N_(
    "You are sending messages faster than we can answer them. Please wait {seconds} "
    "seconds and try again."
)
TOO_MANY_SIGN_INS: Final = N_(
    "Too many sign-in attempts. For your security this account (or this network) is "
    "paused: try again in {minutes} minutes, or ask an administrator to unlock it."
)
# A citizen (or a script) asking for a person again and again from one address.
HANDOFF_LIMITED: Final = N_(
    "You have already asked for a person several times. Your requests are in the queue; "
    "to talk to someone now, {contact}."
)
INVALID_TEXT: Final = N_(
    "Your message contains characters we cannot read. Please remove any unusual "
    "symbols and try again."
)
REQUEST_TOO_LARGE: Final = N_("This request is too large ({limit} KB at most).")
