"""Staffed hours: read from the setting, said as a notice says them, checked in their zone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from assistant.hours import OpeningHours

HOURS = OpeningHours.parse("Mon-Fri 08:00-18:00; Sat 09:00-12:00", "America/New_York")


def test_hours_are_said_as_a_notice_says_them() -> None:
    assert HOURS.describe() == "Monday to Friday, 8 am to 6 pm; Saturday, 9 am to 12 pm"
    assert OpeningHours.parse("always", "UTC").describe() == "at any time"


@pytest.mark.parametrize(
    ("moment", "open_"),
    [
        (datetime(2026, 12, 7, 13, 0, tzinfo=UTC), True),  # Monday 08:00 in New York
        (datetime(2026, 12, 7, 12, 59, tzinfo=UTC), False),  # 07:59 there
        (datetime(2026, 12, 7, 23, 0, tzinfo=UTC), False),  # 18:00: closed at closing time
        (datetime(2026, 12, 12, 16, 30, tzinfo=UTC), True),  # Saturday 11:30
        (datetime(2026, 12, 13, 16, 30, tzinfo=UTC), False),  # Sunday
    ],
)
def test_open_is_decided_in_the_agencys_time_zone(moment: datetime, open_: bool) -> None:
    assert HOURS.is_open(moment) is open_


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Mon-Fri 8-6", "cannot read opening hours"),
        ("Mon 18:00-08:00", "closing time must be after opening time"),
        ("  ;  ", "opening hours are empty"),
    ],
)
def test_unreadable_hours_are_refused_with_a_reason(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        OpeningHours.parse(text, "UTC")
