"""A file sent from the back office (the subscribers' CSV, an event's attendance report).

These two addresses take a body of up to ``WEB_MAX_UPLOAD_BYTES``, so they are
guarded in an order that makes a stranger's POST cost nothing: the cookies are
looked at (the session in a read transaction, off the event loop) before a byte
of the body is read. The body is then cut into its parts off the event loop,
and a form of more than :data:`MAX_PARTS` parts is refused before any part is
looked at: 40 000 tiny parts kept the standard library's MIME parser, and with
it the whole ``relais run`` process, busy for seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.parser import HeaderParser
from email.policy import HTTP

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from relais.db import read_scope
from relais.i18n import t
from relais.signin import services as signin
from web import guard
from web.admin.base import LOGIN, Form, cookie_of, notice, redirect

#: The upload forms have a handful of fields (CSRF token, file, a few options).
MAX_PARTS = 10
#: A browser's part headers take a few hundred bytes; longer ones are not read.
MAX_PART_HEAD = 4096


@dataclass(frozen=True)
class Upload:
    """A multipart form: its text fields, and the file (its name, None if it had none)."""

    form: Form
    filename: str | None
    content: bytes


@dataclass(frozen=True)
class _Part:
    name: str
    filename: str | None
    data: bytes


class TooManyParts(Exception):
    """The body holds more than :data:`MAX_PARTS` parts."""


async def receive(request: Request, file_field: str) -> Upload | Response:
    """The upload of a signed-in coordinator whose CSRF token is right, or the refusal.

    Without the CSRF cookie the token cannot be right (403); without a live session
    the answer is the sign-in page, as for any back-office POST; neither reads the body.
    """
    if not guard.has_csrf_cookie(request):
        return notice(request, "csrf", 403)
    cookie = cookie_of(request)
    if not cookie or not await run_in_threadpool(_signed_in, cookie):
        return redirect(LOGIN)
    body = await request.body()
    return await run_in_threadpool(_checked, request, body, file_field)


def _signed_in(cookie: str) -> bool:
    with read_scope() as session:
        return signin.principal_of(session, cookie) is not None


def _checked(request: Request, body: bytes, file_field: str) -> Upload | Response:
    try:
        parts = split(request.headers.get("content-type", ""), body)
    except TooManyParts:
        reason = t("web_admin.upload_too_many_parts", limit=MAX_PARTS)
        return notice(request, "refused", 400, reason=reason)
    upload = _upload(parts, file_field)
    if not guard.csrf_valid(request, upload.form.get(guard.FIELD)):
        return notice(request, "csrf", 403)
    return upload


def _upload(parts: list[_Part], file_field: str) -> Upload:
    """The first part named ``file_field`` is the file; the others are text fields."""
    pairs: list[tuple[str, str]] = []
    file: _Part | None = None
    for part in parts:
        if part.name == file_field and file is None:
            file = part
        else:
            pairs.append((part.name, part.data.decode("utf-8", errors="replace")))
    if file is None:
        return Upload(Form(pairs), None, b"")
    return Upload(Form(pairs), file.filename, file.data)


def split(content_type: str, body: bytes) -> list[_Part]:
    """The named parts of a ``multipart/form-data`` body (RFC 7578), in order.

    Only the outer level is read: a part is bytes, never parsed as a multipart of its
    own. Raises :class:`TooManyParts` after counting the delimiters, before reading.
    """
    boundary = _boundary(content_type)
    if boundary is None:
        return []
    delimiter = b"\r\n--" + boundary.encode("ascii", errors="replace")
    framed = b"\r\n" + body
    if framed.count(delimiter) > MAX_PARTS + 1:
        raise TooManyParts
    parts: list[_Part] = []
    for piece in framed.split(delimiter)[1:]:
        if piece.startswith(b"--"):
            break  # the closing delimiter; what follows is the epilogue
        _padding, newline, piece = piece.partition(b"\r\n")
        head, blank, data = piece.partition(b"\r\n\r\n")
        if not newline or not blank or len(head) > MAX_PART_HEAD:
            continue
        headers = HeaderParser(policy=HTTP).parsestr(head.decode("utf-8", errors="replace"))
        name = headers.get_param("name", header="content-disposition")
        if isinstance(name, str):
            filename = headers.get_filename()
            parts.append(_Part(name, filename[:255] if filename is not None else None, data))
    return parts


def _boundary(content_type: str) -> str | None:
    head = HeaderParser(policy=HTTP).parsestr(f"Content-Type: {content_type[:300]}\r\n\r\n")
    if head.get_content_type() != "multipart/form-data":
        return None
    boundary = head.get_boundary()
    return boundary if boundary and len(boundary) <= 200 else None
