"""No overbooking across channels: 50 people at once for 10 seats, 25 through the web
server (HTTP: each follows the link mailed after the form, which takes the seat) and 25
through the bot's registration code, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

import httpx
import pytest
from sqlmodel import Session, select

from bot.actor import Actor
from bot.signup import register_event
from relais.people import services as people
from relais.people.models import ConsentPurpose
from relais.registrations.models import Registration, RegistrationStatus
from relais.settings import get_settings
from tests.factories import make_event, make_person
from tests.web.conftest import Live, csrf_of, link_in, post_form, profile_form

PER_CHANNEL = 25


def test_fifty_at_once_for_ten_seats_half_web_half_bot(
    live: Live, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WEB_RATE_PER_IP", "1000")
    get_settings.cache_clear()
    event = make_event(session, title="Dix places", capacity=10)
    telegram_ids = []
    for number in range(PER_CHANNEL):
        person = make_person(session, telegram_id=900_000 + number)
        people.record_consent(session, person.id, ConsentPurpose.REGISTRATION, channel="telegram")
        telegram_ids.append(900_000 + number)
    session.commit()
    with httpx.Client(base_url=live.base, timeout=60) as client:
        for number in range(PER_CHANNEL):
            post_form(client, f"/e/{event.code}", profile_form(email=f"web{number}@exemple.fr"))
    links: dict[str, str] = {}
    for _round in range(10):  # a delivery round sends one batch of the outbox
        links = {str(m["To"]): link_in(m).replace(live.base, "") for m in live.deliver()}
        if len(links) == PER_CHANNEL:
            break
    assert len(links) == PER_CHANNEL
    # A timeout: a thread that fails before the barrier must not leave the others waiting.
    start = threading.Barrier(2 * PER_CHANNEL, timeout=60)
    failures: list[str] = []

    def by_web(number: int) -> None:
        """The owner of the address follows the link: that is when the seat is taken."""
        link = links[f"web{number}@exemple.fr"]
        with httpx.Client(base_url=live.base, timeout=60) as client:
            token = csrf_of(client.get(link).text)
            start.wait()
            answer = client.post(link, data={"csrf": token})
            if answer.status_code != 200:
                failures.append(f"web {number}: {answer.status_code}")

    def by_bot(telegram_id: int) -> None:
        start.wait()
        register_event(Actor(telegram_id), event.id)

    threads = [threading.Thread(target=by_web, args=(n,)) for n in range(PER_CHANNEL)]
    threads += [threading.Thread(target=by_bot, args=(t,)) for t in telegram_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    with Session(session.get_bind()) as fresh:
        rows = list(fresh.exec(select(Registration).where(Registration.event_id == event.id)))
    by_status = {status: [r for r in rows if r.status == status] for status in RegistrationStatus}
    assert len(rows) == 50
    assert len(by_status[RegistrationStatus.CONFIRMED]) == 10
    assert len(by_status[RegistrationStatus.WAITLISTED]) == 40
    assert {r.source for r in rows} == {"web", "telegram"}
