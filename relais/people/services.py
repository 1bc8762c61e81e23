"""Finding, creating, exporting and erasing people."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from relais import audit
from relais.errors import InvalidInput, NotFound
from relais.people.models import Consent, ConsentPurpose, Organisation, Person
from relais.reference import services as reference
from relais.reference.models import StructureType
from relais.timefmt import utcnow

MAX_NAME = 100
MAX_ORGANISATION = 200

Exporter = Callable[[Session, int], Any]
_exporters: dict[str, Exporter] = {}


def normalize_email(raw: str) -> str:
    """Lower-cased, syntax-checked address (no DNS lookup: imports must work offline)."""
    text = raw.strip()
    if not text or len(text) > 254:
        raise InvalidInput("email_invalid", value=text[:60])
    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        raise InvalidInput("email_invalid", value=text[:60]) from None
    return result.normalized.lower()


def clean_name(raw: str, field: str, limit: int = MAX_NAME) -> str:
    text = " ".join(raw.split())
    if not text:
        raise InvalidInput("field_empty", field=field)
    if len(text) > limit:
        raise InvalidInput("field_too_long", field=field, limit=limit)
    return text


def clean_phone(raw: str) -> str:
    digits = "".join(ch for ch in raw if ch.isdigit() or ch == "+")
    if not 8 <= len(digits.lstrip("+")) <= 15:
        raise InvalidInput("phone_invalid", value=raw[:30])
    return digits


def get(session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None or person.erased_at is not None:
        raise NotFound("person_not_found")
    return person


def by_email(session: Session, email: str) -> Person | None:
    return session.exec(select(Person).where(Person.email == email.strip().lower())).first()


def by_telegram(session: Session, telegram_id: int) -> Person | None:
    return session.exec(select(Person).where(Person.telegram_id == telegram_id)).first()


def organisation_named(session: Session, name: str) -> Organisation:
    """The organisation of that name, created the first time it is typed."""
    clean = clean_name(name, "structure", MAX_ORGANISATION)
    query = select(Organisation).where(Organisation.name == clean)
    found = session.exec(query).first()
    if found is not None:
        return found
    try:
        with session.begin_nested():  # two people typing a new name at once: one row wins
            found = Organisation(name=clean)
            session.add(found)
    except IntegrityError:
        found = session.exec(query).one()
    return found


def save_profile(
    session: Session,
    *,
    email: str,
    first_name: str,
    last_name: str,
    organisation: str | None = None,
    profile_id: int | None = None,
    structure_type_id: int | None = None,
    departement_code: str | None = None,
    phone: str | None = None,
    telegram_id: int | None = None,
    actor: str = "system",
) -> Person:
    """Create or update the person with this e-mail; all inputs validated first."""
    address = normalize_email(email)
    person = by_email(session, address)
    if telegram_id is not None:
        holder = by_telegram(session, telegram_id)
        if holder is not None and (person is None or holder.id != person.id):
            holder.telegram_id = None
            session.add(holder)
            session.flush()
    if person is None:
        person = Person(email=address)
    person.first_name = clean_name(first_name, "prénom")
    person.last_name = clean_name(last_name, "nom")
    if organisation:
        person.organisation_id = organisation_named(session, organisation).id
    if profile_id is not None:
        person.profile_id = profile_id
    if structure_type_id is not None:
        person.structure_type_id = _offered_type(session, structure_type_id).id
    if departement_code is not None:
        person.departement_code = departement_code
    if phone:
        person.phone = clean_phone(phone)
    if telegram_id is not None:
        person.telegram_id = telegram_id
        person.telegram_blocked = False
    person.updated_at = utcnow()
    session.add(person)
    session.flush()
    audit.record(session, actor, "person.saved", "person", person.id)
    return person


def _offered_type(session: Session, type_id: int) -> StructureType:
    found = reference.structure_type(session, type_id)
    if found is None:
        choices = ", ".join(known.name for known in reference.structure_types(session))
        raise InvalidInput("structure_type_not_offered", choices=choices)
    return found


def needs_structure_type(person: Person) -> bool:
    """Ask once: neither answered nor declined (« Passer ») yet."""
    return person.structure_type_id is None and person.structure_type_declined_at is None


def set_structure_type(
    session: Session, person_id: int, type_id: int | None, actor: str = "system"
) -> Person:
    """Record (or, with None, forget) the person's type of structure."""
    person = get(session, person_id)
    person.structure_type_id = None if type_id is None else _offered_type(session, type_id).id
    person.updated_at = utcnow()
    session.add(person)
    session.flush()
    audit.record(session, actor, "person.structure_type", "person", person.id)
    return person


def decline_structure_type(session: Session, person_id: int, actor: str = "system") -> Person:
    """The person chose not to say: remembered, so the question is not asked again."""
    person = get(session, person_id)
    person.structure_type_declined_at = utcnow()
    session.add(person)
    session.flush()
    audit.record(session, actor, "person.structure_type_declined", "person", person.id)
    return person


def fill_structure_type(session: Session, person: Person, type_id: int) -> bool:
    """An import's type for a person who gave none; what the person chose always wins."""
    if person.structure_type_id is not None:
        return False
    person.structure_type_id = type_id
    person.updated_at = utcnow()
    session.add(person)
    return True


def structure_type_name(session: Session, person: Person) -> str | None:
    if person.structure_type_id is None:
        return None
    found = session.get(StructureType, person.structure_type_id)
    return found.name if found else None


def record_consent(
    session: Session, person_id: int, purpose: ConsentPurpose, channel: str, source: str = ""
) -> Consent:
    consent = Consent(person_id=person_id, purpose=purpose, channel=channel, source=source)
    session.add(consent)
    session.flush()
    return consent


def has_consent(session: Session, person_id: int, purpose: ConsentPurpose) -> bool:
    latest = session.exec(
        select(Consent)
        .where(Consent.person_id == person_id, Consent.purpose == purpose)
        .order_by(col(Consent.recorded_at).desc(), col(Consent.id).desc())
    ).first()
    return bool(latest and latest.granted)


def register_exporter(name: str, exporter: Exporter) -> None:
    """Let a capability or a channel add its own data to a person's export."""
    _exporters[name] = exporter


def export(session: Session, person_id: int) -> dict[str, Any]:
    """Everything stored about a person (RGPD right of access), as plain JSON values."""
    person = get(session, person_id)
    data: dict[str, Any] = {
        "personne": person.model_dump(mode="json"),
        "consentements": [
            c.model_dump(mode="json")
            for c in session.exec(select(Consent).where(Consent.person_id == person_id))
        ],
    }
    if person.organisation_id:
        organisation = session.get(Organisation, person.organisation_id)
        data["structure"] = organisation.name if organisation else None
    data["type_de_structure"] = structure_type_name(session, person)
    for name, exporter in sorted(_exporters.items()):
        data[name] = exporter(session, person_id)
    return data
