"""An OutboundReply as a phone shows it: plain text, short links, within a segment budget.

SMS: no markdown, no ``[n]`` markers, the answer's lines (and its "- " list items) kept
as lines, the answer and its first source link within ``max_segments`` segments; a longer
answer is cut at the end of a line (a whole list item), else a sentence, else a word, and
ends with the link to the full answer. WhatsApp has no segments: a bold source title, the
answer with each item on its own line, and each link on its own line.
"""

from __future__ import annotations

import re
from typing import Final

from assistant.canned import N_, translate
from assistant.turns import OutboundReply
from channels.sms.segments import fits
from channels.text import plain_text

_SENTENCE_END: Final = re.compile(r"[.!?](?=\s)")
_LINE_END: Final = re.compile(r"(?<!:)\n")  # not after a label: its items would be cut off
_BREAK: Final = re.compile(r"\s")
ELLIPSIS: Final = "..."


def source_links(reply: OutboundReply) -> list[str]:
    """The cited URLs, first-cited first, without repeats (a citation without one adds none)."""
    return list(dict.fromkeys(c.url for c in reply.citations if c.url))


def needs_cut(reply: OutboundReply, *, max_segments: int) -> bool:
    """True when ``format_sms`` will shorten this answer (and link to the rest)."""
    body = plain_text(reply.text)
    if not reply.status.answered or not body:
        return False
    return not fits(_join(body, source_links(reply)[:1]), max_segments)


def format_sms(
    reply: OutboundReply, *, max_segments: int, full_answer_url: str | None = None
) -> str:
    """The SMS body: the answer and its first source link within ``max_segments``.

    Only answers are shortened: a canned reply (an apology, the emergency numbers, how
    to reach a person) is reviewed text and goes whole, whatever it costs. A shortened
    answer ends with "More: " and its source page (the official page says the rest), or
    ``full_answer_url`` (the whole answer and its sources at ``/a/{token}``) when the
    source has no link; the full-answer link rides along too if it still fits.
    """
    body = plain_text(reply.text)
    links = source_links(reply)
    if not reply.status.answered or not body:
        return _join(body, links[:1])
    first = links[:1]
    message = _join(body, first)
    further = links[1:]
    if not fits(message, max_segments):
        more = translate(MORE, reply.language)
        if first:
            message = _shortened(body, first, max_segments, more=more)
            further = [full_answer_url, *further] if full_answer_url else further
        elif full_answer_url:
            message = _shortened(body, [full_answer_url], max_segments, more=more)
        else:
            message = _shortened(body, [], max_segments, more=more)
    # Further sources ride along only when they cost nothing extra.
    for link in further:
        candidate = _join(message, [link])
        if fits(candidate, max_segments):
            message = candidate
    return message


# Before the source link of a shortened answer ("More: https://..."), in the reply's language.
MORE: Final = N_("More: {link}")


def _shortened(body: str, links: list[str], max_segments: int, *, more: str = MORE) -> str:
    """The longest cut of the answer that fits with "More: <link>"; never inside a word.

    A cut at the end of a line keeps whole paragraphs and whole list items, and a label
    line ("You need:") is never left without its items; it is preferred, then a cut at a
    sentence end, unless it throws away more than half of what a cut at a word boundary
    (marked with "...") would keep. A URL has no spaces, so it is one word and is never
    cut either.
    """
    tail = [more.format(link=links[0])] if links else []
    if tail and not fits(tail[0], max_segments):
        tail = []  # a link too long for the whole budget is dropped rather than cut

    def longest(ends: list[int], mark: str, strip: str) -> str:
        for end in sorted(set(ends), reverse=True):
            cut = body[:end].rstrip(strip) + mark
            if cut.strip(". ") and fits(_join(cut, tail), max_segments):
                return cut
        return ""

    line = longest([m.start() for m in _LINE_END.finditer(body)], "", " \n")
    sentence = longest([m.end() for m in _SENTENCE_END.finditer(body + " ")], "", " \n")
    word = longest([m.start() for m in _BREAK.finditer(body)], ELLIPSIS, " \n,;:-.")
    best = next((cut for cut in (line, sentence) if cut and len(cut) * 2 >= len(word)), word)
    return _join(best, tail)


def format_whatsapp(reply: OutboundReply) -> str:
    """WhatsApp: *bold* source title on answers, the answer, each link on its own line."""
    body = plain_text(reply.text)
    lines: list[str] = []
    if reply.status.answered and reply.citations:
        title = plain_text(reply.citations[0].title).replace("*", "")
        if title:
            lines.append(f"*{title}*")
    lines.append(body)
    lines.extend(source_links(reply))
    return "\n".join(line for line in lines if line)


def _join(body: str, links: list[str]) -> str:
    return "\n".join(part for part in [body, *links] if part)
