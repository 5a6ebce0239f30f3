"""Staffed hours, written the way a notice on the door would say them.

``"Mon-Fri 08:00-18:00; Sat 09:00-12:00"`` or ``"always"``, in a named time zone.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from assistant.canned import N_

_DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
# Translated in the catalog (assistant/locale), with "at any time" and " to ".
_NAMES = [
    N_("Monday"),
    N_("Tuesday"),
    N_("Wednesday"),
    N_("Thursday"),
    N_("Friday"),
    N_("Saturday"),
    N_("Sunday"),
]
_RULE = re.compile(
    r"^\s*(?P<first>[a-z]{3})(?:\s*-\s*(?P<last>[a-z]{3}))?\s+"
    r"(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class OpeningHours:
    text: str
    zone: ZoneInfo
    rules: tuple[tuple[frozenset[int], time, time], ...]
    always: bool = False

    @classmethod
    def parse(cls, text: str, timezone: str) -> OpeningHours:
        zone = ZoneInfo(timezone)
        if text.strip().lower() == "always":
            return cls(text="at any time", zone=zone, rules=(), always=True)
        rules = []
        for part in filter(None, (p.strip() for p in text.split(";"))):
            match = _RULE.match(part)
            if not match:
                raise ValueError(f"cannot read opening hours {part!r} (e.g. 'Mon-Fri 08:00-18:00')")
            first = _DAYS.index(match["first"].lower()[:3])
            last = _DAYS.index((match["last"] or match["first"]).lower()[:3])
            days = (
                frozenset(range(first, last + 1))
                if first <= last
                else frozenset([*range(first, 7), *range(0, last + 1)])
            )
            start, end = (
                time.fromisoformat(match["start"].zfill(5)),
                time.fromisoformat(match["end"].zfill(5)),
            )
            if end <= start:
                raise ValueError(f"closing time must be after opening time in {part!r}")
            rules.append((days, start, end))
        if not rules:
            raise ValueError("opening hours are empty")
        return cls(text=text, zone=zone, rules=tuple(rules))

    def describe(self, translate: Callable[[str], str] = str) -> str:
        """The hours as a notice would say them: "Monday to Friday, 8 am to 6 pm";
        ``translate`` gives the words in the citizen's language (``canned.translate``)."""
        if self.always:
            return translate(N_("at any time"))
        parts = []
        to = translate(N_(" to "))
        for days, start, end in self.rules:
            ordered = sorted(days)
            first, last = translate(_NAMES[ordered[0]]), translate(_NAMES[ordered[-1]])
            names = first if len(ordered) == 1 else f"{first}{to}{last}"
            parts.append(f"{names}, {_clock(start, translate)}{to}{_clock(end, translate)}")
        return "; ".join(parts)

    def is_open(self, moment: datetime) -> bool:
        if self.always:
            return True
        local = moment.astimezone(self.zone)
        return any(
            local.weekday() in days and start <= local.time() < end
            for days, start, end in self.rules
        )


def _clock(moment: time, translate: Callable[[str], str] = str) -> str:
    hour = moment.hour % 12 or 12
    suffix = translate(N_("am") if moment.hour < 12 else N_("pm"))  # es: "a.m."
    return f"{hour}:{moment.minute:02d} {suffix}" if moment.minute else f"{hour} {suffix}"
