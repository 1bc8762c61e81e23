"""Short public codes for events and cycles, usable as Telegram deep-link payloads.

Telegram allows up to 64 characters of ``[A-Za-z0-9_-]``; six characters of an
alphabet without look-alikes (no 0/o, 1/l/i) are easy to read aloud and type.
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
LENGTH = 6
PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def is_valid(code: str) -> bool:
    return bool(PATTERN.fullmatch(code))
