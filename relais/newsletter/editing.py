"""Writing and sending an issue from the back office, on the same rendering as the CLI.

The browser gives the header as fields (number, title, date, intro, subject)
and the body as the same Markdown as a file (``## Rubrique`` sections, an
empty ``## Agenda`` filled with the coming events). Each field is checked on
its own, so every problem is a French sentence beside its field, with line
numbers counted in the text the person typed.

Sending is the mailer's job: this module only freezes the issue (its row, as
``relais newsletter send`` does) and tells the channels through domain
events; the mailer queues the subscribers a page at a time and sends. What
it reports back (the progress of an issue) comes through
:func:`register_progress`, so the core never reads the outbox.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from sqlmodel import Session, col, select

from relais import audit, identifiers, signals
from relais.errors import InvalidInput, NotFound
from relais.i18n import t
from relais.newsletter import archive, issues, markdown
from relais.newsletter.models import Draft, Issue, IssueStatus
from relais.people import services as people
from relais.timefmt import utcnow

FIELDS = ("numero", "titre", "date", "objet", "chapeau", "corps")
MAX_TEST_ADDRESSES = 5
MAX_BODY = 200_000
STARTER = "## À la une\n\n\n## Agenda\n"


@dataclass(frozen=True)
class IssueQueued(signals.DomainEvent):
    """An issue is frozen and must go to every active subscriber at ``send_at``."""

    issue_id: int
    number: int


@dataclass(frozen=True)
class TrialRequested(signals.DomainEvent):
    """Send this rendering to these addresses only, subject marked as a test."""

    number: int
    subject: str
    html: str
    text: str
    addresses: tuple[str, ...]


@dataclass(frozen=True)
class IssuePaused(signals.DomainEvent):
    number: int


@dataclass(frozen=True)
class IssueResumed(signals.DomainEvent):
    number: int


class Progress(Protocol):
    """What the sending channel reports about an issue."""

    @property
    def recipients(self) -> int: ...
    @property
    def sent(self) -> int: ...
    @property
    def waiting(self) -> int: ...
    @property
    def sending(self) -> int: ...
    @property
    def failed(self) -> int: ...
    @property
    def bounced(self) -> int: ...
    @property
    def skipped(self) -> int: ...
    @property
    def done(self) -> bool: ...


ProgressSource = Callable[[Session, int], Progress]
_progress_sources: list[ProgressSource] = []


def register_progress(source: ProgressSource) -> None:
    """The sending channel says how far an issue got (the mailer: its outbox rows)."""
    if source not in _progress_sources:
        _progress_sources.append(source)


def progress(session: Session, number: int) -> Progress | None:
    """How far the sending of issue ``number`` is; None when no channel sends issues."""
    return _progress_sources[-1](session, number) if _progress_sources else None


# -- checking what was typed --------------------------------------------------------


@dataclass(frozen=True)
class Checked:
    """The typed values (kept for the form), and the issue they make or the problems."""

    values: dict[str, str]
    errors: dict[str, InvalidInput]
    source: issues.IssueSource | None


def _number(typed: str) -> int:
    number = identifiers.parse(typed, minimum=1)
    if number is None:
        raise InvalidInput("newsletter_web_number", value=typed[:20])
    return number


def _title(typed: str) -> str:
    title = " ".join(typed.split())
    if not title:
        raise InvalidInput("newsletter_web_title_empty")
    if len(title) > 200:
        raise InvalidInput("field_too_long", field=t("newsletter.fields.title"), limit=200)
    return title


def _sections(body: str) -> list[issues.SourceSection]:
    if len(body) > MAX_BODY:
        raise InvalidInput("newsletter_web_too_long", limit=MAX_BODY)
    found = issues.split_sections(body.replace("\r\n", "\n"), 1)
    if not found:
        raise InvalidInput("newsletter_no_sections")
    for part in found:
        markdown.tokens(part.body, part.first_line)
    return found


def _subject(typed: str, number: int, title: str) -> str:
    subject = " ".join(typed.split()) or t("newsletter.subject", number=number, title=title)
    return subject[:250]


def check(values: dict[str, str]) -> Checked:
    """Each field checked apart: every problem at once, each beside its own field."""
    kept = {name: values.get(name, "")[:MAX_BODY] for name in FIELDS}
    errors: dict[str, InvalidInput] = {}
    found: dict[str, object] = {}
    checks: dict[str, Callable[[str], object]] = {
        "numero": _number, "titre": _title, "date": issues.parse_date,
        "chapeau": lambda text: markdown.tokens(text.replace("\r\n", "\n"), 1),
        "corps": _sections,
    }  # fmt: skip
    for name, checker in checks.items():
        try:
            found[name] = checker(kept[name].strip() if name != "corps" else kept[name])
        except InvalidInput as error:
            errors[name] = error
    if errors:
        return Checked(kept, errors, None)
    number, title = int(str(found["numero"])), str(found["titre"])
    assert isinstance(found["date"], date) and isinstance(found["corps"], list)
    source = issues.IssueSource(
        number=number, title=title, date=found["date"],
        intro=kept["chapeau"].replace("\r\n", "\n").strip(),
        subject=_subject(kept["objet"], number, title), sections=found["corps"],
    )  # fmt: skip
    return Checked(kept, {}, source)


def values_of(draft: Draft) -> dict[str, str]:
    """A stored draft as the form shows it."""
    return {
        "numero": str(draft.number), "titre": draft.title,
        "date": draft.issue_date.strftime("%d/%m/%Y"), "objet": draft.subject,
        "chapeau": draft.intro, "corps": draft.body,
    }  # fmt: skip


def source_of(draft: Draft) -> issues.IssueSource:
    checked = check(values_of(draft))
    if checked.source is None:
        raise next(iter(checked.errors.values()))
    return checked.source


def next_number(session: Session) -> int:
    """The number after the last issue or draft: what a new issue most likely is."""
    numbers = [
        session.exec(select(Issue.number).order_by(col(Issue.number).desc())).first() or 0,
        session.exec(select(Draft.number).order_by(col(Draft.number).desc())).first() or 0,
    ]
    return max(numbers) + 1


def blank(session: Session) -> dict[str, str]:
    today = utcnow().date()
    return {
        "numero": str(next_number(session)), "titre": "", "date": today.strftime("%d/%m/%Y"),
        "objet": "", "chapeau": "", "corps": STARTER,
    }  # fmt: skip


# -- drafts ---------------------------------------------------------------------------


def _not_sent(session: Session, number: int) -> None:
    existing = archive.by_number(session, number)
    handed_over = existing is not None and (
        existing.queued_through or existing.queue_complete
        or existing.status != IssueStatus.SCHEDULED
    )  # fmt: skip
    if handed_over:
        raise InvalidInput("newsletter_already_sent", number=number)


def save(
    session: Session, draft: Draft | None, source: issues.IssueSource, values: dict[str, str],
    actor: str,
) -> Draft:  # fmt: skip
    """Keep what was typed (already checked) as a draft; audited."""
    _not_sent(session, source.number)
    draft = draft or Draft(number=source.number, title=source.title, issue_date=source.date)
    draft.number, draft.title, draft.issue_date = source.number, source.title, source.date
    draft.subject = " ".join(values.get("objet", "").split())[:250]
    draft.intro = source.intro
    draft.body = values.get("corps", "").replace("\r\n", "\n")
    draft.updated_by, draft.updated_at = actor[:80], utcnow()
    session.add(draft)
    session.flush()
    audit.record(session, actor, "newsletter.draft_saved", "newsletter_draft", draft.id,
                 number=draft.number)  # fmt: skip
    return draft


def get_draft(session: Session, draft_id: int) -> Draft:
    draft = session.get(Draft, draft_id)
    if draft is None:
        raise NotFound("newsletter_web_draft_not_found")
    return draft


def drafts(session: Session) -> list[Draft]:
    return list(session.exec(select(Draft).order_by(col(Draft.number).desc())))


def sent_issues(session: Session) -> list[Issue]:
    """Every issue frozen for sending (scheduled, going, paused, sent), newest first."""
    return list(session.exec(select(Issue).order_by(col(Issue.number).desc())))


def get_issue(session: Session, number: int) -> Issue:
    issue = archive.by_number(session, number)
    if issue is None:
        raise NotFound("newsletter_not_found", number=number)
    return issue


# -- tests, sending, pausing ----------------------------------------------------------


def test_addresses(typed: str) -> list[str]:
    """Addresses separated by commas, semicolons, spaces or lines; each must be valid."""
    words = typed.replace(";", " ").replace(",", " ").split()
    if not words:
        raise InvalidInput("newsletter_web_no_test_address")
    if len(words) > MAX_TEST_ADDRESSES:
        raise InvalidInput("newsletter_web_too_many_tests", limit=MAX_TEST_ADDRESSES)
    return list(dict.fromkeys(people.normalize_email(word) for word in words))


def send_test(
    session: Session, source: issues.IssueSource, addresses: list[str], actor: str
) -> int:
    """The issue as it is now, to these addresses only (nothing recorded as sent)."""
    rendered = issues.render(session, source)
    audit.record(session, actor, "newsletter.test_sent", "newsletter_issue", None,
                 number=source.number, addresses=", ".join(addresses)[:500])  # fmt: skip
    signals.emit(session, TrialRequested(
        source.number, rendered.subject, rendered.html, rendered.text, tuple(addresses)))  # fmt: skip
    return len(addresses)


def send(session: Session, draft: Draft, send_at: datetime | None, actor: str) -> Issue:
    """Freeze the draft into the issue (now, or at ``send_at``) and hand it to the mailer."""
    source = source_of(draft)
    _not_sent(session, source.number)
    moment = send_at or utcnow()
    rendered = issues.render(session, source, now=moment)
    issue = archive.freeze(session, source, rendered, moment)
    issue.status = IssueStatus.SENDING if send_at is None else IssueStatus.SCHEDULED
    session.add(issue)
    session.delete(draft)
    session.flush()
    assert issue.id is not None
    audit.record(session, actor, "newsletter.issue_sent", "newsletter_issue", issue.id,
                 number=issue.number, send_at=moment.isoformat())  # fmt: skip
    signals.emit(session, IssueQueued(issue.id, issue.number))
    return issue


def pause(session: Session, number: int, actor: str) -> Issue:
    issue = get_issue(session, number)
    if issue.status not in (IssueStatus.SCHEDULED, IssueStatus.SENDING):
        raise InvalidInput("newsletter_web_not_running", number=number)
    issue.status = IssueStatus.PAUSED
    session.add(issue)
    audit.record(session, actor, "newsletter.paused", "newsletter_issue", issue.id, number=number)
    signals.emit(session, IssuePaused(number))
    return issue


def resume(session: Session, number: int, actor: str) -> Issue:
    issue = get_issue(session, number)
    if issue.status != IssueStatus.PAUSED:
        raise InvalidInput("newsletter_web_not_paused", number=number)
    issue.status = IssueStatus.SENDING
    session.add(issue)
    audit.record(session, actor, "newsletter.resumed", "newsletter_issue", issue.id, number=number)
    signals.emit(session, IssueResumed(number))
    return issue
