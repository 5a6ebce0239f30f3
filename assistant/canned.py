"""Every sentence the assistant says on its own, in one place to review and translate.

Templates take ``agency`` (settings.agency_name), ``contact`` (settings.human_contact)
and ``emergency`` (settings.emergency_contact).
"""

from __future__ import annotations

from typing import Final

GREETING: Final = (
    "Hello! I can answer questions about services from {agency}, like licences, "
    "benefits, bills and permits. What would you like to know?"
)
THANKS: Final = "You're welcome. Is there anything else I can help you with?"
HUMAN_REQUESTED: Final = "I can put you in touch with a person. To talk to someone now, {contact}."
OUT_OF_SCOPE: Final = (
    "Sorry, I can only help with services from {agency}, so I can't answer that. "
    "Ask me about things like licences, benefits, bills or permits, or to talk to a "
    "person, {contact}."
)
NO_CONTENT: Final = (
    "Sorry, I don't have any information about that yet. To talk to a person, {contact}."
)
LOW_CONFIDENCE: Final = (
    "Sorry, I'm not sure I have the right information to answer that. You could try "
    "asking in a different way, or to talk to a person, {contact}."
)
# After an answer the assistant is not sure covers the whole question.
MAYBE_NOT_COMPLETE: Final = "If this doesn't answer your question, a person can help: {contact}."
# After an answer to one part of a message that asked two things; {asked} is the part
# it found nothing for, in quotes.
PART_NOT_COVERED: Final = (
    "I couldn't find an answer to {asked} in our information. A person can help: {contact}."
)
CRISIS: Final = "{emergency} You can also talk to a person here: {contact}."
ABUSE: Final = (
    "I'm here to help with services from {agency}. Please keep the conversation "
    "respectful. To talk to a person, {contact}."
)
# A message that tries to change how the assistant works, or to see its instructions or
# other people's data: nothing of it is looked up or passed on.
ATTACK: Final = (
    "I can only answer questions about services from {agency}, from its official "
    "pages, and I can't change how I work. What would you like to know? To talk to a "
    "person, {contact}."
)
HARMFUL: Final = (
    "I can't help with that. I can answer questions about services from {agency}; to "
    "talk to a person, {contact}."
)
EMPTY_MESSAGE: Final = "Please type a question, for example: How do I renew my driver's license?"
MESSAGE_TOO_LONG: Final = (
    "Your message is too long: please keep it under {limit} characters, or split it "
    "into shorter questions."
)
INTERNAL_ERROR: Final = (
    "Sorry, something went wrong on our side and I couldn't answer. Please try again "
    "in a moment, or to talk to a person, {contact}."
)


# SMS and WhatsApp keywords (STOP and its synonyms get no text from us: Twilio's
# Advanced Opt-Out sends the carrier-approved confirmation itself).
SMS_HELP: Final = (
    "This is the question line of {agency}: text a question, like How do I renew my "
    "driver's license? To talk to a person, {contact}. Reply STOP to stop messages."
)
SMS_OPTED_IN: Final = (
    "You will get answers from {agency} again. Text a question any time, or reply STOP to stop."
)
# Offered (Rasa) when the assistant could not answer: the agency's own flow decides next.
HANDOFF_OFFER: Final = "Would you like to talk to a person about this?"


# Said before the reply when personal data was taken out of the citizen's message.
PERSONAL_DATA_REMOVED: Final = (
    "For your safety I removed your {what} from your message: you never need to share "
    "it here, and a caseworker will ask for what they need."
)
_PERSONAL_DATA_NAMES: Final = {
    "ssn": "Social Security number",
    "card_number": "card number",
    "routing_number": "routing number",
    "account_number": "account number",
    "date_of_birth": "date of birth",
    "phone": "phone number",
    "email": "email address",
    "street_address": "street address",
}


_NOTES: Final = (PERSONAL_DATA_REMOVED, MAYBE_NOT_COMPLETE, PART_NOT_COVERED)


def without_notes(reply: str) -> str:
    """An answer as stored, without the notes said around it (the privacy note before it,
    the offer of a person after it): they name no topic of the conversation, and their
    words ("call 311") would pull the next question towards another page."""
    openings = tuple(note.split("{", 1)[0] for note in _NOTES)
    return "\n\n".join(p for p in reply.split("\n\n") if not p.startswith(openings))


def privacy_note(kinds: list[str]) -> str:
    """The note for the kinds of personal data redacted ("your phone number and email")."""
    names = list(dict.fromkeys(_PERSONAL_DATA_NAMES.get(k, "personal details") for k in kinds))
    what = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return render(PERSONAL_DATA_REMOVED, what=what)


def render(template: str, **values: object) -> str:
    """Fill a template; unknown placeholders are an error caught by the tests."""
    return template.format(**values)


# Handoff to a person. {position} and {wait} describe the queue.
HANDOFF_LEAD_IN: Final = {
    "requested": "",
    "unanswered_twice": "I'm sorry I couldn't find an answer. ",
    "own_case": "I can't see your records, but a caseworker can help with your case. ",
    "frustration": "I'm sorry this hasn't been helpful. ",
    "crisis": "",
}
HANDOFF_OPENED: Final = (
    "I've asked a caseworker to join this conversation. You are number {position} in the "
    "queue and the wait is about {wait} minutes. Please keep this conversation open."
)
HANDOFF_CRISIS_OPENED: Final = " A caseworker has been asked to join this conversation first."
HANDOFF_STILL_WAITING: Final = (
    "Thank you, a caseworker will see your message. You are number {position} in the queue."
)
CALLBACK_OFFER: Final = (
    "No caseworker is available right now{hours}. You can leave a message and a phone "
    "number or email address, and someone will contact you. Or {contact}."
)
CALLBACK_HOURS: Final = " (we are here {hours})"
CALLBACK_RECEIVED: Final = (
    "Thank you. Your message is with our caseworkers and someone will contact you."
)
