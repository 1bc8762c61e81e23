"""A small IMAP client over the standard library's ``imaplib``, run in a thread.

Why ``imaplib`` and not an asyncio client (aioimaplib is maintained, but one
more dependency to pin and follow): the work done per message (parsing, a
database transaction) is synchronous anyway and would block the event loop,
the mailbox is read by one connection, and the standard library is enough.
IDLE (RFC 2177) is spoken by hand when the server offers it; otherwise the
reader polls. MOVE (RFC 6851) is used when offered, else COPY + \\Deleted +
(UID) EXPUNGE. Nothing is ever deleted without having been copied first.
"""

from __future__ import annotations

import imaplib
import re
import select
import ssl
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from relais.settings import Settings

_UID = re.compile(rb"\bUID (\d+)")
_SIZE = re.compile(rb"\bRFC822\.SIZE (\d+)")
_SEQ = re.compile(rb"^(\d+) \(")


class ImapError(Exception):
    """The server refused a command; the message is safe to log (no password)."""


@dataclass(frozen=True)
class Header:
    uid: int
    size: int
    header: bytes


def quote(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _check(result: tuple[str, Sequence[Any]], what: str) -> list[Any]:
    status, data = result
    if status != "OK":
        detail = b" ".join(item for item in data if isinstance(item, bytes))[:200]
        raise ImapError(f"{what}: {status} {detail.decode('utf-8', 'replace')}")
    return list(data)


def fetched(data: list[Any]) -> Iterator[tuple[int, bytes, bytes]]:
    """``(uid, metadata, literal)`` of each message of a FETCH answer.

    The UID may come before the literal or after it (in the closing bytes).
    """
    index = 0
    while index < len(data):
        item = data[index]
        index += 1
        if not isinstance(item, tuple):
            continue
        meta, literal = item[0], item[1]
        trailing = data[index] if index < len(data) and isinstance(data[index], bytes) else b""
        uid = _UID.search(meta) or _UID.search(trailing)
        if uid is not None:
            yield int(uid.group(1)), meta + b" " + trailing, literal


class ImapMailbox:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.conn: imaplib.IMAP4 | None = None
        self.capabilities: set[str] = set()

    # -- connection ----------------------------------------------------------------------

    def connect(self) -> None:
        settings = self.settings
        timeout = settings.imap_timeout
        if settings.imap_security == "tls":
            conn: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                settings.imap_host, settings.imap_port, ssl_context=ssl.create_default_context(),
                timeout=timeout,
            )  # fmt: skip
        else:
            conn = imaplib.IMAP4(settings.imap_host, settings.imap_port, timeout=timeout)
            if settings.imap_security == "starttls":
                _check(conn.starttls(ssl_context=ssl.create_default_context()), "STARTTLS")
        self.conn = conn
        _check(conn.login(settings.imap_username, settings.imap_password), "LOGIN")
        self.capabilities = self._capabilities()
        for folder in (settings.imap_processed_folder, settings.imap_human_folder):
            if folder:
                self.ensure_folder(folder)
        _check(conn.select(quote(settings.imap_folder)), "SELECT")

    def _capabilities(self) -> set[str]:
        assert self.conn is not None
        data = _check(self.conn.capability(), "CAPABILITY")
        words = b" ".join(item for item in data if isinstance(item, bytes))
        return {word.upper() for word in words.decode("ascii", "replace").split()}

    def ensure_folder(self, folder: str) -> None:
        assert self.conn is not None
        status, _data = self.conn.create(quote(folder))
        if status != "OK":  # already there: say so by listing it, else it is a real refusal
            listed = _check(self.conn.list('""', quote(folder)), "LIST")
            if not any(isinstance(item, bytes) and item for item in listed):
                raise ImapError(f"CREATE {folder}: {status}")

    def close(self) -> None:
        conn, self.conn = self.conn, None
        if conn is None:
            return
        try:
            conn.logout()
        except (imaplib.IMAP4.error, OSError):
            conn.shutdown()

    # -- reading ----------------------------------------------------------------------------

    def uids(self) -> list[int]:
        assert self.conn is not None
        data = _check(self.conn.uid("SEARCH", "ALL"), "SEARCH")
        words = b" ".join(item for item in data if isinstance(item, bytes)).split()
        return [int(word) for word in words]

    def headers(self, uids: list[int]) -> list[Header]:
        """Size and header of each message: enough to skip known ones and huge ones."""
        assert self.conn is not None
        if not uids:
            return []
        data = _check(
            self.conn.uid("FETCH", _set(uids), "(UID RFC822.SIZE BODY.PEEK[HEADER])"), "FETCH"
        )
        found = []
        for uid, meta, literal in fetched(data):
            size = _SIZE.search(meta)
            found.append(Header(uid, int(size.group(1)) if size else 0, literal))
        return found

    def bodies(self, uids: list[int]) -> dict[int, bytes]:
        assert self.conn is not None
        if not uids:
            return {}
        data = _check(self.conn.uid("FETCH", _set(uids), "(UID BODY.PEEK[])"), "FETCH")
        return {uid: literal for uid, _meta, literal in fetched(data)}

    # -- moving -----------------------------------------------------------------------------

    def move(self, uids: list[int], folder: str) -> None:
        """Copy then remove from the folder read; MOVE does both atomically when offered."""
        assert self.conn is not None
        if not uids:
            return
        which = _set(uids)
        if "MOVE" in self.capabilities:
            _check(self.conn.uid("MOVE", which, quote(folder)), "MOVE")
            return
        _check(self.conn.uid("COPY", which, quote(folder)), "COPY")
        _check(self.conn.uid("STORE", which, "+FLAGS.SILENT", r"(\Deleted)"), "STORE")
        if "UIDPLUS" in self.capabilities:
            _check(self.conn.uid("EXPUNGE", which), "UID EXPUNGE")
        else:
            _check(self.conn.expunge(), "EXPUNGE")

    # -- waiting ----------------------------------------------------------------------------

    def wait(self, seconds: float, stop: threading.Event) -> None:
        """Until new mail, ``seconds``, or ``stop``: IDLE when offered, else a plain sleep."""
        if "IDLE" not in self.capabilities:
            stop.wait(seconds)
            return
        conn = self.conn
        assert conn is not None
        tag = conn._new_tag()  # type: ignore[attr-defined]
        conn.send(tag + b" IDLE\r\n")
        if not conn.readline().startswith(b"+"):
            raise ImapError("IDLE refused")
        deadline = time.monotonic() + seconds
        try:
            while not stop.is_set() and time.monotonic() < deadline:
                readable, _, _ = select.select([conn.sock], [], [], 0.5)
                pending = getattr(conn.sock, "pending", lambda: 0)()
                if not (readable or pending):
                    continue
                line = conn.readline()
                if not line:
                    raise ImapError("connection closed during IDLE")
                if b"EXISTS" in line:
                    break
        finally:
            conn.send(b"DONE\r\n")
            while True:
                line = conn.readline()
                if not line:
                    raise ImapError("connection closed during IDLE")
                if line.startswith(tag):
                    break


def _set(uids: list[int]) -> str:
    return ",".join(str(uid) for uid in uids)
