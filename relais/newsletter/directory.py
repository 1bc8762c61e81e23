"""The subscribers' list as the back office shows and changes it: search, add by hand,
unsubscribe, import a file a chunk at a time. Every change is audited with who made it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from relais import audit
from relais.db import session_scope
from relais.errors import InvalidInput, NotFound
from relais.imports import chunks
from relais.newsletter import importer, services
from relais.newsletter.models import Subscriber, SubscriberStatus
from relais.people import services as people

#: What the channel of a consent given through the back office reads.
CHANNEL = "gestion"
IMPORT_KIND = "subscribers"
SHOWN = 100


def search(
    session: Session, text: str, status: SubscriberStatus | None, limit: int = SHOWN
) -> list[Subscriber]:
    """Subscribers whose address, name or structure contains every typed word."""
    query = select(Subscriber)
    for word in text.lower().split()[:5]:
        pattern = f"%{word}%"
        query = query.where(or_(
            func.lower(col(Subscriber.email)).like(pattern),
            func.lower(col(Subscriber.first_name)).like(pattern),
            func.lower(col(Subscriber.last_name)).like(pattern),
            func.lower(col(Subscriber.organisation)).like(pattern),
        ))  # fmt: skip
    if status is not None:
        query = query.where(Subscriber.status == status)
    return list(session.exec(query.order_by(col(Subscriber.email)).limit(limit)))


@dataclass(frozen=True)
class NewSubscriber:
    email: str
    first_name: str
    last_name: str
    organisation: str
    source: str


def check(values: dict[str, str]) -> tuple[NewSubscriber | None, dict[str, InvalidInput]]:
    """The add form, field by field."""
    errors: dict[str, InvalidInput] = {}
    address = ""
    try:
        address = people.normalize_email(values.get("email", ""))
    except InvalidInput as error:
        errors["email"] = error
    names = {name: " ".join(values.get(name, "").split()) for name in ("prenom", "nom")}
    for name, label in (("prenom", "prénom"), ("nom", "nom")):
        if len(names[name]) > people.MAX_NAME:
            errors[name] = InvalidInput("field_too_long", field=label, limit=people.MAX_NAME)
    organisation = " ".join(values.get("structure", "").split())
    if len(organisation) > 200:
        errors["structure"] = InvalidInput("field_too_long", field="structure", limit=200)
    source = " ".join(values.get("source", "").split())
    if not source:
        errors["source"] = InvalidInput("newsletter_web_source_empty")
    elif len(source) > 200:
        errors["source"] = InvalidInput("field_too_long", field="source", limit=200)
    if errors:
        return None, errors
    return NewSubscriber(address, names["prenom"], names["nom"], organisation, source), {}


def add(session: Session, new: NewSubscriber, actor: str) -> Subscriber:
    """Subscribe an address whose consent the coordinator holds, as ``relais subscribers add``."""
    subscriber = services.by_email(session, new.email)
    if subscriber is None:
        person = people.by_email(session, new.email)
        subscriber = Subscriber(email=new.email, person_id=person.id if person else None)
    subscriber.first_name = new.first_name or subscriber.first_name
    subscriber.last_name = new.last_name or subscriber.last_name
    subscriber.organisation = new.organisation or subscriber.organisation
    session.add(subscriber)
    session.flush()
    services.activate(session, subscriber, channel=CHANNEL, source=new.source)
    audit.record(session, actor, "newsletter.subscriber_added", "newsletter_subscriber",
                 subscriber.id, source=new.source)  # fmt: skip
    return subscriber


def unsubscribe(session: Session, subscriber_id: int, actor: str) -> Subscriber:
    subscriber = session.get(Subscriber, subscriber_id)
    if subscriber is None:
        raise NotFound("newsletter_web_subscriber_not_found")
    if services.unsubscribe(session, subscriber, channel=CHANNEL):
        audit.record(session, actor, "newsletter.subscriber_removed", "newsletter_subscriber",
                     subscriber.id)  # fmt: skip
    return subscriber


@dataclass(frozen=True)
class ImportResult:
    """The report of an import, with the lines an interrupted try had written already."""

    report: importer.Report
    counts: dict[str, int]
    resumed: int


def import_file(raw: bytes, filename: str, actor: str) -> ImportResult:
    """The file checked whole, then written a chunk per transaction (the bot and the mailer
    go on meanwhile); the same file sent again after a crash resumes where it stopped."""
    parsed = importer.parse(raw)
    work = importer.Importer(parsed)
    progress = chunks.begin(IMPORT_KIND, raw, filename, len(parsed.rows))
    if progress.start:
        work.remember(parsed.rows[: progress.start])
    chunks.write(progress, parsed.rows, work.row, work.counts)
    counts = {outcome.value: work.report.count(outcome) + progress.previous.get(outcome.value, 0)
              for outcome in importer.Outcome}  # fmt: skip
    with session_scope() as session:
        audit.record(session, actor, "newsletter.imported", "import_run", progress.run_id,
                     filename=filename[:120], **counts)  # fmt: skip
    return ImportResult(work.report, counts, progress.start)
