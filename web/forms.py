"""The profile form (registration and « corriger mon profil »): each field checked on its own.

Every wrong field gets its French sentence, shown beside it; the values typed
come back into the form. The core's cleaners do the checking, so the web
accepts exactly what the bot accepts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session

from relais.access.services import ProfileInput
from relais.errors import InvalidInput
from relais.i18n import t
from relais.people import services as people
from relais.people.models import Person
from web import choices

#: Field name in the form → what it is called in sentences; the order of the error summary.
FIELDS = {
    "nom": "nom",
    "prenom": "prénom",
    "email": "e-mail",
    "structure": "structure",
    "type_structure": "type de structure",
    "profil": "profil professionnel",
    "departement": "département",
    "telephone": "téléphone",
    "consentement": "accord",
}
#: The fields whose value must be one of the form's lists (a retired type, a form left
#: open, a forged value are refused like an unknown one).
CHOICES = {"profil", "type_structure", "departement"}
LIMITS = {"nom": 100, "prenom": 100, "email": 254, "structure": 200, "telephone": 30}


@dataclass
class Checked:
    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    profile: ProfileInput | None = None


def _text(form: dict[str, str], name: str) -> str:
    return form.get(name, "")[:400]


def _one(session: Session, name: str, value: str) -> str:
    """The cleaned value of one field, or InvalidInput with the French reason."""
    limit = LIMITS.get(name)
    if limit is not None and len(value.strip()) > limit:
        raise InvalidInput(f"too_long.{name}", limit=limit)
    if name in ("nom", "prenom", "structure"):
        return people.clean_name(value, FIELDS[name], limit or 100)
    if name == "email":
        if not value.strip():
            raise InvalidInput("field_empty", field="e-mail")
        return people.normalize_email(value)
    if name == "telephone":
        return people.clean_phone(value) if value.strip() else ""
    if name in CHOICES and not _offered(session, name, value):
        raise InvalidInput("web_choose", field=FIELDS[name])
    return value


def _offered(session: Session, name: str, value: str) -> bool:
    """The value is one the form offers now (the lists kept a minute by :mod:`web.choices`)."""
    return any(value == offered for offered, _label in choices.options(session, name))


def check_profile(session: Session, form: dict[str, str], *, consent: bool) -> Checked:
    """Every field checked; a :class:`ProfileInput` only when all are right."""
    names = [name for name in FIELDS if consent or name != "consentement"]
    checked = Checked(values={name: _text(form, name) for name in names})
    cleaned: dict[str, str] = {}
    for name in names:
        if name == "consentement":
            if checked.values[name] != "oui":
                checked.errors[name] = t("web.errors.consent")
            continue
        try:
            cleaned[name] = _one(session, name, checked.values[name])
        except InvalidInput as error:
            checked.errors[name] = _sentence(error.message)
    if not checked.errors:
        checked.profile = ProfileInput(
            email=cleaned["email"],
            first_name=cleaned["prenom"],
            last_name=cleaned["nom"],
            organisation=cleaned["structure"],
            profile_id=int(cleaned["profil"]),
            structure_type_id=int(cleaned["type_structure"]),
            departement_code=cleaned["departement"],
            phone=cleaned["telephone"] or None,
        )
    return checked


def keep_structure_type(session: Session, person: Person, typed: str) -> str | None:
    """The type chosen on the confirmation page (a link proves the address): saved, or the reason.

    Only asked of a person who has none and never declined; left empty, nothing
    is stored and the registration goes on, so nobody is blocked by it.
    """
    if not typed or not people.needs_structure_type(person) or person.id is None:
        return None
    try:
        _one(session, "type_structure", typed)
    except InvalidInput as error:
        return _sentence(error.message)
    people.set_structure_type(session, person.id, int(typed), actor=f"person:{person.id}")
    return None


def _sentence(message: str) -> str:
    text = message[:1].upper() + message[1:]
    return text if text.endswith(".") else text + "."


def check_email(form: dict[str, str]) -> tuple[str, str | None]:
    """(address, None) or (what was typed, the French reason)."""
    typed = _text(form, "email")
    try:
        if not typed.strip():
            raise InvalidInput("field_empty", field="e-mail")
        return people.normalize_email(typed), None
    except InvalidInput as error:
        return typed, _sentence(error.message)
