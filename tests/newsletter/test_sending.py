"""Sending an issue through the outbox to a real SMTP server (aiosmtpd on loopback)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from sqlmodel import Session, select
from typer.testing import CliRunner

from mailer import newsletter
from mailer.dispatch import Dispatcher
from mailer.models import OutboxMessage
from relais.cli.main import app
from relais.newsletter import archive, issues, services, tokens
from relais.newsletter.models import Issue, Subscriber, SubscriberStatus
from relais.settings import get_settings
from relais.timefmt import utcnow
from tests.mail.conftest import SmtpRecorder, part_of
from tests.newsletter.conftest import DATA, add_subscribers, assert_golden

LETTER = str(DATA / "lettre-42.md")


def _dispatch() -> int:
    async def run() -> int:
        dispatcher = Dispatcher(get_settings())
        try:
            return await dispatcher.run_once()
        finally:
            await dispatcher.close()

    return asyncio.run(run())


def _freeze_and_queue(session: Session, send_at: object = None) -> Issue:
    source = issues.parse(Path(LETTER).read_text(encoding="utf-8"))
    issue = archive.freeze(session, source, issues.render(session, source), send_at or utcnow())  # type: ignore[arg-type]
    session.commit()
    assert issue.id is not None
    newsletter.queue_all(issue.id)
    return issue


def _all(session: Session, query: Any) -> list[Any]:
    """Read in a short session of its own, so no SQLite lock outlives the read."""
    with Session(session.get_bind()) as fresh:
        return list(fresh.exec(query).all())


def _to(message: EmailMessage) -> str:
    return str(message["To"])


def test_send_reaches_every_active_subscriber_once_with_list_headers(
    smtp: SmtpRecorder, cli: CliRunner, session: Session
) -> None:
    ids = add_subscribers(session, 5)
    add_subscribers(session, 1, "unsubscribed", start=50)
    add_subscribers(session, 1, "pending", start=60)
    result = cli.invoke(app, ["newsletter", "send", LETTER, "--yes"])
    assert result.exit_code == 0, result.output
    assert "Terminé : 5 envoyé(s), 0 en échec, 0 adresse(s) en erreur, 0 ignoré(s)" in result.output
    assert sorted(_to(m) for m in smtp.messages) == [f"abonne{n}@exemple.fr" for n in range(1, 6)]

    message = next(m for m in smtp.messages if _to(m) == "abonne3@exemple.fr")
    url = f"https://relais.crpv.example/desabonnement/{tokens.make('unsubscribe', ids[2], 'abonne3@exemple.fr')}"
    assert " ".join(str(message["List-Unsubscribe"]).split()) == (
        f"<{url}>, <mailto:desabonnement@crpv.example?subject=d%C3%A9sabonnement>"
    )
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["List-Id"] == "Ressources Info <ressources-info.relais.crpv.example>"
    assert message["Precedence"] == "bulk"
    assert message["Auto-Submitted"] is None
    assert message["Subject"] == "Ressources Info n° 42 – Les Cités éducatives, trois ans après"
    assert message["Message-ID"] and message["Date"]
    html = part_of(message, "text/html").get_content()
    text = part_of(message, "text/plain").get_content()
    assert url in html and url in text
    assert "https://relais.crpv.example/lettre/42" in html
    other = next(m for m in smtp.messages if _to(m) == "abonne1@exemple.fr")
    other_url = f"https://relais.crpv.example/desabonnement/{tokens.make('unsubscribe', ids[0], 'abonne1@exemple.fr')}"
    other_html = part_of(other, "text/html").get_content()
    # No open or click tracking: two readers' copies differ only by their unsubscribe link.
    assert html.replace(url, "LINK") == other_html.replace(other_url, "LINK")

    with Session(session.get_bind()) as fresh:
        issue = fresh.exec(select(Issue)).one()
        assert (issue.status, issue.recipients, issue.queue_complete) == ("sent", 5, True)
    again = cli.invoke(app, ["newsletter", "send", LETTER, "--yes"])
    assert again.exit_code == 1 and "déjà été envoyée" in again.output
    status = cli.invoke(app, ["newsletter", "status", "42"])
    assert "envoyée" in status.output and "envoyés (acceptés par le serveur) : 5" in status.output


def test_hard_bounce_marks_the_subscriber_and_is_reported(
    smtp: SmtpRecorder, cli: CliRunner, session: Session
) -> None:
    add_subscribers(session, 3)
    smtp.replies["abonne2@exemple.fr"] = (
        "550 5.1.1 <abonne2@exemple.fr>: Recipient address rejected"
    )
    smtp.replies["abonne3@exemple.fr"] = "550 5.7.1 Message refused by policy"
    result = cli.invoke(app, ["newsletter", "send", LETTER, "--yes"])
    assert "1 envoyé(s), 1 en échec, 1 adresse(s) en erreur" in result.output, result.output
    statuses = {s.email: s.status for s in _all(session, select(Subscriber))}
    assert statuses["abonne2@exemple.fr"] == SubscriberStatus.BOUNCED
    assert statuses["abonne3@exemple.fr"] == SubscriberStatus.ACTIVE


def test_unsubscribed_after_queueing_is_skipped(smtp: SmtpRecorder, session: Session) -> None:
    add_subscribers(session, 4)
    issue = _freeze_and_queue(session)
    leaving = services.by_email(session, "abonne2@exemple.fr")
    assert leaving is not None
    services.unsubscribe(session, leaving, channel="one-click")
    session.commit()
    _dispatch()
    assert sorted(_to(m) for m in smtp.messages) == [
        "abonne1@exemple.fr", "abonne3@exemple.fr", "abonne4@exemple.fr",
    ]  # fmt: skip
    with Session(session.get_bind()) as fresh:
        counts = newsletter.progress(fresh, issue.number)
    assert (counts.sent, counts.skipped, counts.failed) == (3, 1, 0)


def test_pause_holds_and_resume_sends_the_rest(
    smtp: SmtpRecorder, cli: CliRunner, session: Session
) -> None:
    add_subscribers(session, 3)
    issue = _freeze_and_queue(session)
    paused = cli.invoke(app, ["newsletter", "pause", "42"])
    assert "3 e-mail(s) retenu(s)" in paused.output
    _dispatch()
    assert smtp.messages == []
    add_subscribers(session, 2, start=10)
    resumed = cli.invoke(app, ["newsletter", "resume", str(issue.number)])
    assert resumed.exit_code == 0, resumed.output
    assert "Terminé : 3 envoyé(s)" in resumed.output
    assert len(smtp.messages) == 3 and len({_to(m) for m in smtp.messages}) == 3


def test_send_at_schedules_rows_and_sends_nothing_now(
    smtp: SmtpRecorder, cli: CliRunner, session: Session
) -> None:
    add_subscribers(session, 2)
    result = cli.invoke(app, ["newsletter", "send", LETTER, "--yes", "--at", "01/12/2031 09:00"])
    assert result.exit_code == 0, result.output
    assert "programmée pour le lundi 1er décembre 2031, 9 h" in result.output
    rows = _all(session, select(OutboxMessage))
    assert len(rows) == 2 and {row.due_at.isoformat() for row in rows} == {
        "2031-12-01T08:00:00+00:00"
    }
    assert _dispatch() == 0 and smtp.messages == []
    status = cli.invoke(app, ["newsletter", "status", "42"])
    assert "programmée pour le lundi 1er décembre 2031, 9 h" in status.output
    past = cli.invoke(app, ["newsletter", "send", LETTER, "--yes", "--at", "01/01/2020 09:00"])
    assert past.exit_code == 1 and "est passée" in past.output
    garbled = cli.invoke(app, ["newsletter", "send", LETTER, "--yes", "--at", "demain matin"])
    assert garbled.exit_code == 1 and "demain matin" in garbled.output


def test_send_asks_for_confirmation(smtp: SmtpRecorder, cli: CliRunner, session: Session) -> None:
    add_subscribers(session, 2)
    refused = cli.invoke(app, ["newsletter", "send", LETTER], input="n\n")
    assert "à 2 abonné·e(s) maintenant ?" in refused.output
    assert refused.exit_code == 1 and "rien n'est parti" in refused.output
    assert smtp.messages == []
    accepted = cli.invoke(app, ["newsletter", "send", LETTER], input="o\n")
    assert accepted.exit_code == 0, accepted.output
    assert len(smtp.messages) == 2


def test_test_addresses_only(smtp: SmtpRecorder, cli: CliRunner, session: Session) -> None:
    add_subscribers(session, 3)
    result = cli.invoke(
        app,
        [
            "newsletter",
            "send",
            LETTER,
            "--test",
            "Relecture@CRPV.example",
            "--test",
            "com@crpv.example",
        ],
    )
    assert result.exit_code == 0, result.output
    assert sorted(_to(m) for m in smtp.messages) == ["com@crpv.example", "relecture@crpv.example"]
    assert smtp.messages[0]["Subject"].startswith("[TEST] Ressources Info n° 42")
    assert _all(session, select(Issue)) == []
    bad = cli.invoke(app, ["newsletter", "send", LETTER, "--test", "pas-une-adresse"])
    assert bad.exit_code == 1 and "pas-une-adresse" in bad.output


def test_double_opt_in_mail_carries_link_and_code(smtp: SmtpRecorder, session: Session) -> None:
    subscriber = services.request(
        session, email="fatou.sy@exemple.fr", channel="telegram", source="bot"
    )
    session.commit()
    _dispatch()
    (message,) = smtp.messages
    assert message["Subject"] == "Confirmez votre abonnement à « Ressources Info »"
    text = part_of(message, "text/plain").get_content()
    assert subscriber.id is not None and subscriber.confirm_code
    link = f"https://relais.crpv.example/confirmation/{tokens.make('confirm', subscriber.id, subscriber.email)}"
    assert link in text and subscriber.confirm_code in text
    assert_golden(
        "confirm_email.txt",
        text.replace("\r\n", "\n").replace(link, "LIEN").replace(subscriber.confirm_code, "CODE"),
    )
    assert message["List-Unsubscribe"] is None


def test_queueing_resumes_where_it_stopped(smtp: SmtpRecorder, session: Session) -> None:
    add_subscribers(session, 7)
    source = issues.parse(Path(LETTER).read_text(encoding="utf-8"))
    issue = archive.freeze(
        session, source, issues.render(session, source), utcnow() - timedelta(seconds=1)
    )
    session.commit()
    assert issue.id is not None
    from relais.db import get_engine

    assert newsletter.queue_page(get_engine(), issue.id, batch=3) == 3
    assert newsletter.queue_all(issue.id) == 4
    assert newsletter.queue_all(issue.id) == 0
    keys = [row.idempotency_key for row in _all(session, select(OutboxMessage))]
    assert len(keys) == len(set(keys)) == 7
