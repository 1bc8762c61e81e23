"""Presence in the bot, over python-telegram-bot's real HTTP stack and the Bot API stand-in."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot.application import BotComponent
from relais.attendance import services as attendance
from relais.attendance.models import Attendance, AttendanceMethod, AttendanceStatus
from relais.audit import AuditEntry
from relais.events.models import Event
from relais.people.models import Person
from relais.registrations.models import Registration
from relais.satisfaction.models import SatisfactionAnswer
from relais.settings import get_settings
from relais.timefmt import utcnow
from tests.bot.helpers import assert_golden, known_user, sign_up
from tests.botapi import BotAPI
from tests.factories import make_event

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def _now_session(session: Session, title: str = "Rencontre des médiateurs") -> Event:
    """A session that started ten minutes ago: check-in is open."""
    event = make_event(session, title=title, starts_at=utcnow() - timedelta(minutes=10))
    session.commit()  # no transaction left open: SQLite would hold the bot's writes
    return event


async def test_known_person_checks_in_with_one_tap_once(
    api: BotAPI, bot: BotComponent, session: Session
) -> None:
    dominique, person = known_user(api, session)
    event = _now_session(session)
    await dominique.send(f"/start p_{event.code}")
    done = await dominique.expect("Présence enregistrée")
    assert_golden("presence_checkin_walk_in", done.html)
    await dominique.send(f"/start p_{event.code}")
    again = await dominique.expect("déjà enregistrée")
    assert_golden("presence_checkin_again", again.html)
    session.rollback()
    rows = session.exec(select(Attendance)).all()
    assert [(r.person_id, r.status, r.method) for r in rows] == [
        (person.id, AttendanceStatus.PRESENT, AttendanceMethod.SELF_CHECKIN)
    ]
    registration = session.exec(select(Registration)).one()
    assert registration.source == "checkin"


async def test_newcomer_gives_profile_then_is_checked_in(
    api: BotAPI, bot: BotComponent, session: Session
) -> None:
    event = _now_session(session, "Atelier participation citoyenne")
    camille = api.user("Camille")
    await camille.send(f"/start p_{event.code}")
    await camille.expect("quelques questions d'abord")
    await sign_up(camille)
    done = await camille.expect("Présence enregistrée")
    assert "inscrit·e sur place" in done.text and "Atelier participation citoyenne" in done.text
    person = session.exec(select(Person).where(Person.telegram_id == camille.id)).one()
    assert person.id is not None
    assert (
        attendance.for_event(session, event.id or 0)[person.id].status == AttendanceStatus.PRESENT
    )


async def test_check_in_outside_the_day_is_refused(
    api: BotAPI, bot: BotComponent, session: Session
) -> None:
    dominique, _person = known_user(api, session)
    tomorrow = make_event(session, starts_at=utcnow() + timedelta(days=1, hours=3))
    session.commit()
    await dominique.send(f"/start p_{tomorrow.code}")
    refused = await dominique.expect("L'émargement")
    assert "ouvre le" in refused.text
    await dominique.send("/start p_zzzzzz")
    await dominique.expect("Aucun événement avec le code")
    assert session.exec(select(Attendance)).all() == []


async def test_survey_rating_then_comment_then_update(
    api: BotAPI, bot: BotComponent, session: Session
) -> None:
    dominique, person = known_user(api, session)
    event = make_event(session, title="Webinaire santé", starts_at=utcnow() - timedelta(hours=3))
    assert event.id and person.id
    attendance.mark(session, event.id, [person.id], AttendanceStatus.PRESENT, "cli")
    session.commit()
    await dominique.send(f"/start s_{event.code}")
    question = await dominique.expect("Votre avis")
    assert question.message.button_texts() == ["1", "2", "3", "4", "5"]
    session.commit()
    assert_golden("presence_survey_question", question.html)
    await dominique.tap("4")
    await dominique.expect("Note enregistrée : 4 / 5")
    await dominique.expect("Un commentaire ?")
    await dominique.send("Très bien organisé, merci !")
    await dominique.expect("commentaire est enregistré")
    await dominique.send(f"/start s_{event.code}")
    again = await dominique.expect("Votre note actuelle : 4")
    await dominique.tap("5", on=again.message)
    await dominique.expect("Note enregistrée : 5 / 5")
    await dominique.tap("Passer")
    await dominique.expect("Merci pour votre réponse")
    session.expire_all()
    answer = session.exec(select(SatisfactionAnswer)).one()
    assert (answer.rating, answer.comment, answer.channel) == (
        5, "Très bien organisé, merci !", "telegram",
    )  # fmt: skip


async def test_survey_refused_before_the_session(
    api: BotAPI, bot: BotComponent, session: Session
) -> None:
    dominique, _person = known_user(api, session)
    later = make_event(session, title="Journée régionale", starts_at=utcnow() + timedelta(days=3))
    session.commit()
    await dominique.send(f"/start s_{later.code}")
    await dominique.expect("ouvre au début de la séance")
    stranger = api.user("Inconnu")
    await stranger.send(f"/start s_{later.code}")
    await stranger.expect("Je ne vous connais pas encore")


async def test_coordinator_toggles_attendance(
    api: BotAPI, bot: BotComponent, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    coordinator, _me = known_user(api, session, first_name="Nadia")
    participant, person = known_user(api, session, first_name="Dominique")
    monkeypatch.setenv("ADMIN_TELEGRAM_IDS", str(coordinator.id))
    get_settings.cache_clear()
    event = make_event(session, title="Réseau PRE 91", starts_at=utcnow() - timedelta(hours=1))
    assert event.id and person.id
    attendance.mark(session, event.id, [person.id], AttendanceStatus.PRESENT, "cli")
    attendance.mark(session, event.id, [person.id], AttendanceStatus.ABSENT, "cli")
    session.commit()
    session.commit()
    await participant.send("/presences")
    await participant.expect("Commande réservée aux coordinateurs")
    await coordinator.send("/presences")
    menu = await coordinator.expect("Choisissez la séance")
    await coordinator.tap(next(b for b in menu.message.button_texts() if "Réseau PRE 91" in b))
    listing = await coordinator.expect("1 inscrit·e(s)")
    assert "❌ DURAND Dominique" in listing.message.button_texts()
    await coordinator.tap("❌ DURAND Dominique")
    toggled = await coordinator.expect("1 excusé·e(s)")
    assert "🟡 DURAND Dominique" in toggled.message.button_texts()
    session.expire_all()
    row = session.exec(select(Attendance)).one()
    assert (row.status, row.method, row.recorded_by) == (
        AttendanceStatus.EXCUSED, AttendanceMethod.COORDINATOR, f"telegram:{coordinator.id}",
    )  # fmt: skip
    audit = session.exec(
        select(AuditEntry).where(AuditEntry.actor == f"telegram:{coordinator.id}")
    ).all()
    assert len(audit) == 1


async def test_survey_prompt_after_the_session_once_per_person(
    api: BotAPI, bot: BotComponent, session: Session
) -> None:
    from bot.outbox import wake
    from bot.presence import queue_survey_prompts

    came, came_person = known_user(api, session, first_name="Dominique")
    absent, absent_person = known_user(api, session, first_name="Sacha")
    answered, answered_person = known_user(api, session, first_name="Nadia")
    event = make_event(session, title="Atelier GUSP", starts_at=utcnow() - timedelta(hours=3))
    assert event.id and came_person.id and absent_person.id and answered_person.id
    attendance.mark(
        session,
        event.id,
        [came_person.id, absent_person.id, answered_person.id],
        AttendanceStatus.PRESENT,
        "cli",
    )
    attendance.mark(session, event.id, [absent_person.id], AttendanceStatus.ABSENT, "cli")
    from relais.satisfaction import services as satisfaction

    satisfaction.answer(session, event.id, answered_person.id, 5, channel="web")
    session.commit()
    assert queue_survey_prompts() == 1
    assert queue_survey_prompts() == 0
    wake()
    prompt = await came.expect("Atelier GUSP")
    assert_golden("presence_survey_prompt", prompt.html)
    assert prompt.message.button_texts() == ["1", "2", "3", "4", "5"]
    await came.tap("3")
    await came.expect("Note enregistrée : 3 / 5")
    assert api.calls_to("sendMessage", chat_id=absent.id) == []
    assert api.calls_to("sendMessage", chat_id=answered.id) == []
    session.expire_all()
    ratings = {a.person_id: a.rating for a in session.exec(select(SatisfactionAnswer))}
    assert ratings == {came_person.id: 3, answered_person.id: 5}


async def test_network_coordinator_sees_only_their_sessions(
    api: BotAPI, bot: BotComponent, session: Session
) -> None:
    from relais.networks import services as networks
    from relais.roles import services as roles
    from relais.roles.models import Role

    coordinator, _me = known_user(api, session, first_name="Nadia")
    networks.create(session, "Réseau des référents PRE – 91", "test", code="pre-91")
    networks.create(session, "Réseau des médiateurs – 94", "test", code="med-94")
    roles.grant(session, coordinator.id, Role.COORDINATOR, "test", ["pre-91"])
    mine = make_event(session, title="Réseau PRE", starts_at=utcnow() - timedelta(hours=1),
                      networks=["pre-91"])  # fmt: skip
    other = make_event(session, title="Réseau médiateurs", starts_at=utcnow() - timedelta(hours=2),
                       networks=["med-94"])  # fmt: skip
    session.commit()
    await coordinator.send("/presences")
    menu = await coordinator.expect("Choisissez la séance")
    labels = menu.message.button_texts()
    assert any("Réseau PRE" in b for b in labels)
    assert not any("médiateurs" in b for b in labels)
    await coordinator.send(f"/presences {other.code}")
    await coordinator.expect("Commande réservée aux coordinateurs")
    await coordinator.send(f"/presences {mine.code}")
    await coordinator.expect("0 inscrit·e(s)")
    await coordinator.send("/aujourdhui")
    today = await coordinator.expect("Aujourd'hui")
    await coordinator.tap("📋 Présences", on=today.message)
    listing = await coordinator.expect("Touchez un nom")
    assert "Réseau PRE" in listing.text
    denied = session.exec(select(AuditEntry).where(AuditEntry.action == "admin.denied")).all()
    assert len(denied) == 1
