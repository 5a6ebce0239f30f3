"""How many SMS segments a text costs: GSM-7 (GSM 03.38) or UCS-2, as carriers count them.

A text that uses only the GSM 03.38 basic and extension tables goes as GSM-7: 160
septets in one segment, 153 per segment once it is split (the rest carries the
concatenation header); an extension character (``€``, ``[``, ``{``…) is an escape plus
a septet, 2 in all, and is never split across segments. Any other character turns the
whole message into UCS-2: 70 UTF-16 code units in one segment, 67 per segment when split;
a character outside the Basic Multilingual Plane (most emoji) is a surrogate pair, 2
units, and is never split either.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

# GSM 03.38 basic character set (the 128 positions; ESC at 0x1B is not a character).
GSM7_BASIC: Final = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table, reached with ESC: each costs two septets.
GSM7_EXTENSION: Final = frozenset("\f^{}\\[~]|€")

Encoding = Literal["GSM-7", "UCS-2"]

_SINGLE: Final = {"GSM-7": 160, "UCS-2": 70}
_MULTI: Final = {"GSM-7": 153, "UCS-2": 67}


@dataclass(frozen=True, slots=True)
class SegmentCount:
    """The encoding a text needs, its length in that encoding's units, and its segments."""

    encoding: Encoding
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2
    segments: int


def is_gsm7(text: str) -> bool:
    """True when every character is in the GSM 03.38 basic or extension table."""
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def encoding_of(text: str) -> Encoding:
    return "GSM-7" if is_gsm7(text) else "UCS-2"


def _unit_cost(ch: str, encoding: Encoding) -> int:
    if encoding == "GSM-7":
        return 2 if ch in GSM7_EXTENSION else 1
    return 2 if ord(ch) > 0xFFFF else 1


def count_segments(text: str) -> SegmentCount:
    """The segments a carrier bills for ``text`` (0 for an empty text)."""
    encoding = encoding_of(text)
    costs = [_unit_cost(ch, encoding) for ch in text]
    units = sum(costs)
    if units <= _SINGLE[encoding]:
        return SegmentCount(encoding, units, 1 if units else 0)
    # Pack character by character: an escape pair or a surrogate pair that does not fit
    # in what is left of a segment starts the next one, so the count can exceed units/153.
    per_segment = _MULTI[encoding]
    segments, used = 1, 0
    for cost in costs:
        if used + cost > per_segment:
            segments, used = segments + 1, 0
        used += cost
    return SegmentCount(encoding, units, segments)


def fits(text: str, max_segments: int) -> bool:
    return count_segments(text).segments <= max_segments
