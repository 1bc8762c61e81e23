"""Who is talking to the bot, as the sync views need it (no Telegram objects in threads)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from relais.people import services as people
from relais.people.models import ConsentPurpose, Person


@dataclass(frozen=True)
class Actor:
    telegram_id: int
    first_name: str = ""

    @property
    def audit(self) -> str:
        return f"telegram:{self.telegram_id}"


def linked_person(session: Session, telegram_id: int) -> Person | None:
    """The person this Telegram account belongs to (None once erased)."""
    person = people.by_telegram(session, telegram_id)
    if person is None or person.erased_at is not None:
        return None
    return person


def registered_person(session: Session, telegram_id: int) -> Person | None:
    """The linked person when their profile is complete and consent given: one-tap registration."""
    person = linked_person(session, telegram_id)
    if person is None or person.id is None or not person.email:
        return None
    if not people.has_consent(session, person.id, ConsentPurpose.REGISTRATION):
        return None
    return person
