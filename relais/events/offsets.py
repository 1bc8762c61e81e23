"""Reminder offsets as coordinators write them: « 7j,1j,1h » (or 7d), read once for every channel.

Shared by the event input (a bad value is refused with a French sentence),
the settings (a bad default stops start-up) and the mailer that schedules.
"""

from __future__ import annotations

import re

from relais.i18n import t

DAY = 24 * 60
_UNITS = {"d": DAY, "j": DAY, "h": 60, "m": 1}
_OFFSET = re.compile(r"^(\d{1,4})\s*([djhm])$")


def parse_offsets(text: str) -> list[int]:
    """Minutes before the start, largest first; ValueError with a French message."""
    minutes: set[int] = set()
    for part in text.replace(";", ",").split(","):
        cleaned = part.strip().lower()
        if not cleaned:
            continue
        found = _OFFSET.match(cleaned)
        if found is None or int(found.group(1)) == 0:
            raise ValueError(t("mail.bad_offsets", value=text[:40]))
        minutes.add(int(found.group(1)) * _UNITS[found.group(2)])
    return sorted(minutes, reverse=True)
