"""The département of an event's venue, read from a French postcode in its address.

The agenda's « Département » filter (web and bot) matches events of a network
of that département and events that take place there: « 12 rue Diderot,
93100 Montreuil » is in 93 whatever network organises it. Corsica's
postcodes start with 20 (200xx–201xx: 2A, 202xx–206xx: 2B); overseas ones
with the 3-digit code (971xx…).
"""

from __future__ import annotations

import re

#: A 5-digit number standing on its own (not part of a phone number or a longer figure).
POSTCODE = re.compile(r"(?<![0-9])([0-9]{5})(?![0-9])")
#: What a département code may look like: 01–95, 2A, 2B, 971–976.
CODE = re.compile(r"^(?:[0-9]{2}|2[AB]|97[1-6])$")
#: The same postcode rules as database patterns (PostgreSQL and Python regular expressions
#: alike, SQLite using Python's through SQLAlchemy): the start of the postcode per code.
_CORSICA = {"2A": "20[01][0-9]{2}", "2B": "20[2-6][0-9]{2}"}


def departement_of(venue: str) -> str | None:
    """The département of the first French postcode in ``venue``, or None."""
    found = POSTCODE.search(venue or "")
    if found is None:
        return None
    postcode = found.group(1)
    if postcode.startswith("20"):
        return "2A" if postcode[2] in "01" else "2B" if postcode[2] in "23456" else None
    if postcode.startswith("97"):
        return postcode[:3]
    return postcode[:2] if postcode[:2] != "00" else None


def venue_pattern(code: str) -> str | None:
    """A regular expression matching a venue with a postcode of département ``code``
    (None for a code that is not one: nothing to match)."""
    code = code.upper()
    if not CODE.match(code) or code == "20":
        return None
    if code in _CORSICA:
        start = _CORSICA[code]
    elif code.startswith("97"):
        start = f"{code}[0-9]{{2}}"
    else:
        start = f"{code}[0-9]{{3}}"
    return f"(^|[^0-9]){start}([^0-9]|$)"
