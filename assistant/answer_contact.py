"""The number a "call us" needs: an answer that tells the citizen to call or contact
someone, and gives no way to, gets the page's own line that does.

"After 8:00 p.m., call the Homeless Services Hotline" or "call us with your order
number" is a dead end on its own, most of all by text message, where the citizen cannot
scroll the page. The page nearly always says how elsewhere ("Call the Homeless Services
Hotline at (555) 010-3330, 24 hours a day"), so that sentence is quoted too, when it fits.

Only a party the page can name is looked up: "us", "customer service", or a name in
capitals ("the Office of Vital Records"); "contact your officiant" or "call your doctor"
is someone of the citizen's own, whose number no page of ours has.
"""

from __future__ import annotations

import re

from assistant.answer_parts import Part, piece_length
from knowledge_base.outline import Outline

__all__ = ["contact_line"]

# A way to reach someone, already in the answer: a phone number, 311 or 911, an email
# address.
_REACHABLE = re.compile(
    r"\(\d{3}\)\s?\d{3}-\d{4}|\b\d{3}[-.]\d{3}[-.]\d{4}\b|\b[39]11\b|\b[\w.+-]+@[\w-]+\.[\w.]+",
    re.I,
)
# "call us", "contact customer service", "call the Homeless Services Hotline",
# "call the Office of Vital Records"; "llame a la Oficina ..." in Spanish.
_NAME = r"[A-Z][\w'&-]*(?:\s+(?:of|for|and|de|del|la|las|los|y)?\s*[A-Z][\w'&-]*)*"
# The verb in any case ("Call us before ..."), the name only in capitals.
_ASKS_TO_CALL = re.compile(
    rf"\b(?i:call|contact|phone|ring|llame|comun[ií]quese con)\s+"
    rf"(?P<us>(?i:us|customer service|nosotros)\b)?"
    rf"(?:(?i:the|a la|al|el)\s+)?(?P<name>{_NAME})?"
)
# The section a page's own contact details are under.
_HELP_HEADING = re.compile(r"\b(help|contact|questions|ayuda|comun[ií]quese|preguntas)\b", re.I)
_SMALL = {"of", "for", "and", "de", "del", "la", "las", "los", "y", "the"}


def contact_line(doc: Outline, parts: list[Part], room: int) -> list[Part]:
    """The page's sentence that reaches whom the answer asks the citizen to call, when
    the answer gives no way to and the sentence fits in ``room`` characters."""
    units = [p.index for p in parts if not p.heads]
    text = " ".join(doc.unit_text(i) for i in units)
    if not text or _REACHABLE.search(text):
        return []
    for ask in _ASKS_TO_CALL.finditer(text):
        if ask.group("us"):
            words: set[str] = set()  # the page's own office
        elif ask.group("name"):
            words = {w.lower() for w in ask.group("name").split()} - _SMALL
        else:
            continue
        unit = _reaching(doc, words, set(units))
        if unit is not None and piece_length(doc, Part(unit, "sentence")) <= room:
            return [Part(unit, "sentence")]
    return []


def _reaching(doc: Outline, words: set[str], shown: set[int]) -> int | None:
    """The first sentence with a number that names ``words`` (all of them), or for no
    words the first one under the page's "Get help" heading."""
    for i, unit in enumerate(doc.units):
        if i in shown or unit.kind != "sentence":
            continue
        sentence = doc.unit_text(i)
        if not _REACHABLE.search(sentence):
            continue
        if words:
            if words <= {w.lower() for w in re.findall(r"[\w'&-]+", sentence)}:
                return i
        elif _HELP_HEADING.search(doc.section_of(i).heading):
            return i
    return None
