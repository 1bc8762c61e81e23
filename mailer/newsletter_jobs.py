"""The mailer's side of an issue sent from the back office.

The web freezes the issue and emits domain events; here they become outbox
work: test messages queued in the same transaction, held or released
deliveries on pause and resume, and — a page of subscribers per transaction,
outside any web request — the queueing of issues waiting to go
(:func:`advance`, run by ``relais run``'s scheduler), exactly as
``relais newsletter send`` queues them.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from mailer import newsletter
from relais import signals
from relais.db import get_engine, session_scope
from relais.newsletter import editing, issues
from relais.newsletter.models import Issue, IssueStatus
from relais.timefmt import utcnow

WAITING = (IssueStatus.SCHEDULED, IssueStatus.SENDING, IssueStatus.PAUSED)


def on_test(session: Session, ev: editing.TrialRequested) -> None:
    rendered = issues.Rendered(subject=ev.subject, html=ev.html, text=ev.text, web_html="")
    newsletter.send_tests(session, rendered, ev.number, list(ev.addresses))


def on_pause(session: Session, ev: editing.IssuePaused) -> None:
    newsletter.pause(session, ev.number)


def on_resume(session: Session, ev: editing.IssueResumed) -> None:
    newsletter.resume(session, ev.number)


def _waiting_ids(engine: Engine) -> list[int]:
    with session_scope(engine) as session:
        return [
            issue_id
            for issue_id in session.exec(
                select(Issue.id)
                .where(col(Issue.status).in_(WAITING))
                .where(col(Issue.queue_complete).is_(False))
            )
            if issue_id is not None
        ]


def _finish(engine: Engine) -> None:
    """An issue whose deliveries are all settled is marked sent, as the CLI's report does."""
    with session_scope(engine) as session:
        going = session.exec(
            select(Issue)
            .where(col(Issue.status).in_([IssueStatus.SCHEDULED, IssueStatus.SENDING]))
            .where(col(Issue.queue_complete), col(Issue.send_at) <= utcnow())
        ).all()
        for issue in going:
            if newsletter.progress(session, issue.number).done:
                issue.status = IssueStatus.SENT
                issue.finished_at = issue.finished_at or utcnow()
                session.add(issue)


def advance(engine: Engine | None = None) -> int:
    """Queue every issue waiting to be queued, then close those fully sent; how many queued."""
    engine = engine or get_engine()
    queued = sum(newsletter.queue_all(issue_id, engine) for issue_id in _waiting_ids(engine))
    _finish(engine)
    return queued


def subscribe() -> None:
    signals.on(editing.TrialRequested, on_test)
    signals.on(editing.IssuePaused, on_pause)
    signals.on(editing.IssueResumed, on_resume)
    editing.register_progress(newsletter.progress)
