"""Answer text for channels that show no markup (SMS and WhatsApp, Rasa's text
channels): no Markdown, no ``[n]`` markers, typographic punctuation made GSM-friendly.

Shared by those channels, so none of them imports another.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["plain_text"]

_CITATION_MARK: Final = re.compile(r"\s*\[\d+\]")
_MD_LINK: Final = re.compile(r"\[([^\]]+)\]\((\S+?)\)")
_MD_EMPHASIS: Final = re.compile(r"(\*\*|__|\*|`)(.+?)\1", re.DOTALL)
_MD_HEADING: Final = re.compile(r"^\s{0,3}#{1,6}\s+", re.MULTILINE)
_MD_BULLET: Final = re.compile(r"^\s*[-*+]\s+", re.MULTILINE)
_SPACES: Final = re.compile(r"[ \t]+")

# Like Twilio's Smart Encoding: typographic punctuation that would turn a whole message
# into UCS-2 (70 characters a segment instead of 160) is replaced by its plain twin.
_SMART: Final = str.maketrans(
    {
        "‘": "'",
        "’": "'",
        "‚": "'",
        "′": "'",
        "“": '"',
        "”": '"',
        "„": '"',
        "″": '"',
        "–": "-",
        "—": "-",
        "‐": "-",
        "‑": "-",
        "−": "-",
        "…": "...",
        "\u00a0": " ",
        "\u2009": " ",
        "\u202f": " ",
        "\u200b": "",
        "•": "-",
    }
)


def plain_text(text: str) -> str:
    """Markdown and citation markers out, typographic punctuation made GSM-friendly."""
    text = _CITATION_MARK.sub("", text)
    text = _MD_LINK.sub(r"\1 (\2)", text)
    text = _MD_HEADING.sub("", text)
    text = _MD_BULLET.sub("- ", text)
    text = _MD_EMPHASIS.sub(r"\2", text)
    text = text.translate(_SMART)
    lines = [_SPACES.sub(" ", line).strip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line)
