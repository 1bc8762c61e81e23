"""Issues once sent: frozen as they went out, listed in the public archive.

An issue is public from its sending time on (the « view in the browser »
link of the first e-mails must work), and exportable as static files for a
CRPV that hosts its archive on its own website.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlmodel import Session, col, select

from relais.errors import InvalidInput
from relais.newsletter.issues import IssueSource, Rendered
from relais.newsletter.models import Issue, IssueStatus
from relais.templating import TEMPLATES_DIR, render_html
from relais.timefmt import utcnow


@dataclass(frozen=True)
class Entry:
    number: int
    title: str
    issue_date: date


def published(session: Session, now: datetime | None = None) -> list[Entry]:
    rows = session.exec(
        select(col(Issue.number), col(Issue.title), col(Issue.issue_date))
        .where(col(Issue.send_at) <= (now or utcnow()))
        .order_by(col(Issue.number).desc())
    ).all()
    return [Entry(number, title, issue_date) for number, title, issue_date in rows]


def published_issue(session: Session, number: int, now: datetime | None = None) -> Issue | None:
    issue = session.exec(select(Issue).where(Issue.number == number)).first()
    if issue is None or issue.send_at > (now or utcnow()):
        return None
    return issue


def by_number(session: Session, number: int) -> Issue | None:
    return session.exec(select(Issue).where(Issue.number == number)).first()


def freeze(session: Session, source: IssueSource, rendered: Rendered, send_at: datetime) -> Issue:
    """Store what will be sent. An issue not yet queued may be replaced; a queued one not."""
    issue = by_number(session, source.number)
    if issue is not None and (issue.queued_through or issue.queue_complete):
        raise InvalidInput("newsletter_already_sent", number=source.number)
    issue = issue or Issue(
        number=source.number, title=source.title, issue_date=source.date, subject=source.subject
    )
    issue.title = source.title
    issue.issue_date = source.date
    issue.subject = rendered.subject
    issue.html = rendered.html
    issue.text = rendered.text
    issue.web_html = rendered.web_html
    issue.send_at = send_at
    issue.status = IssueStatus.SCHEDULED
    session.add(issue)
    session.flush()
    return issue


def export_static(session: Session, folder: Path) -> int:
    """Write ``index.html`` and one ``<number>.html`` per published issue; returns how many."""
    folder.mkdir(parents=True, exist_ok=True)
    entries = published(session)
    for entry in entries:
        issue = published_issue(session, entry.number)
        assert issue is not None
        (folder / f"{entry.number}.html").write_text(issue.web_html, encoding="utf-8")
    index = render_html(
        "web/archive_index.html", issues=entries, suffix=".html", stylesheet="web.css"
    )
    (folder / "index.html").write_text(index, encoding="utf-8")
    css = (TEMPLATES_DIR / "web" / "web.css").read_text(encoding="utf-8")
    (folder / "web.css").write_text(css, encoding="utf-8")
    return len(entries)
