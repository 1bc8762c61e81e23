"""The reader against a real Dovecot: the whole corpus in one folder, each message
acted on once, moved to the processed folder (never deleted), the rest left to read."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from sqlmodel import Session, select

from mailer.inbox.imap import ImapMailbox
from mailer.inbox.models import InboxMessage
from mailer.outbox import enqueue
from relais.bounces.models import AddressBounce
from relais.events.ical import event_uid
from relais.newsletter import services as newsletter
from relais.newsletter.models import SubscriberStatus
from relais.people.models import Person
from relais.registrations import services as registrations
from relais.registrations.models import CalendarAnswer, Registration, RegistrationStatus
from tests.factories import make_event, make_person
from tests.inbox.conftest import corpus, read_mailbox
from tests.inbox.dovecot import Dovecot

BOUNCE_TO = "relais@crpv.example"


def outcomes(session: Session) -> dict[str, tuple[str, str]]:
    rows = session.exec(select(InboxMessage)).all()
    return {row.message_key: (row.kind, row.outcome) for row in rows}


def status(session: Session, registration_id: int) -> RegistrationStatus:
    session.expire_all()
    registration = session.get(Registration, registration_id)
    assert registration is not None
    return registration.status


def registered(session: Session, event_id: int, email: str) -> int:
    person = make_person(session, email=email)
    assert person.id is not None
    outcome = registrations.register(session, event_id, person.id, source="test")
    session.commit()
    assert outcome.registration.id is not None
    return outcome.registration.id


def reply(name: str, uid: str, attendee: str, sequence: int = 0, **extra: object) -> bytes:
    domain = attendee.rpartition("@")[2]
    return corpus(name, uid=uid, attendee=attendee, domain=domain, sequence=sequence, **extra)


def test_whole_corpus_once(session: Session, dovecot: Dovecot, folder: str) -> None:
    event = make_event(session, capacity=5)
    assert event.id is not None
    uid = event_uid(event)
    claire = registered(session, event.id, "claire@ville-exemple.fr")
    karim = registered(session, event.id, "karim@metropole-exemple.fr")
    sophie = registered(session, event.id, "sophie@icloud-exemple.com")
    lea = registered(session, event.id, "lea@orange-exemple.fr")
    victime = registered(session, event.id, "victime@ville-exemple.fr")
    waiting = registered(session, event.id, "attente@ville-exemple.fr")
    assert status(session, waiting) == RegistrationStatus.WAITLISTED
    for address in (
        "inconnu@ville-exemple.fr",
        "pleine@asso-exemple.org",
        "bloque@gmail-exemple.com",
    ):
        enqueue(session, kind="registered", to=address, idempotency_key=f"test:{address}")
    subscriber = newsletter.request(
        session, email="marc@laposte-exemple.fr", channel="test", source="test"
    )
    newsletter.activate(session, subscriber, channel="test", source="test")
    session.commit()

    messages = [
        reply("reply_outlook.eml", uid, "claire@ville-exemple.fr"),
        reply("reply_gmail.eml", uid, "karim@metropole-exemple.fr"),
        reply("reply_apple.eml", uid, "sophie@icloud-exemple.com"),
        reply("reply_thunderbird.eml", uid, "lea@orange-exemple.fr"),
        reply("reply_forged.eml", uid, "victime@ville-exemple.fr"),
        reply("reply_attendee_not_sender.eml", uid, "victime@ville-exemple.fr",
              sender="secretariat@ville-exemple.fr"),
        reply("calendar_unparsable.eml", uid, "victime@ville-exemple.fr"),
        corpus("dsn_postfix.eml", address="inconnu@ville-exemple.fr", bounce_to=BOUNCE_TO),
        corpus("dsn_exim.eml", address="pleine@asso-exemple.org", bounce_to=BOUNCE_TO),
        corpus("dsn_exchange.eml", address="jamais-ecrit@departement-exemple.fr", bounce_to=BOUNCE_TO),
        corpus("dsn_gmail.eml", address="bloque@gmail-exemple.com", bounce_to=BOUNCE_TO),
        corpus("dsn_delayed.eml", address="pleine@asso-exemple.org", bounce_to=BOUNCE_TO),
        corpus("dsn_no_recipient.eml", bounce_to=BOUNCE_TO),
        corpus("bounce_of_bounce.eml", address="inconnu@ville-exemple.fr", bounce_to=BOUNCE_TO),
        corpus("auto_reply_fr.eml", address="julie@mairie-exemple.fr"),
        corpus("auto_reply_en.eml", address="tom@asso-exemple.org"),
        corpus("unsubscribe.eml", address="marc@laposte-exemple.fr"),
        corpus("human.eml", address="nadia@mairie-exemple.fr"),
        corpus("malformed.eml", address="x@exemple.org"),
    ]  # fmt: skip
    dovecot.append(folder, *messages)

    first = read_mailbox()
    assert first.read == len(messages)

    found = outcomes(session)
    assert sorted(found.values()) == sorted([
        ("calendar_reply", "done"), ("calendar_reply", "done"), ("calendar_reply", "done"),
        ("calendar_reply", "done"), ("calendar_reply", "to_confirm"),
        ("calendar_reply", "rejected"), ("calendar_reply", "rejected"),
        ("bounce", "done"), ("bounce", "done"), ("bounce", "ignored"), ("bounce", "done"),
        ("bounce", "ignored"), ("bounce", "rejected"), ("loop", "ignored"),
        ("auto_reply", "ignored"), ("auto_reply", "ignored"), ("unsubscribe", "done"),
        ("human", "human"), ("invalid", "rejected"),
    ])  # fmt: skip

    # Calendar answers: two refusals cancel, the first waiting person gets a seat.
    assert status(session, claire) == RegistrationStatus.CANCELLED
    assert status(session, karim) == RegistrationStatus.CANCELLED
    assert status(session, sophie) == RegistrationStatus.CONFIRMED
    assert status(session, lea) == RegistrationStatus.CONFIRMED
    assert status(session, victime) == RegistrationStatus.CONFIRMED  # forged: not acted on
    assert status(session, waiting) == RegistrationStatus.CONFIRMED
    answers = {a.partstat: a for a in session.exec(select(CalendarAnswer)).all() if a.verified}
    assert set(answers) == {"DECLINED", "ACCEPTED", "TENTATIVE"}
    forged = session.exec(select(CalendarAnswer).where(CalendarAnswer.verified == False)).one()  # noqa: E712
    assert forged.registration_id == victime and not forged.applied

    # Bounces: 5.1.x invalid at once; 5.2.2 and 5.7.26 soft; never-mailed address ignored.
    bounces = {b.address: b for b in session.exec(select(AddressBounce)).all()}
    assert set(bounces) == {"inconnu@ville-exemple.fr", "pleine@asso-exemple.org",
                            "bloque@gmail-exemple.com"}  # fmt: skip
    assert bounces["inconnu@ville-exemple.fr"].severity == "hard"
    assert bounces["pleine@asso-exemple.org"].severity == "soft"
    assert "Mailbox full" in bounces["pleine@asso-exemple.org"].diagnostic
    person = session.exec(select(Person).where(Person.email == "inconnu@ville-exemple.fr")).first()
    assert person is None  # only an outbox row: the address itself is what is recorded

    # Unsubscribed by e-mail, with the same record as the link.
    session.expire_all()
    assert newsletter.by_email(session, "marc@laposte-exemple.fr").status == (  # type: ignore[union-attr]
        SubscriberStatus.UNSUBSCRIBED
    )

    # Moved, never deleted: what is left is what a person should read.
    left = 5  # forged-sender reply, broken calendar, DSN without recipient, human, malformed
    assert dovecot.count(folder) == left
    assert dovecot.count(f"{folder}-traites") == len(messages) - left

    session.rollback()  # SQLite: the test's reads must not hold the write lock
    second = read_mailbox()
    assert (second.read, second.acted, second.moved) == (0, 0, 0)
    assert len(outcomes(session)) == len(messages)


def test_hard_bounce_invalidates_person_and_subscription(
    session: Session, dovecot: Dovecot, folder: str
) -> None:
    person = make_person(session, email="parti@ville-exemple.fr")
    subscriber = newsletter.request(session, email=person.email or "", channel="t", source="t")
    newsletter.activate(session, subscriber, channel="test", source="test")
    enqueue(session, kind="registered", to="parti@ville-exemple.fr", idempotency_key="k1")
    session.commit()
    dovecot.append(
        folder, corpus("dsn_exchange.eml", address="parti@ville-exemple.fr", bounce_to=BOUNCE_TO)
    )
    read_mailbox()
    session.expire_all()
    assert session.get(Person, person.id).email_invalid  # type: ignore[union-attr]
    assert newsletter.by_email(session, "parti@ville-exemple.fr").status == (  # type: ignore[union-attr]
        SubscriberStatus.BOUNCED
    )


def test_three_soft_bounces_suspend(session: Session, dovecot: Dovecot, folder: str) -> None:
    person = make_person(session, email="pleine@asso-exemple.org")
    enqueue(session, kind="registered", to="pleine@asso-exemple.org", idempotency_key="k2")
    session.commit()
    for number in range(3):
        raw = corpus("dsn_exim.eml", address="pleine@asso-exemple.org", bounce_to=BOUNCE_TO)
        dovecot.append(folder, raw.replace(b"E1tuQ9Z-0003Kd-2p@", f"soft{number}@".encode()))
        read_mailbox()
        session.expire_all()
        assert session.get(Person, person.id).email_invalid == (number == 2)  # type: ignore[union-attr]
        session.rollback()
    rows = session.exec(select(AddressBounce)).all()
    assert [row.suspended for row in rows] == [False, False, True]


def test_verp_names_the_message_when_the_dsn_does_not(
    session: Session, dovecot: Dovecot, folder: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mailer import verp
    from relais.settings import get_settings

    monkeypatch.setenv("MAIL_BOUNCE_ADDRESS", "rebonds@crpv.example")
    monkeypatch.setenv("MAIL_BOUNCE_VERP", "true")
    get_settings.cache_clear()
    row = enqueue(session, kind="registered", to="vieux@ville-exemple.fr", idempotency_key="k3")
    session.commit()
    assert row is not None and row.id is not None
    tagged = verp.envelope_sender(get_settings(), row.id)
    dovecot.append(folder, corpus("dsn_no_recipient.eml", bounce_to=tagged))
    read_mailbox()
    bounce = session.exec(select(AddressBounce)).one()
    assert bounce.address == "vieux@ville-exemple.fr"


def test_stale_and_unknown_replies_are_ignored(
    session: Session, dovecot: Dovecot, folder: str
) -> None:
    event = make_event(session)
    assert event.id is not None
    claire = registered(session, event.id, "claire@ville-exemple.fr")
    event.sequence = 3
    session.add(event)
    session.commit()
    dovecot.append(
        folder,
        reply("reply_outlook.eml", event_uid(event), "claire@ville-exemple.fr", sequence=2),
        reply("reply_gmail.eml", "event-999-NOPE@relais.crpv.example", "claire@ville-exemple.fr"),
    )
    read_mailbox()
    assert status(session, claire) == RegistrationStatus.CONFIRMED
    reasons = " | ".join(row.reason for row in session.exec(select(InboxMessage)).all())
    assert "ancienne version" in reasons and "invitation inconnue" in reasons


def test_big_message_is_not_downloaded_and_left_to_read(
    session: Session, dovecot: Dovecot, folder: str
) -> None:
    mail = EmailMessage()
    mail["From"] = "nadia@mairie-exemple.fr"
    mail["To"] = "relais@crpv.example"
    mail["Subject"] = "Compte rendu avec photos"
    mail["Message-ID"] = "<big-attachment-1@mairie-exemple.fr>"
    mail.set_content("Voici les photos de la rencontre.")
    mail.add_attachment(b"\x89PNG" + bytes(30_000_000), maintype="image", subtype="png",
                        filename="photos.png")  # fmt: skip
    dovecot.append(folder, mail.as_bytes())
    result = read_mailbox()
    assert result.read == 1
    row = session.exec(select(InboxMessage)).one()
    assert (row.outcome, row.subject) == ("human", "Compte rendu avec photos")
    assert "trop volumineux" in row.reason
    assert dovecot.count(folder) == 1


def test_human_folder_and_crash_between_commit_and_move(
    session: Session, dovecot: Dovecot, folder: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The move fails after the commit (a crash there): the next pass only moves."""
    dovecot.append(
        folder,
        corpus("auto_reply_en.eml", address="tom@asso-exemple.org"),
        corpus("human.eml", address="nadia@mairie-exemple.fr"),
    )
    original = ImapMailbox.move

    def crash(self: ImapMailbox, uids: list[int], target: str) -> None:
        raise OSError("connexion coupée")

    monkeypatch.setattr(ImapMailbox, "move", crash)
    with pytest.raises(OSError):
        read_mailbox(imap_human_folder=f"{folder}-humains")
    assert len(outcomes(session)) == 2 and dovecot.count(folder) == 2
    session.rollback()
    monkeypatch.setattr(ImapMailbox, "move", original)
    again = read_mailbox(imap_human_folder=f"{folder}-humains")
    assert (again.read, again.moved) == (0, 2)
    assert len(outcomes(session)) == 2
    assert dovecot.count(folder) == 0
    assert dovecot.count(f"{folder}-traites") == 1
    assert dovecot.count(f"{folder}-humains") == 1


async def test_component_wakes_on_new_mail_while_idle(
    session: Session, dovecot: Dovecot, folder: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a poll interval far longer than the wait below, only IDLE can bring the mail in."""
    import asyncio

    from mailer.inbox.plugin import component
    from relais.settings import get_settings

    monkeypatch.setenv("IMAP_POLL_SECONDS", "300")
    get_settings.cache_clear()
    reader = component(get_settings())
    assert reader is not None
    await reader.start()
    try:
        await asyncio.sleep(1)  # connected, first pass done, now idling
        dovecot.append(folder, corpus("auto_reply_en.eml", address="tom@asso-exemple.org"))
        for _ in range(200):
            if dovecot.count(f"{folder}-traites") == 1:
                break
            await asyncio.sleep(0.1)
    finally:
        await reader.stop()
    assert dovecot.count(f"{folder}-traites") == 1
    assert outcomes(session) == {
        "mid:<ooo-20250320120038-4411@mail.association-exemple.org>": ("auto_reply", "ignored")
    }


def test_no_reader_without_imap_host() -> None:
    from mailer.inbox.plugin import component
    from relais.settings import load_settings

    assert component(load_settings(imap_host="")) is None
    assert component(load_settings(imap_host="imap.crpv.example")) is not None


@pytest.mark.parametrize("without", [{"MOVE"}, {"MOVE", "UIDPLUS"}])
def test_servers_without_move_copy_then_expunge(
    session: Session, dovecot: Dovecot, folder: str, without: set[str]
) -> None:
    """COPY, then \\Deleted and (UID) EXPUNGE: the message is in the processed folder once."""
    from mailer.inbox.process import InboxReader
    from relais.settings import get_settings

    dovecot.append(
        folder,
        corpus("auto_reply_en.eml", address="tom@asso-exemple.org"),
        corpus("auto_reply_fr.eml", address="julie@mairie-exemple.fr"),
        corpus("human.eml", address="nadia@mairie-exemple.fr"),
    )
    mailbox = ImapMailbox(get_settings())
    mailbox.connect()
    mailbox.capabilities -= without
    try:
        result = InboxReader(get_settings()).run_pass(mailbox)
    finally:
        mailbox.close()
    assert (result.read, result.moved) == (3, 2)
    assert dovecot.count(folder) == 1
    assert dovecot.count(f"{folder}-traites") == 2
