"""``GET /a/{token}``: the full answer behind a shortened text message, with its sources.

An SMS answer that does not fit its segment budget is cut and ends with
``More: <public url>/a/<token>``. The token is 128 random bits tied to that one
assistant message, so a link shows that answer and nothing else: not the citizen's
question, not the rest of the conversation, and no other answer can be found by changing
it. It disappears with its conversation.

Only the token's SHA-256 is stored (``answer_links``): whoever reads a copy of the
database cannot open the answers. So a token cannot be looked up again once given out,
and each text that links an answer (a retried delivery included) gets a token of its own;
all of them open it.
"""

from __future__ import annotations

import hashlib
import html
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from urllib.parse import urlsplit

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from assistant.canned import DEFAULT_LANGUAGE, LANGUAGES, N_, translate
from assistant.models import AnswerLink, Conversation, Message, aware
from assistant.store import reply_message
from assistant.turns import Status
from channels.deps import ConversationStoreDep, SettingsDep
from channels.site import framed_page

ANSWER_PATH: Final = "/a"
_HTML: Final[dict[str, Any]] = {"text/html": {"schema": {"type": "string"}}}
# The answer's lines, as the citizen chat page reads them (channels/web/static/dom.js).
_LIST_ITEM: Final = re.compile(r"^-\s+(?=\S)")
_LABEL_END: Final = re.compile(r":(\s*\[\d{1,3}\])*$")
_CITATION_MARK: Final = re.compile(r"\[(\d{1,3})\]")

router = APIRouter(tags=["sms"])


@dataclass(frozen=True, slots=True)
class LinkedAnswer:
    """The stored answer a link shows."""

    text: str
    # As stored with the message (a JSON column): shown only, each value escaped, so it
    # is read as the document it is rather than trusted to have a shape.
    citations: list[dict[str, Any]]
    at: datetime
    #: The conversation's language: the page around the answer speaks it too.
    language: str = DEFAULT_LANGUAGE


class AnswerLinks:
    """Tokens for answers, and the answers behind them."""

    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def token_for_reply(self, *, channel: str, external_id: str) -> str | None:
        """A new token for the answer given to an inbound message (None: it was no answer)."""
        with self._sessions.begin() as session:
            reply = reply_message(session, channel=channel, external_id=external_id)
            if reply is None or reply.status != str(Status.ANSWERED):
                return None
            token = secrets.token_urlsafe(16)
            session.add(AnswerLink(token_hash=token_hash(token), message_id=reply.id))
        return token

    def answer(self, token: str) -> LinkedAnswer | None:
        if not token or len(token) > 64:
            return None
        with self._sessions() as session:
            found = session.execute(
                select(Message, Conversation.language)
                .join(AnswerLink, AnswerLink.message_id == Message.id)
                .join(Conversation, Conversation.id == Message.conversation_id)
                .where(AnswerLink.token_hash == token_hash(token), Message.role == "assistant")
            ).first()
        if found is None:
            return None
        row, language = found
        return LinkedAnswer(
            text=row.text,
            citations=row.citations or [],
            at=aware(row.created_at),
            language=language if language in LANGUAGES else DEFAULT_LANGUAGE,
        )


def token_hash(token: str) -> str:
    """What is stored of a token: a plain SHA-256, since the token is 128 random bits."""
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def answer_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}{ANSWER_PATH}/{token}"


def _safe_href(url: Any) -> str | None:
    if not isinstance(url, str):
        return None
    return url if urlsplit(url).scheme in ("http", "https") else None


def answer_html(text: str, *, cited: set[str], language: str = DEFAULT_LANGUAGE) -> str:
    """The answer's lines as paragraphs and lists, each line escaped.

    A line starting with "- " is a list item and a run of them is one list; any other line
    is a paragraph (one ending in ":" labels the list under it). An ``[n]`` marker naming a
    cited source links to it in the list of sources below.
    """
    blocks: list[str | list[str]] = []  # a paragraph's line, or a list's items
    for raw in text.splitlines():
        line = raw.strip()
        item = _LIST_ITEM.match(line)
        if item and blocks and isinstance(blocks[-1], list):
            blocks[-1].append(line[item.end() :])
        elif item:
            blocks.append([line[item.end() :]])
        elif line:
            blocks.append(line)
    html_blocks = []
    for block, after in zip(blocks, [*blocks[1:], None], strict=True):
        if isinstance(block, list):
            items = "".join(
                f'<li class="answer-lines__item">{_inline(i, cited, language)}</li>' for i in block
            )
            html_blocks.append(f'<ul class="answer-lines__list">{items}</ul>')
        else:
            label = isinstance(after, list) and _LABEL_END.search(block) is not None
            kind = "answer-lines__p answer-lines__label" if label else "answer-lines__p"
            html_blocks.append(f'<p class="{kind}">{_inline(block, cited, language)}</p>')
    return "\n".join(html_blocks)


def _inline(line: str, cited: set[str], language: str) -> str:
    # Escaping leaves "[", digits and "]" alone, so markers are found in the escaped text.
    def link(match: re.Match[str]) -> str:
        n = match[1]
        if n not in cited:
            return match[0]
        word = html.escape(translate(_SOURCE_PREFIX, language))
        hidden = f'<span class="visually-hidden">{word}</span>'
        return f'<a class="cite-ref" href="#source-{n}">[{hidden}{n}]</a>'

    return _CITATION_MARK.sub(link, html.escape(line))


# The page's own words (the site's frame has its own, in channels/site.py).
_ANSWER_FROM: Final = N_("Answer from {agency}")
_ANSWERED_ON: Final = N_("Answered on {date}. Numbers in brackets refer to the sources.")
_DATE: Final = N_("{day} {month} {year}")
_MONTHS: Final = (
    N_("January"),
    N_("February"),
    N_("March"),
    N_("April"),
    N_("May"),
    N_("June"),
    N_("July"),
    N_("August"),
    N_("September"),
    N_("October"),
    N_("November"),
    N_("December"),
)
_SOURCES: Final = N_("Sources")
_SOURCE: Final = N_("Source")
_SOURCE_PREFIX: Final = N_("source ")  # read before a [n] marker's number
_PERSON_HEADING: Final = N_("Talk to a person")
_PERSON_BY_TEXT: Final = N_(
    "Reply to our text message with “talk to a person” and a caseworker will answer you by text."
)
_PERSON_OTHERWISE: Final = N_("Or {contact}.")
_PERSON_ONLINE: Final = N_("Talk to a person online")
_ASK_AGAIN: Final = N_("Ask another question")
_NOT_FOUND: Final = N_("Answer not found")
_NOT_FOUND_TEXT: Final = N_(
    "There is no answer at this address. Answers are kept only for a while; you can "
    "{link_start}ask {agency} your question again{link_end}."
)


def _chat_link(language: str, fragment: str = "") -> str:
    """The chat page, from ``/a/{token}``, in the answer's language."""
    query = "" if language == DEFAULT_LANGUAGE else f"?lang={language}"
    return f"../{query}{fragment}"


def _date(when: datetime, language: str) -> str:
    month = translate(_MONTHS[when.month - 1], language)
    return translate(_DATE, language).format(day=when.day, month=month, year=when.year)


def person_html(*, contact: str, language: str) -> str:
    """How to reach a person, as the chat page offers it: by replying to the text (the
    conversation, and what was asked, stay with the caseworker), by the agency's own
    contact line (``human_contact``), or on the chat page's "Talk to a person" button."""
    e = html.escape

    def t(text: str, **values: str) -> str:
        return e(translate(text, language).format(**values))

    online = _chat_link(language, "#handoff-button")  # the page's own "Talk to a person"
    return f"""<section class="person-box" aria-labelledby="person-heading">
<h2 id="person-heading" class="heading-m">{t(_PERSON_HEADING)}</h2>
<p>{t(_PERSON_BY_TEXT)}</p>
<p>{t(_PERSON_OTHERWISE, contact=translate(contact, language))}</p>
<p><a class="button button--secondary" href="{e(online)}">{t(_PERSON_ONLINE)}</a></p>
</section>"""


def render_page(
    answer: LinkedAnswer, *, agency: str, contact: str = "", language: str | None = None
) -> str:
    """The answer and its numbered sources in the site's frame, with the way to a person;
    every stored value is escaped."""
    e = html.escape
    lang = language or answer.language

    def t(text: str, **values: str) -> str:
        return e(translate(text, lang).format(**values))

    cited = {str(c.get("n")) for c in answer.citations if isinstance(c.get("n"), int)}
    body = answer_html(answer.text, cited=cited, language=lang)
    sources = []
    for citation in answer.citations:
        title = e(str(citation.get("title") or citation.get("doc_id") or t(_SOURCE)))
        href = _safe_href(citation.get("url"))
        link = f'<a href="{e(href)}">{title}</a>' if href else title
        section = citation.get("section")
        extra = f" — {e(str(section))}" if section else ""
        n = citation.get("n")
        if isinstance(n, int):
            sources.append(f'<li id="source-{n}" value="{n}">{link}{extra}</li>')
        else:
            sources.append(f"<li>{link}{extra}</li>")
    listed = (
        f'<h2 class="heading-m">{t(_SOURCES)}</h2>\n'
        f'<ol class="answer-sources">{"".join(sources)}</ol>'
        if sources
        else ""
    )
    heading = translate(_ANSWER_FROM, lang).format(agency=translate(agency, lang))
    content = f"""<div class="answer-page">
<h1 class="heading-xl">{e(heading)}</h1>
<p class="answer-date">{t(_ANSWERED_ON, date=_date(answer.at, lang))}</p>
<article class="answer answer-lines">
{body}
</article>
{listed}
{person_html(contact=contact, language=lang) if contact else ""}
<p><a href="{e(_chat_link(lang))}">{t(_ASK_AGAIN)}</a></p>
</div>"""
    return framed_page(title=heading, content=content, language=lang)


def _not_found(agency: str, *, contact: str = "") -> str:
    e = html.escape
    lang = DEFAULT_LANGUAGE  # nothing says whose link it was, so nor in which language
    text = translate(_NOT_FOUND_TEXT, lang).format(
        agency=e(translate(agency, lang)),
        link_start=f'<a href="{e(_chat_link(lang))}">',
        link_end="</a>",
    )
    title = translate(_NOT_FOUND, lang)
    content = f"""<div class="answer-page">
<h1 class="heading-xl">{e(title)}</h1>
<p>{text}</p>
{person_html(contact=contact, language=lang) if contact else ""}
</div>"""
    return framed_page(title=title, content=content, language=lang)


@router.get(
    ANSWER_PATH + "/{token}",
    response_class=HTMLResponse,
    tags=["pages"],
    responses={404: {"description": "No such answer, or no longer kept.", "content": _HTML}},
)
@router.head(ANSWER_PATH + "/{token}", include_in_schema=False)
async def answer_page(
    token: str, store: ConversationStoreDep, settings: SettingsDep
) -> HTMLResponse:
    """The whole answer an SMS reply linked to, when the text had to be cut."""
    links = AnswerLinks(store.engine)
    answer = await run_in_threadpool(links.answer, token)
    agency, contact = settings.agency_name, settings.human_contact
    if answer is None:
        return HTMLResponse(_not_found(agency, contact=contact), status_code=404)
    page = render_page(answer, agency=agency, contact=contact)
    # Private: the link was sent to one person; proxies and shared caches keep no copy.
    return HTMLResponse(page, headers={"Cache-Control": "private, no-store"})
