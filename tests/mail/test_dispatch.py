"""Delivery outcomes against a real SMTP server: accepted, retried, failed, bad address."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from mailer import kinds
from mailer.delivery import Prepared, refused
from mailer.dispatch import Dispatcher
from mailer.models import OutboxMessage, OutboxState
from mailer.outbox import enqueue, on_hard_bounce
from relais.people.models import Person
from relais.settings import get_settings
from relais.timefmt import utcnow
from relais.workers import register
from tests.factories import make_event, make_person
from tests.mail.conftest import SmtpRecorder, free_port


async def dispatch() -> int:
    dispatcher = Dispatcher(get_settings())
    try:
        return await dispatcher.run_once()
    finally:
        await dispatcher.close()


def queue(session: Session, address: str, key: str = "k") -> OutboxMessage:
    event = make_event(session)
    person = make_person(session, email=address)
    row = enqueue(session, kind=kinds.REGISTERED, to=address, idempotency_key=key,
                  person_id=person.id, payload={"event_id": event.id})  # fmt: skip
    assert row is not None
    session.commit()
    return row


def reload(session: Session, row: OutboxMessage) -> OutboxMessage:
    session.expire_all()
    fresh = session.get(OutboxMessage, row.id)
    assert fresh is not None
    session.commit()
    return fresh


async def test_temporary_refusal_is_retried_later(
    session: Session, smtp_server: SmtpRecorder
) -> None:
    smtp_server.replies["plein@exemple.fr"] = "452 4.2.2 Mailbox full"
    row = queue(session, "plein@exemple.fr")
    assert await dispatch() == 0
    row = reload(session, row)
    assert row.state == OutboxState.PENDING and row.attempts == 1
    assert row.last_reply == "452 4.2.2 Mailbox full"
    assert row.next_attempt_at >= utcnow() + timedelta(seconds=50)


async def test_temporary_refusal_past_the_retry_limit_fails(
    session: Session, smtp_server: SmtpRecorder
) -> None:
    smtp_server.replies["plein@exemple.fr"] = "451 4.3.0 Try later"
    row = queue(session, "plein@exemple.fr")
    row.due_at = utcnow() - timedelta(hours=48)
    session.add(row)
    session.commit()
    await dispatch()
    assert reload(session, row).state == OutboxState.FAILED


async def test_unknown_address_fails_at_once_and_marks_the_person(
    session: Session, smtp_server: SmtpRecorder
) -> None:
    bounced: list[str] = []
    on_hard_bounce(lambda _session, address: bounced.append(address))
    smtp_server.replies["inconnu@exemple.fr"] = "550 5.1.1 User unknown"
    row = queue(session, "inconnu@exemple.fr")
    await dispatch()
    row = reload(session, row)
    assert row.state == OutboxState.FAILED and row.last_reply == "550 5.1.1 User unknown"
    person = session.exec(select(Person).where(Person.email == "inconnu@exemple.fr")).one()
    assert person.email_invalid is True
    assert "inconnu@exemple.fr" in bounced


async def test_policy_refusal_fails_without_blaming_the_address(
    session: Session, smtp_server: SmtpRecorder
) -> None:
    smtp_server.replies["filtre@exemple.fr"] = "550 5.7.1 Message refused by policy"
    row = queue(session, "filtre@exemple.fr")
    await dispatch()
    assert reload(session, row).state == OutboxState.FAILED
    person = session.exec(select(Person).where(Person.email == "filtre@exemple.fr")).one()
    assert person.email_invalid is False


def test_partial_refusals_are_classified_per_recipient() -> None:
    prepared = Prepared(1, "relais@exemple.fr", "x@exemple.fr", b"")
    assert refused(prepared, 450, "4.2.1 Try again").retry
    hard = refused(prepared, 553, "5.1.3 Bad address syntax")
    assert not hard.retry and hard.bad_address
    policy = refused(prepared, 554, "5.7.0 Rejected")
    assert not policy.retry and not policy.bad_address
    plain = refused(prepared, 550, "No such user")
    assert not plain.retry and not plain.bad_address


async def test_server_down_then_back_loses_nothing(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(free_port()))
    monkeypatch.setenv("MAIL_RETRY_FIRST_DELAY", "0.01")
    monkeypatch.setenv("MAIL_RATE_PER_SECOND", "0")
    get_settings.cache_clear()
    rows = [queue(session, f"p{n}@exemple.fr", key=f"k{n}") for n in range(5)]
    assert await dispatch() == 0
    states = {reload(session, row).state for row in rows}
    assert states == {OutboxState.PENDING}

    from aiosmtpd.controller import Controller

    recorder = SmtpRecorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=get_settings().smtp_port)
    controller.start()
    try:
        await asyncio.sleep(0.05)  # the retry delay (0.01 s) has passed
        assert await dispatch() == 5
    finally:
        controller.stop()
    assert sorted(m["To"] for m in recorder.messages) == [f"p{n}@exemple.fr" for n in range(5)]
    assert {reload(session, row).state for row in rows} == {OutboxState.SENT}


async def test_hourly_limit_holds_the_rest(
    session: Session, smtp_server: SmtpRecorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAIL_RATE_PER_HOUR", "2")
    get_settings.cache_clear()
    for n in range(3):
        queue(session, f"h{n}@exemple.fr", key=f"h{n}")
    assert await dispatch() == 2
    assert await dispatch() == 0
    assert len(smtp_server.messages) == 2


async def test_row_left_sending_by_a_dead_sender_is_taken_again_at_once(
    session: Session, smtp_server: SmtpRecorder
) -> None:
    gone = register(session.get_bind())  # type: ignore[arg-type]
    row = queue(session, "repris@exemple.fr")
    row.state, row.claimed_by = OutboxState.SENDING, gone.id
    session.add(row)
    session.commit()
    gone.close()  # as when its process dies: the database or the kernel drops the lock
    assert await dispatch() == 1
    assert reload(session, row).state == OutboxState.SENT


async def test_row_claimed_by_a_live_sender_is_left_alone_however_long(
    session: Session, smtp_server: SmtpRecorder
) -> None:
    alive = register(session.get_bind())  # type: ignore[arg-type]
    try:
        row = queue(session, "occupe@exemple.fr")
        row.state, row.claimed_by = OutboxState.SENDING, alive.id
        row.next_attempt_at = utcnow() - timedelta(days=2)
        session.add(row)
        session.commit()
        assert await dispatch() == 0
        assert smtp_server.messages == []
        assert reload(session, row).claimed_by == alive.id
    finally:
        alive.close()


async def test_row_of_a_legacy_lease_without_claimer_is_taken_again(
    session: Session, smtp_server: SmtpRecorder
) -> None:
    row = queue(session, "ancien@exemple.fr")
    row.state = OutboxState.SENDING
    session.add(row)
    session.commit()
    assert await dispatch() == 1


async def test_authenticates_with_the_configured_account(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    logins: list[tuple[bytes, bytes]] = []

    def authenticator(
        server: object, sess: object, env: object, mechanism: str, data: object
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        logins.append((data.login, data.password))
        return AuthResult(success=data.password == b"s3cret")

    recorder = SmtpRecorder()
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port,
                            authenticator=authenticator, auth_require_tls=False)  # fmt: skip
    controller.start()
    for name, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port),
                        "SMTP_USERNAME": "relais", "SMTP_PASSWORD": "s3cret",
                        "MAIL_RATE_PER_SECOND": "0"}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        queue(session, "auth@exemple.fr")
        assert await dispatch() == 1
    finally:
        controller.stop()
    assert logins == [(b"relais", b"s3cret")]
    assert len(recorder.messages) == 1


async def test_a_row_that_cannot_be_rendered_fails_alone(
    session: Session, smtp_server: SmtpRecorder
) -> None:
    good = queue(session, "bon@exemple.fr", key="good")
    broken = enqueue(session, kind="kind-nobody-registered", to="x@exemple.fr",
                     idempotency_key="broken")  # fmt: skip
    assert broken is not None
    session.commit()
    assert await dispatch() == 1
    assert reload(session, good).state == OutboxState.SENT
    failed = reload(session, broken)
    assert failed.state == OutboxState.FAILED
    assert failed.last_reply == "mise en forme impossible : KeyError"
