"""The citizen page's own words, by key, in English; other languages come from the same
gettext catalog as the canned replies (``assistant/locale``, ``make messages``).

``PAGE`` is the static page (elements marked ``data-i18n="key"``, attributes marked
``data-i18n-<attribute>="key"``); ``SCRIPT`` is what app.js says (its ``TEXT`` table and
the words for a handoff's states), sent with the page as a JSON block the script reads.
An English page is served exactly as written; only another language is rendered.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Final

from bs4 import BeautifulSoup

from assistant.canned import DEFAULT_LANGUAGE, LANGUAGES, N_, translate

PAGE: Final = {
    "title": N_("Fairhaven services assistant"),
    "skip": N_("Skip to the question box"),
    "org": N_("City of Fairhaven"),
    "state": N_("State of Westmark"),
    "service": N_("Services assistant"),
    "about": N_("About this service"),
    "automated": N_("Automated"),
    "phase": N_("This is a new service. Answers are written by a computer from official pages."),
    "lead": N_(
        "This is an automated assistant for City of Fairhaven and State of Westmark "
        "services. Its answers come from official web pages, with links so you can check them."
    ),
    "warning": N_("Warning: "),
    "no_personal": N_(
        "Do not share personal details, such as your Social Security number (SSN), date of "
        "birth, bank details or case numbers."
    ),
    "conversation": N_("Conversation"),
    "empty": N_(
        "Your conversation will appear here. You can ask things like “How do I renew my "
        "driver’s license?”"
    ),
    "rating_legend": N_("How helpful was the caseworker?"),
    "rating_hint": N_("Choose from 1 (not helpful) to 5 (very helpful)."),
    "not_helpful": N_("Not helpful"),
    "very_helpful": N_("Very helpful"),
    "rating_comment": N_("Anything else you want to tell us? (optional)"),
    "no_personal_short": N_("Do not include personal details."),
    "rating_send": N_("Send rating"),
    "callback_heading": N_("Leave a message for a caseworker"),
    "callback_message": N_("Your message"),
    "callback_message_hint": N_(
        "Say briefly what you need help with. Do not include your Social Security number "
        "or bank details."
    ),
    "callback_contact": N_("Phone number or email address"),
    "callback_contact_hint": N_("A caseworker will use this to contact you."),
    "callback_send": N_("Send message"),
    "noscript": N_(
        "This assistant needs JavaScript turned on. To talk to a person instead, call 311."
    ),
    "ask": N_("Ask a question"),
    "ask_hint": N_("Press Enter to send, or Shift and Enter for a new line."),
    "count": N_("You can enter up to 1000 characters"),
    "send": N_("Send"),
    "talk_to_person": N_("Talk to a person"),
    "restart_hint": N_(
        "This conversation is saved in this browser. On a shared computer, start a new "
        "conversation when you have finished."
    ),
    "restart": N_("Start a new conversation"),
    "footer_general": N_(
        "Answers are general information from official pages. The assistant cannot see your "
        "records or make decisions about your case. Always check the linked page before you act."
    ),
    "footer_emergency": N_("In an emergency, call 911."),
    "footer_org": N_("City of Fairhaven and State of Westmark"),
    "language_nav": N_("Language"),
}

SCRIPT: Final = {
    "you": N_("You"),
    "assistant": N_("Assistant"),
    "said": N_(" said:"),
    "thinking": N_("Looking that up…"),
    "sources": N_("Sources"),
    "newTab": N_(" (opens in a new tab)"),
    "readMore": N_("Read the whole section"),
    "opensOfficialPage": N_(" (opens the official page)"),
    "sourcePrefix": N_("source "),
    "errorPrefix": N_("Error: "),
    "network": N_(
        "Sorry, we could not reach the assistant. Check your internet connection and try again."
    ),
    "server": N_("Sorry, something went wrong on our side. Please try again in a moment."),
    "keptInBox": N_(" Your question is still in the box."),
    "tooMany": N_(
        "You are sending messages faster than we can answer them. Please wait a minute and "
        "try again."
    ),
    "suggestPerson": N_("If this did not answer your question, you can talk to a person."),
    "offerLabel": N_("Is this the page you mean?"),
    "offerYes": N_("Yes, show me"),
    "offerNo": N_("No"),
    "offerYesMessage": N_("yes"),
    "offerNoMessage": N_("no"),
    "talkToPerson": N_("Talk to a person"),
    "handoffTitle": N_("Your request to talk to a person"),
    "handoffNow": N_("Talking to a person"),
    "handoffState": N_("Status: "),
    "handoffPosition": N_("Your place in the queue: "),
    "handoffReference": N_("Reference: "),
    "caseworkerTyping": N_("The caseworker is typing…"),
    "restarted": N_("You started a new conversation."),
    "caseworker": N_("Caseworker"),
    "system": N_("Update"),
    "handoffWait": N_("Expected wait: about "),
    "minuteOne": N_("1 minute"),
    "minutesMany": N_("{n} minutes"),
    "handoffJoined": N_("A caseworker has joined the conversation. Your messages go to them."),
    "handoffResolved": N_("The caseworker has finished this conversation."),
    "handoffReturned": N_("You are talking to the automated assistant again."),
    "handoffAgain": N_("You can ask the assistant a question, or talk to a person again."),
    "handoffTransferredPerson": N_(
        "Your conversation has been passed to another caseworker. Your messages go to them now."
    ),
    "handoffTransferredTeam": N_(
        "Your conversation has been passed to the {team} team. A caseworker from that team "
        "will join you."
    ),
    "handoffCallback": N_("Your message is with our caseworkers. Someone will contact you."),
    "sentToCaseworker": N_("Your message was sent to the caseworker."),
    "reconnecting": N_("Reconnecting to the caseworker…"),
    "ratingMissing": N_("Choose a rating from 1 to 5."),
    "ratingThanks": N_("Thank you for rating your conversation."),
    "ratingFailed": N_("Sorry, we could not send your rating. Please try again."),
    "callbackMissingMessage": N_("Enter a message for the caseworker."),
    "callbackMissingContact": N_("Enter a phone number or email address so we can contact you."),
    "callbackFailed": N_("Sorry, we could not send your message. Please try again, or call 311."),
    "feedbackQuestion": N_("Was this helpful?"),
    "feedbackYes": N_("Yes"),
    "feedbackNo": N_("No"),
    "feedbackCommentLabel": N_("What was missing? (optional)"),
    "feedbackCommentHint": N_("Do not include personal details."),
    "feedbackSend": N_("Send"),
    "feedbackSendHidden": N_(" comment"),
    "feedbackThanks": N_("Thank you for your feedback."),
    "feedbackThanksAskMore": N_("Thank you. You can tell us what was missing, if you want."),
    "feedbackFailed": N_("Sorry, we could not send your feedback. Please try again."),
    "feedbackGone": N_(
        "Sorry, we could not save your feedback because this conversation has ended."
    ),
    "feedbackKept": N_(" Your comment is still in the box."),
    "charactersLeft": N_("You have {n} characters remaining"),
    "characterLeft": N_("You have 1 character remaining"),
    "charactersOver": N_("You have {n} characters too many"),
    "characterOver": N_("You have 1 character too many"),
    "handoffMessage": N_("I want to talk to a person"),
    # Said once, in the language chosen, when the citizen switches the page's language.
    "languageSwitched": N_(
        "This page is now in English. The assistant will answer in English from now on."
    ),
    "languageSwitchFailed": N_("Sorry, we could not change the language. Please try again."),
    "state_requested": N_("requested"),
    "state_waiting": N_("waiting for a person"),
    "state_assigned": N_("a person will reply soon"),
    "state_claimed": N_("a caseworker has joined"),
    "state_returned": N_("back with the automated assistant"),
    "state_callback_requested": N_("a caseworker will contact you"),
    "state_connected": N_("connected to a person"),
    "state_closed": N_("closed"),
    "state_cancelled": N_("cancelled"),
}

#: How each language names itself on the switch (never translated: a reader looks for
#: their own language's name).
NAMES: Final = {"en": "English", "es": "Español"}


def language_of(requested: str | None) -> str:
    return requested if requested in LANGUAGES else DEFAULT_LANGUAGE


@lru_cache(maxsize=len(LANGUAGES))
def render(page: str, language: str) -> str:
    """The page in ``language``: its marked text and attributes translated, ``lang`` set,
    and the script's words as a JSON block (a data block is not run, so the page's
    Content-Security-Policy still allows no inline script)."""
    soup = BeautifulSoup(page, "html.parser")
    if soup.html is not None:
        soup.html["lang"] = language
    for element in soup.select("[data-i18n]"):
        element.string = translate(PAGE[str(element["data-i18n"])], language)
    for element in soup.find_all(lambda tag: any(a.startswith("data-i18n-") for a in tag.attrs)):
        for attribute, key in list(element.attrs.items()):
            if attribute.startswith("data-i18n-"):
                element[attribute.removeprefix("data-i18n-")] = translate(PAGE[str(key)], language)
    words = {key: translate(text, language) for key, text in SCRIPT.items()}
    block = soup.new_tag("script", attrs={"type": "application/json", "id": "page-text"})
    # json.dumps escapes no "<": "</script>" in a translation would end the block early.
    block.string = json.dumps(words, ensure_ascii=False).replace("<", "\\u003c")
    assert soup.body is not None
    soup.body.append(block)
    switch = soup.find(id="language-switch")
    if switch is not None:  # the link offers the other language, named in itself
        other = next(code for code in LANGUAGES if code != language)
        switch["href"], switch["lang"], switch["hreflang"] = f"?lang={other}", other, other
        switch.string = NAMES[other]
    return str(soup)


__all__ = ["NAMES", "PAGE", "SCRIPT", "language_of", "render"]
