"""Finding, creating and updating people (export: :mod:`.export`, erasure: :mod:`.erasure`)."""

from __future__ import annotations

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from relais import audit, db
from relais.errors import InvalidInput, NotFound
from relais.people.models import Consent, ConsentPurpose, Organisation, Person
from relais.reference import services as reference
from relais.reference.models import StructureType
from relais.timefmt import utcnow

MAX_NAME = 100
MAX_ORGANISATION = 200


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


_PERSON = Person.__table__  # type: ignore[attr-defined]
_ORGANISATION = Organisation.__table__  # type: ignore[attr-defined]
_STRUCTURE_TYPE = StructureType.__table__  # type: ignore[attr-defined]
_ID_BY_EMAIL = sa.select(_PERSON.c.id).where(_PERSON.c.email == sa.bindparam("email"))
_ORGANISATION_ID = sa.select(_ORGANISATION.c.id).where(_ORGANISATION.c.name == sa.bindparam("name"))
_TYPE_ACTIVE = sa.select(_STRUCTURE_TYPE.c.active).where(
    _STRUCTURE_TYPE.c.id == sa.bindparam("type_id")
)
_INSERT_CONSENT = Consent.__table__.insert()  # type: ignore[attr-defined]


def id_by_email(session: Session, email: str) -> int | None:
    """The id of the person with this address, without loading them."""
    return db.execute(session, _ID_BY_EMAIL, {"email": email.strip().lower()}).scalar()


def organisation_id(session: Session, name: str) -> int:
    """The id of the organisation of that name, created the first time it is typed."""
    clean = clean_name(name, "structure", MAX_ORGANISATION)
    found = db.execute(session, _ORGANISATION_ID, {"name": clean}).scalar()
    if found is not None:
        return int(found)
    try:
        with session.begin_nested():  # two people typing a new name at once: one row wins
            created = Organisation(name=clean)
            session.add(created)
    except IntegrityError:
        return int(db.execute(session, _ORGANISATION_ID, {"name": clean}).scalar_one())
    assert created.id is not None
    return created.id


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
    new: bool = False,
) -> Person:
    """Create or update the person with this e-mail; all inputs validated first.

    ``new``: the caller found no person with this address in this very
    transaction, so there is nothing to look up again.
    """
    address = normalize_email(email)
    person = None if new else by_email(session, address)
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
        person.organisation_id = organisation_id(session, organisation)
    if profile_id is not None:
        person.profile_id = profile_id
    if structure_type_id is not None:
        person.structure_type_id = _offered_type(session, structure_type_id)
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


def _offered_type(session: Session, type_id: int) -> int:
    """``type_id`` when that type of structure is still offered, else the French refusal."""
    if not db.execute(session, _TYPE_ACTIVE, {"type_id": type_id}).scalar():
        choices = ", ".join(known.name for known in reference.structure_types(session))
        raise InvalidInput("structure_type_not_offered", choices=choices)
    return type_id


def needs_structure_type(person: Person) -> bool:
    """Ask once: neither answered nor declined (« Passer ») yet."""
    return person.structure_type_id is None and person.structure_type_declined_at is None


def set_structure_type(
    session: Session, person_id: int, type_id: int | None, actor: str = "system"
) -> Person:
    """Record (or, with None, forget) the person's type of structure."""
    person = get(session, person_id)
    person.structure_type_id = None if type_id is None else _offered_type(session, type_id)
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
) -> None:
    """One consent row, inserted at once (every registration by a new person writes one)."""
    session.execute(
        _INSERT_CONSENT,
        {"person_id": person_id, "purpose": purpose, "granted": True, "channel": channel,
         "source": source, "recorded_at": utcnow()},
    )  # fmt: skip


def has_consent(session: Session, person_id: int, purpose: ConsentPurpose) -> bool:
    latest = session.exec(
        select(Consent)
        .where(Consent.person_id == person_id, Consent.purpose == purpose)
        .order_by(col(Consent.recorded_at).desc(), col(Consent.id).desc())
    ).first()
    return bool(latest and latest.granted)
