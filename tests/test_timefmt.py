from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from relais.timefmt import (
    format_datetime,
    format_number,
    format_range,
    format_short,
    half_days,
    parse_local,
)

PARIS = ZoneInfo("Europe/Paris")


def test_french_dates_in_paris_time() -> None:
    assert (
        format_datetime(datetime(2025, 4, 8, 7, 30, tzinfo=UTC), PARIS)
        == "mardi 8 avril 2025, 9 h 30"
    )
    assert (
        format_datetime(datetime(2025, 3, 1, 13, 0, tzinfo=UTC), PARIS)
        == "samedi 1er mars 2025, 14 h"
    )
    start = datetime(2025, 4, 8, 7, 30, tzinfo=UTC)
    end = datetime(2025, 4, 8, 10, 0, tzinfo=UTC)
    assert format_range(start, end, PARIS) == "mardi 8 avril 2025, 9 h 30 – 12 h"
    assert format_short(start, PARIS) == "mar. 8 avr. 2025, 9 h 30"


def test_parse_local_across_daylight_saving() -> None:
    winter = parse_local("15/01/2026 09:30", PARIS)
    summer = parse_local("2026-07-15 09h30", PARIS)
    assert (winter.hour, summer.hour) == (8, 7)
    with pytest.raises(ValueError):
        parse_local("31/02/2026 09:00", PARIS)


def test_numbers_and_half_days() -> None:
    assert format_number(5773) == "5\u202f773"
    assert format_number(1.84, 1) == "1,8"
    morning = datetime(2025, 4, 8, 7, 0, tzinfo=UTC)
    assert half_days(morning, morning.replace(hour=10)) == 1
    assert half_days(morning, morning.replace(hour=15)) == 2
    assert half_days(morning, morning.replace(day=9, hour=15)) == 4
