"""What a single-line value may contain: words people type end up in headers and filenames.

A title, a place, a name or an organisation reaches an e-mail Subject, an ICS
property, a Content-Disposition filename and a Telegram message. A line break
there is a header injection (« Bcc: »), a NUL or an escape makes a message or
a spreadsheet fail to render. Every such field is cleaned here, once, before it
is stored: line breaks and control characters become a space, runs of spaces
collapse, and the ends are trimmed. Multi-line fields (descriptions) keep
their line breaks and tabs but lose the other control characters.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from sqlalchemy import event

#: Unicode categories replaced by a space: controls (C0, DEL, C1), line and paragraph separators.
_BREAKING = frozenset(("Cc", "Zl", "Zp"))
#: Lone surrogates cannot be encoded in UTF-8 (a message would fail to render).
_DROPPED = frozenset(("Cs",))
_SPACES = re.compile(r"  +")


def single_line(value: str) -> str:
    """One line: breaks and controls become a space, spaces collapse, ends trimmed."""
    if value.isprintable() and "  " not in value and value == value.strip():
        return value
    kept = []
    for character in value:
        category = unicodedata.category(character)
        if category in _DROPPED:
            continue
        kept.append(" " if category in _BREAKING else character)
    return _SPACES.sub(" ", "".join(kept)).strip()


def multi_line(value: str) -> str:
    """Several lines: CR LF and CR become LF, tabs stay, other controls go."""
    text = value.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n")
    if text.isprintable():
        return text
    return "".join(
        character
        for character in text
        if character in "\n\t"
        or unicodedata.category(character) not in _BREAKING | _DROPPED
        or character == "\u2029"
    ).replace("\u2029", "\n\n")


def _cleaner(fields: tuple[str, ...]) -> Any:
    def clean(_mapper: Any, _connection: Any, target: Any) -> None:
        for name in fields:
            value = getattr(target, name, None)
            if isinstance(value, str):
                cleaned = single_line(value)
                if cleaned != value:
                    setattr(target, name, cleaned)

    return clean


def single_line_fields(model: type, *fields: str) -> None:
    """Clean these fields of ``model`` on every insert and update, whatever the channel."""
    clean = _cleaner(fields)
    event.listen(model, "before_insert", clean)
    event.listen(model, "before_update", clean)


#: Characters a filename must not carry: path separators, quotes that end a header parameter.
_FILENAME_UNSAFE = re.compile(r'[\\/:*?"<>|;]+')


def safe_filename(value: str, fallback: str = "document") -> str:
    """A filename for Content-Disposition or a chat attachment: one line, no path, bounded."""
    cleaned = _FILENAME_UNSAFE.sub("-", single_line(value)).strip(" .-")
    return cleaned[:120] or fallback
