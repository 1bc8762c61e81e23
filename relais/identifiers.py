"""Reading the numbers strangers send: ids in web paths, button data, commands, arguments.

``int()`` accepts far too much for that: ``int("٣")`` is 3, ``"²".isdigit()``
is true but ``int("²")`` fails, and ``int("9" * 20)`` succeeds and then
overflows SQLite (OverflowError) or PostgreSQL's INTEGER (DataError). Every
identifier is read here instead: ASCII digits only, within the column's range,
so odd input is « not found » or « bouton expiré », never a traceback.
"""

from __future__ import annotations

#: The largest value of an INTEGER column on PostgreSQL (ids, numbers, pages).
MAX_ID = 2**31 - 1
#: Telegram user ids go beyond 32 bits; they are stored as BIGINT.
MAX_TELEGRAM_ID = 2**53


class BadNumber(ValueError):
    """Not a number Relais could hold; callers turn it into their « not found » answer."""


def parse(text: str, *, minimum: int = 0, maximum: int = MAX_ID) -> int | None:
    """The number ``text`` is, in ASCII digits within ``[minimum, maximum]``; None otherwise."""
    if not text or not text.isascii() or not text.isdigit() or len(text) > len(str(maximum)):
        return None
    value = int(text)
    return value if minimum <= value <= maximum else None


def number(text: str, *, minimum: int = 0, maximum: int = MAX_ID) -> int:
    """Like :func:`parse`, raising :class:`BadNumber` (a ValueError) instead of returning None."""
    value = parse(text, minimum=minimum, maximum=maximum)
    if value is None:
        raise BadNumber(text[:20])
    return value
