"""The public web endpoints, through httpx: against the Starlette app, and once against
the real uvicorn server that ``relais run`` starts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from sqlmodel import Session

from relais.newsletter import archive, issues, services, tokens
from relais.newsletter.models import Subscriber, SubscriberStatus
from relais.settings import get_settings
from relais.timefmt import utcnow
from relais.web.app import create_app
from relais.web.server import WebServer
from tests.newsletter.conftest import DATA

ONE_CLICK = {"List-Unsubscribe": "One-Click"}


@pytest.fixture
async def client(db_url: str) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://relais.test") as http:
        yield http


def _active(session: Session, email: str = "fatou.sy@exemple.fr") -> Subscriber:
    subscriber = services.request(session, email=email, channel="telegram", source="bot")
    services.confirm(session, subscriber)
    session.commit()
    return subscriber


def _link(subscriber: Subscriber, purpose: tokens.Purpose = "unsubscribe") -> str:
    assert subscriber.id is not None
    path = "desabonnement" if purpose == "unsubscribe" else "confirmation"
    return f"/{path}/{tokens.make(purpose, subscriber.id, subscriber.email)}"


def _status(session: Session, subscriber: Subscriber) -> SubscriberStatus:
    """Read in a short session of its own, so no lock is left held between requests."""
    with Session(session.get_bind()) as fresh:
        found = fresh.get(Subscriber, subscriber.id)
        assert found is not None
        return found.status


async def test_get_shows_a_button_and_only_post_unsubscribes(
    client: httpx.AsyncClient, session: Session
) -> None:
    subscriber = _active(session)
    page = await client.get(_link(subscriber))
    assert page.status_code == 200
    assert "Me désabonner" in page.text and "fatou.sy@exemple.fr" in page.text
    assert 'method="post"' in page.text
    assert _status(session, subscriber) == SubscriberStatus.ACTIVE

    done = await client.post(_link(subscriber), data={"confirmer": "1"})
    assert done.status_code == 200 and "Vous êtes désabonné·e" in done.text
    assert _status(session, subscriber) == SubscriberStatus.UNSUBSCRIBED
    again = await client.get(_link(subscriber))
    assert "Déjà désabonné·e" in again.text


@pytest.mark.parametrize("multipart", [False, True])
async def test_rfc8058_one_click_post_unsubscribes_at_once(
    client: httpx.AsyncClient, session: Session, multipart: bool
) -> None:
    subscriber = _active(session)
    if multipart:
        response = await client.post(
            _link(subscriber), files={"List-Unsubscribe": (None, "One-Click")}
        )
    else:
        response = await client.post(_link(subscriber), data=ONE_CLICK)
    assert response.status_code == 200
    assert _status(session, subscriber) == SubscriberStatus.UNSUBSCRIBED


async def test_tampered_or_foreign_tokens_get_a_clear_page(
    client: httpx.AsyncClient, session: Session
) -> None:
    one = _active(session)
    other = _active(session, "autre@exemple.fr")
    good = _link(one)
    mac = good.rsplit(".", 1)[1]
    for bad in (
        good[:-2] + ("AA" if not good.endswith("AA") else "BB"),
        f"/desabonnement/{other.id}.{mac}",
        "/desabonnement/n%27importe-quoi",
        "/desabonnement/99999999." + mac,
        _link(one, "confirm").replace("confirmation", "desabonnement"),
    ):
        for response in (await client.get(bad), await client.post(bad, data=ONE_CLICK)):
            assert response.status_code == 404
            assert "Ce lien n'est pas valable" in response.text
            assert "Traceback" not in response.text
    assert _status(session, one) == SubscriberStatus.ACTIVE
    assert _status(session, other) == SubscriberStatus.ACTIVE


async def test_double_opt_in_link(client: httpx.AsyncClient, session: Session) -> None:
    subscriber = services.request(
        session, email="fatou.sy@exemple.fr", channel="telegram", source="bot"
    )
    session.commit()
    page = await client.get(_link(subscriber, "confirm"))
    assert "Je confirme mon abonnement" in page.text
    assert _status(session, subscriber) == SubscriberStatus.PENDING
    done = await client.post(_link(subscriber, "confirm"))
    assert "Abonnement confirmé" in done.text
    assert _status(session, subscriber) == SubscriberStatus.ACTIVE

    late = services.request(session, email="tard@exemple.fr", channel="telegram", source="bot")
    late.confirm_sent_at = utcnow() - timedelta(days=5)
    session.commit()
    refused = await client.post(_link(late, "confirm"))
    assert refused.status_code == 410 and "plus valable (il dure 48 heures)" in refused.text
    assert _status(session, late) == SubscriberStatus.PENDING


async def test_archive_pages_and_static_export(
    client: httpx.AsyncClient, session: Session, tmp_path: object
) -> None:
    source = issues.parse((DATA / "lettre-42.md").read_text(encoding="utf-8"))
    rendered = issues.render(session, source)
    archive.freeze(session, source, rendered, utcnow() - timedelta(minutes=1))
    later = issues.IssueSource(**{**source.__dict__, "number": 43, "title": "Pas encore parue"})
    archive.freeze(session, later, issues.render(session, later), utcnow() + timedelta(days=3))
    session.commit()

    index = await client.get("/lettre/")
    assert index.status_code == 200
    assert "N° 42 – Les Cités éducatives, trois ans après" in index.text
    assert "Pas encore parue" not in index.text
    page = await client.get("/lettre/42")
    assert page.status_code == 200 and "Trois ans de Cités éducatives" in page.text
    assert issues.UNSUBSCRIBE_PLACEHOLDER not in page.text
    for missing in ("/lettre/43", "/lettre/7"):
        response = await client.get(missing)
        assert response.status_code == 404 and "Lettre introuvable" in response.text

    from pathlib import Path

    folder = Path(str(tmp_path)) / "archive"
    assert archive.export_static(session, folder) == 1
    assert 'href="42.html"' in (folder / "index.html").read_text(encoding="utf-8")
    assert (folder / "42.html").read_text(encoding="utf-8") == page.text


async def test_health_not_found_and_errors_are_french(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    missing = await client.get("/nulle-part")
    assert missing.status_code == 404 and "Page introuvable" in missing.text

    def broken(*_args: object) -> object:
        raise RuntimeError("base cassée")

    monkeypatch.setattr(archive, "published", broken)
    failure = await client.get("/lettre/")
    assert failure.status_code == 500
    assert "Un problème technique est survenu" in failure.text
    assert "base cassée" not in failure.text and "Traceback" not in failure.text


async def test_real_uvicorn_server_from_the_component(session: Session) -> None:
    subscriber = _active(session)
    settings = get_settings().model_copy(update={"web_port": 0})
    server = WebServer(settings)
    await server.start()
    try:
        base = f"http://127.0.0.1:{server.port}"
        async with httpx.AsyncClient(base_url=base) as http:
            health = await http.get("/healthz")
            assert health.status_code == 200 and health.json()["status"] == "ok"
            response = await http.post(_link(subscriber), data=ONE_CLICK)
            assert response.status_code == 200
    finally:
        await server.stop()
    assert await asyncio.to_thread(_status, session, subscriber) == SubscriberStatus.UNSUBSCRIBED
    with pytest.raises(httpx.ConnectError):
        async with httpx.AsyncClient() as http:
            await http.get(f"http://127.0.0.1:{server.port}/healthz")


async def test_public_calendar_feed_has_upcoming_events_without_visio_links(
    client: httpx.AsyncClient, session: Session
) -> None:
    from datetime import UTC, datetime

    import icalendar

    from relais.events.models import EventStatus
    from tests.factories import make_event

    webinar = make_event(
        session, title="Webinaire santé mentale", format="distanciel",
        visio_url="https://visio.exemple.fr/salle-secrete", starts_at=utcnow() + timedelta(days=3),
    )  # fmt: skip
    make_event(session, title="Brouillon", status=EventStatus.DRAFT)
    make_event(session, title="Passé", starts_at=datetime(2020, 1, 1, 9, tzinfo=UTC))
    response = await client.get("/agenda.ics")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert "salle-secrete" not in response.text
    calendar = icalendar.Calendar.from_ical(response.content)
    found = [component for component in calendar.walk("VEVENT")]
    assert [str(component["SUMMARY"]) for component in found] == ["Webinaire santé mentale"]
    assert str(found[0]["UID"]).startswith(f"event-{webinar.id}-{webinar.code}@")
    assert str(found[0]["URL"]) == f"{get_settings().public_base_url}/e/{webinar.code}"
