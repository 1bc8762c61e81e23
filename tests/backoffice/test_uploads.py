"""The two addresses that take a file (the subscribers' CSV, an event's attendance report)
cost a stranger nothing: without a session the answer comes before the body is read, so
40 000 tiny parts are never parsed; signed in, a form of too many parts is refused in
French before its parts are read."""

from __future__ import annotations

import html
import socket
from urllib.parse import urlparse

import httpx
import pytest
from sqlmodel import Session, select

from relais.attendance.models import Attendance
from relais.newsletter.models import Subscriber
from tests.backoffice.conftest import coordinator, sign_in
from tests.factories import make_event
from tests.web.conftest import Live, csrf_of
from web.admin import upload

EDITOR = "charge.mission@crpv.example"
PART = b"--X\r\nContent-Disposition: form-data; name=a\r\n\r\nb\r\n"
#: The tester's body: just under the 2 MB upload limit, about 40 000 parts.
MANY_PARTS = PART * (1_990_000 // len(PART)) + b"--X--\r\n"


def _paths(session: Session) -> list[str]:
    event = make_event(session, title="Webinaire santé", format="distanciel")
    session.commit()
    return ["/gestion/abonnes/import", f"/gestion/evenements/{event.id}/rapport"]


def _answer_to_an_unfinished_body(live: Live, path: str, cookie: str) -> str:
    """The headers and the first 64 KB of the many-part body, the rest never sent: a server
    that read the body before deciding would wait here until the timeout."""
    address = urlparse(live.base)
    assert address.hostname is not None and address.port is not None
    head = [f"POST {path} HTTP/1.1", "Host: relais.test",
            "Content-Type: multipart/form-data; boundary=X",
            f"Content-Length: {len(MANY_PARTS)}"]  # fmt: skip
    if cookie:
        head.append(f"Cookie: {cookie}")
    with socket.create_connection((address.hostname, address.port), timeout=20) as connection:
        connection.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + MANY_PARTS[:65_536])
        answer = b""
        while not _complete(answer) and (chunk := connection.recv(65_536)):
            answer += chunk
        return answer.decode("utf-8", "replace")


def _complete(answer: bytes) -> bool:
    """The response's head and as many bytes of body as its Content-Length says."""
    head, blank, body = answer.partition(b"\r\n\r\n")
    lengths = [line.split(b":")[1] for line in head.lower().split(b"\r\n")
               if line.startswith(b"content-length:")]  # fmt: skip
    return bool(blank) and len(body) >= int(lengths[0] if lengths else 0)


@pytest.mark.parametrize(
    ("cookie", "status", "location"),
    [
        ("", "403", None),
        ("relais_csrf=" + "a" * 32, "303", "/gestion/connexion"),
        ("relais_csrf=" + "a" * 32 + "; relais_gestion=" + "b" * 43, "303", "/gestion/connexion"),
    ],
    ids=["no cookie", "no session", "unknown session"],
)
def test_without_a_session_the_upload_is_refused_before_its_body_is_read(
    live: Live, session: Session, cookie: str, status: str, location: str | None
) -> None:
    for path in _paths(session):
        answer = _answer_to_an_unfinished_body(live, path, cookie)
        assert answer.startswith(f"HTTP/1.1 {status}"), (path, answer[:300])
        if location is not None:
            assert f"location: {location}\r\n" in answer.lower(), (path, answer[:300])
        else:
            assert "Le formulaire a expiré" in html.unescape(answer), (path, answer[:300])


def test_signed_in_a_form_of_too_many_parts_is_refused_in_french(
    live: Live, session: Session
) -> None:
    coordinator(session, EDITOR)
    paths = _paths(session)
    with httpx.Client(base_url=live.base, timeout=60) as client:
        sign_in(client, live, EDITOR)
        token = csrf_of(client.get(paths[0]).text)
        first = f'--X\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n{token}\r\n'
        body = first.encode() + MANY_PARTS
        refused = {
            path: client.post(path, content=body,
                              headers={"Content-Type": "multipart/form-data; boundary=X"})
            for path in paths
        }  # fmt: skip
    for path, answer in refused.items():
        assert answer.status_code == 400, (path, answer.text[:300])
        assert "Le formulaire envoyé compte plus de 10 champs" in html.unescape(answer.text)
    assert session.exec(select(Subscriber)).all() == []
    assert session.exec(select(Attendance)).all() == []


def test_parts_are_counted_before_reading_and_a_part_is_never_parsed_as_a_multipart() -> None:
    kind = "multipart/form-data; boundary=X"
    assert len(upload.split(kind, PART * upload.MAX_PARTS + b"--X--\r\n")) == upload.MAX_PARTS
    with pytest.raises(upload.TooManyParts):
        upload.split(kind, PART * (upload.MAX_PARTS + 1) + b"--X--\r\n")
    inner = b"--Y\r\nContent-Disposition: form-data; name=a\r\n\r\nb\r\n" * 1000 + b"--Y--"
    nested = (b'--X\r\nContent-Disposition: form-data; name="fichier"; filename="r\xc3\xa9sum\xc3\xa9.csv"\r\n'
              b"Content-Type: multipart/mixed; boundary=Y\r\n\r\n" + inner + b"\r\n--X--\r\n")  # fmt: skip
    [part] = upload.split(kind, nested)
    assert (part.name, part.filename, part.data) == ("fichier", "résumé.csv", inner)
    assert upload.split("application/x-www-form-urlencoded", PART) == []
