"""Points 2 and 8 of the security issue, over real HTTP to ``relais run``'s web server:
request bodies are bounded (and the token is checked before any body is read), and
every response carries the security headers."""

from __future__ import annotations

import select
import socket
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest
from sqlmodel import Session

from relais.newsletter import services, tokens
from relais.newsletter.models import Subscriber, SubscriberStatus
from tests.security.conftest import RunningRelais, start_relais

CHUNK = b"x" * 65_536
TOTAL = 200 * 1024 * 1024


def _active(session: Session) -> Subscriber:
    subscriber = services.request(
        session, email="fatou.sy@exemple.fr", channel="telegram", source="bot"
    )
    services.confirm(session, subscriber)
    session.commit()
    return subscriber


def _unsubscribe_path(subscriber: Subscriber) -> str:
    assert subscriber.id is not None
    return f"/desabonnement/{tokens.make('unsubscribe', subscriber.id, subscriber.email)}"


def _status(session: Session, subscriber: Subscriber) -> SubscriberStatus:
    with Session(session.get_bind()) as fresh:
        found = fresh.get(Subscriber, subscriber.id)
        assert found is not None
        return found.status


def _connect(running: RunningRelais) -> socket.socket:
    address = urlparse(running.base_url)
    assert address.hostname is not None and address.port is not None
    connection = socket.create_connection((address.hostname, address.port), timeout=20)
    return connection


def _read_response(connection: socket.socket) -> str:
    """Everything the server sends until it closes the connection."""
    data = b""
    try:
        while chunk := connection.recv(65_536):
            data += chunk
    except (ConnectionResetError, TimeoutError):
        pass
    return data.decode("utf-8", "replace")


def _head(path: str, **headers: str) -> bytes:
    lines = [
        f"POST {path} HTTP/1.1",
        "Host: relais.test",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def test_a_huge_streamed_body_gets_413_and_is_not_read(
    relais_run: RunningRelais, session: Session
) -> None:
    subscriber = _active(session)
    connection = _connect(relais_run)
    sent = 0
    with connection:
        connection.sendall(
            _head(
                _unsubscribe_path(subscriber),
                **{
                    "Transfer-Encoding": "chunked",
                    "Content-Type": "application/x-www-form-urlencoded",
                },
            )
        )
        chunk = f"{len(CHUNK):x}\r\n".encode() + CHUNK + b"\r\n"
        try:
            while sent < TOTAL:
                readable, _, _ = select.select([connection], [], [], 0)
                if readable:
                    break  # the server has answered: stop streaming
                connection.sendall(chunk)
                sent += len(CHUNK)
        except (BrokenPipeError, ConnectionResetError):
            pass
        response = _read_response(connection)
    print(f"streamed {sent / 1e6:.1f} MB of {TOTAL / 1e6:.0f} MB before the answer")
    assert response.startswith("HTTP/1.1 413"), response[:200]
    assert "Envoi trop volumineux" in response
    assert sent < TOTAL / 4, "the server kept reading the body"
    assert _status(session, subscriber) == SubscriberStatus.ACTIVE


def test_a_declared_oversized_body_is_refused_before_reading(
    relais_run: RunningRelais, session: Session
) -> None:
    """Content-Length over the limit: the answer comes without a byte of body sent."""
    subscriber = _active(session)
    for path in (_unsubscribe_path(subscriber), "/satisfaction/1.2.abc", "/nulle-part"):
        with _connect(relais_run) as connection:
            connection.sendall(_head(path, **{"Content-Length": "400000000"}))
            response = _read_response(connection)
        assert response.startswith("HTTP/1.1 413"), response[:200]
        assert "Envoi trop volumineux" in response and "Traceback" not in response
    assert _status(session, subscriber) == SubscriberStatus.ACTIVE


def test_the_token_is_checked_before_the_body_is_read(relais_run: RunningRelais) -> None:
    """A forged link with a body announced but never sent is answered at once
    (a server that read first would wait for the body until the timeout)."""
    for path, expected in (("/desabonnement/1.AAAAAAAAAAAAAAAAAAAAAA", "404"),
                           ("/satisfaction/1.2.AAAAAAAAAAAAAAAAAAAAAA", "400")):  # fmt: skip
        with _connect(relais_run) as connection:
            connection.sendall(_head(path, **{"Content-Length": "20000"}))
            first = connection.recv(65_536).decode("utf-8", "replace")
        assert first.startswith(f"HTTP/1.1 {expected}"), first[:200]


def test_every_response_carries_the_security_headers(
    relais_run: RunningRelais, session: Session
) -> None:
    subscriber = _active(session)
    with httpx.Client(base_url=relais_run.base_url) as http:
        personal = http.get(_unsubscribe_path(subscriber))
        assert "fatou.sy@exemple.fr" in personal.text
        pages = {
            "personal": personal,
            "archive": http.get("/lettre/"),
            "survey": http.get("/satisfaction/1.2.AAAAAAAAAAAAAAAAAAAAAA"),
            "missing": http.get("/nulle-part"),
            "health": http.get("/healthz"),
            "too large": http.post(_unsubscribe_path(subscriber), content=b"x" * 100_000),
            "stylesheet": http.get("/static/web.css"),
        }
        survey_css = http.get("/static/satisfaction.css")
    for name, response in pages.items():
        headers = response.headers
        policy = headers.get("content-security-policy", "")
        assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy, name
        assert "script-src" not in policy and "unsafe-inline" not in policy, name
        assert headers.get("x-content-type-options") == "nosniff", name
        assert headers.get("x-frame-options") == "DENY", name
        assert headers.get("referrer-policy") == "no-referrer", name
        if response.headers.get("content-type", "").startswith("text/html"):
            assert "<style" not in response.text and "style=" not in response.text, name
            assert "<script" not in response.text, name
    for name in ("personal", "survey", "missing", "too large"):
        assert pages[name].headers["cache-control"] == "no-store", name
    assert pages["stylesheet"].headers["content-type"].startswith("text/css")
    assert '<link rel="stylesheet" href="/static/web.css">' in pages["personal"].text
    assert survey_css.status_code == 200 and ".notes" in survey_css.text


def test_the_archived_newsletter_allows_its_inline_styles_but_no_script(
    relais_run: RunningRelais, session: Session
) -> None:
    """The archive shows the e-mail as sent (styles inlined for mail clients)."""
    from datetime import timedelta

    from relais.newsletter import archive, issues
    from relais.timefmt import utcnow
    from tests.newsletter.conftest import DATA

    source = issues.parse((DATA / "lettre-42.md").read_text(encoding="utf-8"))
    archive.freeze(session, source, issues.render(session, source), utcnow() - timedelta(minutes=1))
    session.commit()
    with httpx.Client(base_url=relais_run.base_url) as http:
        page = http.get("/lettre/42")
    assert page.status_code == 200 and "Trois ans de Cités éducatives" in page.text
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert "script" not in policy and "<script" not in page.text
    assert page.headers["x-frame-options"] == "DENY"


def test_only_the_upload_addresses_take_a_larger_body() -> None:
    """A file may go to the subscribers import and to an event's report; nowhere else."""
    from relais.web.app import UPLOADS
    from relais.web.guard import BodyLimit

    async def app(*_args: object) -> None:
        return None

    limit = BodyLimit(app, max_bytes=100, uploads={path: 5000 for path in UPLOADS})
    assert limit._limit("/gestion/abonnes/import") == 5000
    assert limit._limit("/gestion/evenements/42/rapport") == 5000
    for other in (
        "/gestion/evenements/42/rapport/x",
        "/gestion/evenements/abc/rapport",
        "/x/gestion/abonnes/import",
        "/gestion/evenements/42",
    ):
        assert limit._limit(other) == 100, other


@pytest.mark.parametrize(
    ("public", "expected"),
    [("https://relais.crpv.example", "max-age=31536000"), ("http://127.0.0.1:8000", None)],
    ids=["https", "plain-http"],
)
def test_strict_transport_security_only_when_the_site_is_https(
    tmp_path: Path, db_url: str, public: str, expected: str | None
) -> None:
    """Behind the HTTPS proxy a browser is told to never use plain HTTP again; a site
    served over plain HTTP sends no such promise (it would mean nothing there)."""
    running = start_relais(tmp_path, DATABASE_URL=db_url, PUBLIC_BASE_URL=public)
    try:
        with httpx.Client(base_url=running.base_url) as http:
            answers = [http.get("/healthz"), http.get("/nulle-part"),
                       http.post("/desabonnement/1.x", content=b"x" * 100_000)]  # fmt: skip
    finally:
        running.stop()
    assert [a.status_code for a in answers] == [200, 404, 413]
    for answer in answers:
        assert answer.headers.get("strict-transport-security") == expected, answer.url


def _raw(running: RunningRelais, method: str, target: str, host: str = "relais.test") -> str:
    """One request written by hand (a client library would tidy the target and the Host)."""
    with _connect(running) as connection:
        lines = [f"{method} {target} HTTP/1.1", f"Host: {host}", "Connection: close"]
        connection.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        return _read_response(connection)


def _header(response: str, name: str) -> str | None:
    head = response.split("\r\n\r\n", 1)[0].split("\r\n")[1:]
    found = [line.split(":", 1)[1].strip() for line in head if line.lower().startswith(name + ":")]
    return found[0] if found else None


def test_a_trailing_slash_redirect_never_names_the_host_it_was_sent(
    relais_run: RunningRelais,
) -> None:
    """Starlette wrote the Host header into the Location (``Host: evil.example`` sent
    the browser there): the redirect is relative, and never to ``//another.host``."""
    for target, location in (("/e/x/", "/e/x"), ("/lettre", "/lettre/"),
                             ("/mes-inscriptions/?de=lettre", "/mes-inscriptions?de=lettre")):  # fmt: skip
        answer = _raw(relais_run, "GET", target, host="evil.example")
        assert answer.startswith("HTTP/1.1 307"), (target, answer[:200])
        assert _header(answer, "location") == location, (target, answer[:300])
    for target in ("//evil.example/", "/\\evil.example/", "/nulle-part/"):
        answer = _raw(relais_run, "GET", target, host="evil.example")
        assert answer.startswith("HTTP/1.1 404"), (target, answer[:200])
        assert _header(answer, "location") is None and "Page introuvable" in answer, target


def test_a_method_not_allowed_names_every_method_the_address_takes(
    relais_run: RunningRelais,
) -> None:
    """A page and its form are two routes: the Allow header names both."""
    for target, allowed in (("/mes-inscriptions", "GET, HEAD, POST"), ("/healthz", "GET, HEAD"),
                            ("/gestion/connexion", "GET, HEAD, POST")):  # fmt: skip
        answer = _raw(relais_run, "DELETE", target)
        assert answer.startswith("HTTP/1.1 405"), (target, answer[:200])
        assert _header(answer, "allow") == allowed, (target, answer[:300])
