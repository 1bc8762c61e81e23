"""The rows a group of returned messages asks about, read in a few queries per group.

Acting on one message asks « who has this address? », « is this person registered
to that event? », « did Relais ever write to this address? ». Asked one message at a
time, that is several queries (and as many ORM flushes) per message; asked once for
the whole group, it is one query per question. Whatever was not asked in advance
is still answered, by a query of its own. The objects found live in the group's
session, so a change made by one message (an unsubscription, a cancellation) is
seen by the next.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import Session, col, select

from mailer.models import OutboxMessage
from relais.events.ical import event_id_from_uid
from relais.events.models import Event
from relais.newsletter.models import Subscriber
from relais.people.models import Person
from relais.registrations.models import Registration


@dataclass(frozen=True)
class Wanted:
    """The addresses and invitations a group of messages refers to."""

    attendees: frozenset[tuple[str, str]] = frozenset()  # (invitation UID, address)
    subscribers: frozenset[str] = frozenset()
    bounced: frozenset[str] = frozenset()


class Lookups:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._people: dict[str, Person | None] = {}
        self._subscribers: dict[str, Subscriber | None] = {}
        self._mailed: dict[str, bool] = {}
        self._registrations: dict[tuple[int, int], Registration | None] = {}
        #: Held here because the session's identity map keeps objects only while something
        #: refers to them: without this, every reply to an event reloads the event.
        self._events: dict[int, Event | None] = {}

    def prefetch(self, wanted: Wanted) -> None:
        """One query per kind of row, for the whole group."""
        attendees = {address for _uid, address in wanted.attendees}
        self._load_people(attendees)
        self._load_registrations(wanted.attendees)
        self._load_subscribers(wanted.subscribers)
        self._load_mailed(wanted.bounced)

    def _load_people(self, addresses: Iterable[str]) -> None:
        wanted = {address.strip().lower() for address in addresses} - self._people.keys()
        if not wanted:
            return
        self._people |= dict.fromkeys(wanted)
        for person in self.session.exec(select(Person).where(col(Person.email).in_(wanted))):
            if person.email is not None and self._people[person.email] is None:
                self._people[person.email] = person

    def _load_registrations(self, attendees: Iterable[tuple[str, str]]) -> None:
        pairs = set()
        for uid, address in attendees:
            found = event_id_from_uid(uid)
            person = self._people.get(address.strip().lower())
            if found is not None and person is not None and person.id is not None:
                pairs.add((found[0], person.id))
        pairs -= self._registrations.keys()
        if not pairs:
            return
        self._registrations |= dict.fromkeys(pairs)
        query = select(Registration).where(
            col(Registration.event_id).in_({event for event, _ in pairs}),
            col(Registration.person_id).in_({person for _, person in pairs}),
        )
        for registration in self.session.exec(query):
            key = (registration.event_id, registration.person_id)
            if key in pairs and self._registrations[key] is None:
                self._registrations[key] = registration

    def _load_subscribers(self, addresses: Iterable[str]) -> None:
        wanted = {address.strip().lower() for address in addresses} - self._subscribers.keys()
        if not wanted:
            return
        self._subscribers |= dict.fromkeys(wanted)
        query = select(Subscriber).where(col(Subscriber.email).in_(wanted))
        for subscriber in self.session.exec(query):
            self._subscribers[subscriber.email] = subscriber

    def _load_mailed(self, addresses: Iterable[str]) -> None:
        wanted = {address.strip().lower() for address in addresses} - self._mailed.keys()
        if not wanted:
            return
        self._mailed |= dict.fromkeys(wanted, False)
        query = select(OutboxMessage.to_address).where(col(OutboxMessage.to_address).in_(wanted))
        for address in self.session.exec(query.distinct()):
            self._mailed[address] = True

    # -- the questions, answered from what was loaded (or loaded now) --------------------

    def person(self, address: str) -> Person | None:
        key = address.strip().lower()
        self._load_people([key])
        return self._people[key]

    def registration(self, uid: str, address: str) -> Registration | None:
        """The registration an invitation UID and an attendee address point to, if any."""
        found = event_id_from_uid(uid)
        person = self.person(address)
        if found is None or person is None or person.id is None:
            return None
        event = self.event(found[0])
        if event is None or event.code != found[1]:
            return None
        self._load_registrations([(uid, address)])
        return self._registrations.get((found[0], person.id))

    def event(self, event_id: int) -> Event | None:
        if event_id not in self._events:
            self._events[event_id] = self.session.get(Event, event_id)
        return self._events[event_id]

    def subscriber(self, address: str) -> Subscriber | None:
        key = address.strip().lower()
        self._load_subscribers([key])
        return self._subscribers[key]

    def was_mailed(self, address: str) -> bool:
        """A bounce about an address Relais never wrote to is backscatter: ignored."""
        key = address.strip().lower()
        self._load_mailed([key])
        return self._mailed[key]
