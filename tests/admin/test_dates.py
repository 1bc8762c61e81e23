"""Dates typed the French way, as coordinators write them in the bot."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from relais.timefmt import local, parse_local

PARIS = ZoneInfo("Europe/Paris")


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("8 avril 2025 9h30", "2025-04-08 09:30"),
        ("mardi 8 avril 2025 à 9 h 30", "2025-04-08 09:30"),
        ("1er mars 2025 14h", "2025-03-01 14:00"),
        ("8 Décembre 2025, 09:05", "2025-12-08 09:05"),
        ("17 aout 2025 18h", "2025-08-17 18:00"),
        ("08/04/2025 09:30", "2025-04-08 09:30"),
    ],
)
def test_french_dates_are_read_as_paris_time(typed: str, expected: str) -> None:
    assert local(parse_local(typed, PARIS), PARIS).strftime("%Y-%m-%d %H:%M") == expected


@pytest.mark.parametrize(
    "typed", ["31 février 2025 9h", "8 avrol 2025 9h", "8 avril 2025", "demain"]
)
def test_unreadable_dates_are_refused(typed: str) -> None:
    with pytest.raises(ValueError):
        parse_local(typed, PARIS)
