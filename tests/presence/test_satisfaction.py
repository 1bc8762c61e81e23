"""The satisfaction survey: one answer per person and session, by bot or signed web link."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlmodel import Session, select
from starlette.applications import Starlette

from relais.attendance import services as attendance
from relais.attendance.models import AttendanceStatus
from relais.errors import DomainError, InvalidInput
from relais.events.models import Event
from relais.people.erasure import erase
from relais.registrations import services as registrations
from relais.registrations.models import Registration
from relais.satisfaction import services as satisfaction
from relais.satisfaction import tokens
from relais.satisfaction.models import SatisfactionAnswer
from relais.satisfaction.web import routes
from relais.timefmt import utcnow
from tests.factories import make_event, make_person


def _past_session_with(session: Session, status: AttendanceStatus | None) -> tuple[Event, int]:
    event = make_event(session, starts_at=utcnow() + timedelta(hours=1))
    person = make_person(session)
    assert event.id and person.id
    registrations.register(session, event.id, person.id, source="bot")
    if status is not None:
        attendance.mark(session, event.id, [person.id], status, "cli")
    session.commit()
    return event, person.id


def test_answer_once_then_update(session: Session) -> None:
    event, person_id = _past_session_with(session, AttendanceStatus.PRESENT)
    assert event.id
    later = event.ends_at + timedelta(days=1)
    row, created = satisfaction.answer(
        session, event.id, person_id, 4, "Très utile", channel="bot", now=later
    )
    assert created and (row.rating, row.comment) == (4, "Très utile")
    row, created = satisfaction.answer(session, event.id, person_id, "5", channel="web", now=later)
    session.commit()
    assert not created and (row.rating, row.comment, row.channel) == (5, "Très utile", "web")
    satisfaction.set_comment(session, event.id, person_id, "  Merci  ")
    session.commit()
    rows = session.exec(select(SatisfactionAnswer)).all()
    assert [(r.rating, r.comment) for r in rows] == [(5, "Merci")]


@pytest.mark.parametrize("rating", [0, 6, "trois", "", 4.5])
def test_bad_ratings_are_refused(session: Session, rating: object) -> None:
    event, person_id = _past_session_with(session, AttendanceStatus.PRESENT)
    assert event.id
    with pytest.raises(InvalidInput) as refused:
        satisfaction.answer(session, event.id, person_id, rating, channel="bot", now=event.ends_at)
    assert "entier de 1 à 5" in refused.value.message


def test_long_comment_refused(session: Session) -> None:
    event, person_id = _past_session_with(session, AttendanceStatus.PRESENT)
    assert event.id
    with pytest.raises(InvalidInput) as refused:
        satisfaction.answer(
            session, event.id, person_id, 3, "x" * 1001, channel="bot", now=event.ends_at
        )
    assert "1000 caractères" in refused.value.message


def test_only_participants_after_the_start(session: Session) -> None:
    event, person_id = _past_session_with(session, None)
    assert event.id
    with pytest.raises(DomainError) as early:
        satisfaction.answer(session, event.id, person_id, 4, channel="bot")
    assert "ouvre au début de la séance" in early.value.message
    absent_event, absent_id = _past_session_with(session, AttendanceStatus.ABSENT)
    assert absent_event.id
    with pytest.raises(DomainError) as absent:
        satisfaction.answer(
            session, absent_event.id, absent_id, 4, channel="bot", now=absent_event.ends_at
        )
    assert "inscrites ou présentes" in absent.value.message
    satisfaction.answer(session, event.id, person_id, 4, channel="bot", now=event.ends_at)


def test_erasure_keeps_rating_and_drops_comment(session: Session) -> None:
    event, person_id = _past_session_with(session, AttendanceStatus.PRESENT)
    assert event.id
    satisfaction.answer(
        session, event.id, person_id, 2, "Je suis Paul de Grigny", channel="bot", now=event.ends_at
    )
    session.commit()
    erase(session, person_id, "test")
    session.commit()
    row = session.exec(select(SatisfactionAnswer)).one()
    assert (row.rating, row.comment) == (2, "")


def test_tokens_resist_tampering(db_url: str) -> None:
    token = tokens.make(12, 34)
    assert tokens.read(token) == (12, 34)
    forged = token.replace("12.34", "12.35")
    for bad in (forged, "12.34", "", "a.b.c", token + "x"):
        with pytest.raises(InvalidInput) as refused:
            tokens.read(bad)
        assert "lien de questionnaire" in refused.value.message
    assert tokens.answer_url(12, 34, 5).endswith(f"/satisfaction/{token}?note=5")


async def test_web_form_get_shows_post_records(session: Session) -> None:
    event, person_id = _past_session_with(session, AttendanceStatus.PRESENT)
    assert event.id
    session.execute(
        Event.__table__.update()  # type: ignore[attr-defined]
        .where(Event.__table__.c.id == event.id)  # type: ignore[attr-defined]
        .values(starts_at=utcnow() - timedelta(hours=3), ends_at=utcnow() - timedelta(hours=1))
    )
    session.commit()
    transport = httpx.ASGITransport(app=Starlette(routes=routes()))
    client = httpx.AsyncClient(transport=transport, base_url="http://relais.test")
    url = f"/satisfaction/{tokens.make(event.id, person_id)}"
    page = await client.get(url + "?note=4")
    assert page.status_code == 200 and 'value="4" required checked' in page.text
    assert session.exec(select(SatisfactionAnswer)).all() == []
    session.rollback()  # release SQLite's write lock before the app writes
    missing = await client.post(url, data={"commentaire": "sans note"})
    assert missing.status_code == 400 and "entier de 1 à 5" in missing.text
    assert "sans note" in missing.text
    done = await client.post(url, data={"note": "4", "commentaire": "Bon rythme"})
    assert done.status_code == 200 and "Merci" in done.text
    session.expire_all()
    row = session.exec(select(SatisfactionAnswer)).one()
    assert (row.rating, row.comment, row.channel) == (4, "Bon rythme", "web")
    session.rollback()
    again = await client.get(url)
    assert "déjà répondu" in again.text and "Bon rythme" in again.text
    forged = await client.get(f"/satisfaction/{event.id}.{person_id}.AAAA")
    assert forged.status_code == 400 and "pas valide" in forged.text


def test_follow_up_mail_links_are_accepted(session: Session) -> None:
    from mailer.reminders import survey_token

    event, person_id = _past_session_with(session, AttendanceStatus.PRESENT)
    registration = session.exec(
        select(Registration).where(Registration.person_id == person_id)
    ).one()
    assert registration.id
    token = survey_token(registration.id)
    assert tokens.resolve(session, token) == (event.id, person_id)
    with pytest.raises(InvalidInput):
        tokens.resolve(session, f"{registration.id}.{'0' * 24}")


async def test_survey_page_is_served_by_the_relais_web_app(session: Session) -> None:
    from relais.web.app import create_app

    event, person_id = _past_session_with(session, AttendanceStatus.PRESENT)
    assert event.id
    session.rollback()
    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://relais.test") as client:
        page = await client.get(f"/satisfaction/{tokens.make(event.id, person_id)}")
    assert page.status_code == 200
    assert f"Votre avis sur « {event.title} »" in page.text
