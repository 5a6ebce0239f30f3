"""The carrier keywords a whole message can be (case and surrounding space ignored)."""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class Keyword(StrEnum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"


# The CTIA / Twilio Advanced Opt-Out defaults.
_KEYWORDS: Final = {
    **dict.fromkeys(("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"), Keyword.OPT_OUT),
    **dict.fromkeys(("START", "UNSTOP"), Keyword.OPT_IN),
    **dict.fromkeys(("HELP", "INFO"), Keyword.HELP),
}


def keyword_of(text: str) -> Keyword | None:
    """The keyword the message is, if it is one: "stop" is, "how do I stop my benefits" is not."""
    return _KEYWORDS.get(text.strip().upper())
