"""The real web server of ``relais run`` on a free loopback port, a real SMTP server,
and helpers to fill the public forms the way a browser does (cookie + CSRF token)."""

from __future__ import annotations

import asyncio
import html
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage

import httpx
import pytest

from mailer.dispatch import Dispatcher
from relais.settings import get_settings
from relais.web.server import WebServer
from tests.mail.conftest import SmtpRecorder, free_port, serve_smtp
from web import choices

CSRF = re.compile(r'name="csrf" value="([0-9a-f]{64})"')
LINK = re.compile(r"https?://\S+?/(?:mes-inscriptions|inscription/confirmer)/[A-Za-z0-9._-]+")


@dataclass
class Live:
    """A running server: its address, and the SMTP server its mails reach."""

    base: str
    smtp: SmtpRecorder

    def deliver(self) -> list[EmailMessage]:
        """Send what the outbox holds now; the messages the SMTP server accepted so far."""

        async def once() -> None:
            dispatcher = Dispatcher(get_settings())
            try:
                await dispatcher.run_once()
            finally:
                await dispatcher.close()

        # In a thread of its own: Playwright's sync API keeps a loop running in this one.
        worker = threading.Thread(target=asyncio.run, args=(once(),))
        worker.start()
        worker.join(timeout=60)
        return self.smtp.messages


class _ServerThread(threading.Thread):
    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.loop = asyncio.new_event_loop()
        self.server = WebServer(get_settings())
        self.ready = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self.server.start())
        except BaseException as error:
            self.error = error
            self.ready.set()
            return
        self.ready.set()
        self.loop.run_forever()

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.server.stop(), self.loop).result(timeout=30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.join(timeout=30)


@pytest.fixture(autouse=True)
def _fresh_limits() -> None:
    """Fresh limits and lists for each test: the rate counts live in the test's own
    database (:mod:`relais.web.limits`), the form's lists in a per-process cache."""
    choices.clear()


@pytest.fixture
def live(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Live]:
    from relais.plugins import subscribe_all

    subscribe_all()
    port = free_port()
    recorder_iter = serve_smtp(
        monkeypatch,
        MAIL_FROM="CRPV Relais <relais@crpv.example>",
        WEB_PORT=str(port),
        WEB_HOST="127.0.0.1",
        PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        ORGANISATION_NAME="CRPV Île-de-France",
    )
    recorder = next(recorder_iter)
    thread = _ServerThread()
    thread.start()
    thread.ready.wait(30)
    if thread.error is not None:
        raise thread.error
    try:
        yield Live(f"http://127.0.0.1:{port}", recorder)
    finally:
        thread.stop()
        next(recorder_iter, None)


def csrf_of(page: str) -> str:
    found = CSRF.search(page)
    assert found, "no CSRF token in the page"
    return found.group(1)


def link_in(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    found = LINK.search(body.get_content())
    assert found, "no personal link in the e-mail"
    return found.group(0)


def text_of(page: str) -> str:
    """The words a person reads: the page without tags, one line per block."""
    body = page.split("<body>", 1)[-1]
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", "", body, flags=re.S)
    body = re.sub(r'<input type="hidden"[^>]*>', "", body)
    body = re.sub(r"<(br|/p|/h[1-6]|/li|/dt|/dd|/summary|/label|/option|/a)[^>]*>", "\n", body)
    body = re.sub(r"<[^>]+>", " ", body)
    lines = (" ".join(html.unescape(line).split()) for line in body.splitlines())
    return "\n".join(line for line in lines if line) + "\n"


def profile_form(**changes: str) -> dict[str, str]:
    """A right registration form (profile 1, « Collectivité territoriale », département 93);
    ``changes`` override fields."""
    form = {
        "nom": "Benali",
        "prenom": "Amina",
        "email": "amina.benali@exemple.fr",
        "structure": "Ville de Saint-Denis",
        "type_structure": "1",
        "profil": "1",
        "departement": "93",
        "telephone": "",
        "consentement": "oui",
        "site_web": "",
    }
    form.update(changes)
    return form


def post_form(client: httpx.Client, path: str, form: dict[str, str]) -> httpx.Response:
    """GET the page (cookie + token), then POST the form with its token, as a browser does."""
    page = client.get(path)
    return client.post(path, data={**form, "csrf": csrf_of(page.text)})


def register_on_web(
    client: httpx.Client, live: Live, path: str, form: dict[str, str]
) -> httpx.Response:
    """The whole web registration: the form, then the link mailed to the address typed
    (delivered through the real SMTP server), then its button; the last page."""
    sent = post_form(client, path, form)
    assert sent.status_code == 200, sent.text
    address = form["email"].strip().lower()
    mails = live.deliver()
    [asked] = [m for m in mails if m["To"] == address and "Confirmez" in m["Subject"]][-1:]
    link = link_in(asked).replace(live.base, "")
    assert "/inscription/confirmer/" in link
    page = client.get(link)
    return client.post(link, data={"csrf": csrf_of(page.text)})
