"""The carrier keywords a whole message can be (case and surrounding space ignored)."""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class Keyword(StrEnum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"


# The CTIA / Twilio Advanced Opt-Out defaults, in English.
_ENGLISH: Final = {
    **dict.fromkeys(("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"), Keyword.OPT_OUT),
    **dict.fromkeys(("START", "UNSTOP"), Keyword.OPT_IN),
    **dict.fromkeys(("HELP", "INFO"), Keyword.HELP),
}
# The Spanish words US carriers' guidance lists (add the opt-out ones to the Messaging
# Service's Advanced Opt-Out keywords too, so Twilio blocks and confirms them as well).
_SPANISH: Final = {
    **dict.fromkeys(("ALTO", "PARAR", "DETENER", "CANCELAR", "BAJA"), Keyword.OPT_OUT),
    **dict.fromkeys(("COMENZAR", "INICIAR", "REANUDAR"), Keyword.OPT_IN),
    **dict.fromkeys(("AYUDA",), Keyword.HELP),
}
_KEYWORDS: Final = {
    **{word: (keyword, "en") for word, keyword in _ENGLISH.items()},
    **{word: (keyword, "es") for word, keyword in _SPANISH.items()},
}


def keyword_of(text: str) -> Keyword | None:
    """The keyword the message is, if it is one: "stop" is, "how do I stop my benefits" is not."""
    found = _KEYWORDS.get(text.strip().upper())
    return found[0] if found else None


def keyword_language(text: str) -> str:
    """The language of a keyword ("AYUDA": Spanish); English for anything else."""
    found = _KEYWORDS.get(text.strip().upper())
    return found[1] if found else "en"
