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
CRISIS: Final = "{emergency} You can also talk to a person here: {contact}."
ABUSE: Final = (
    "I'm here to help with services from {agency}. Please keep the conversation "
    "respectful. To talk to a person, {contact}."
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


def render(template: str, **values: object) -> str:
    """Fill a template; unknown placeholders are an error caught by the tests."""
    return template.format(**values)
