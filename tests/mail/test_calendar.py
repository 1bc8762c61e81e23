"""Invitations parsed by icalendar and by vobject (an independent parser) agree on every field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject

from relais.events.ical import event_id_from_uid, event_uid, vevent
from relais.events.invitation import invitation_ics
from relais.events.models import Event, EventFormat, EventStatus
from relais.people.models import Person
from relais.settings import get_settings
from relais.timefmt import parse_local

START = datetime(2025, 4, 8, 7, 30, tzinfo=UTC)
END = datetime(2025, 4, 8, 10, 0, tzinfo=UTC)


def webinar(**fields: object) -> Event:
    values: dict[str, object] = {
        "id": 12, "code": "ab12cd", "title": "Webinaire médiation sociale",
        "description": "Échanges entre pairs.", "format": EventFormat.DISTANCIEL,
        "starts_at": START, "ends_at": END, "visio_url": "https://visio.exemple.fr/salle-42",
        "status": EventStatus.PUBLISHED, "sequence": 2,
    }  # fmt: skip
    values.update(fields)
    return Event(**values)  # type: ignore[arg-type]


def person() -> Person:
    return Person(id=3, first_name="Amina", last_name="Benali", email="amina@exemple.fr")


def parse_both(data: bytes) -> tuple[icalendar.Calendar, vobject.base.Component]:
    return icalendar.Calendar.from_ical(data), vobject.readOne(data.decode("utf-8"))


def test_request_has_organizer_attendee_and_stable_uid() -> None:
    event = webinar()
    data = invitation_ics(event, person())
    ical, vcal = parse_both(data)
    ical_event = ical.walk("VEVENT")[0]
    v_event = vcal.vevent

    assert str(ical["METHOD"]) == vcal.method.value == "REQUEST"
    assert str(ical_event["UID"]) == v_event.uid.value == event_uid(event)
    assert event_uid(event) == "event-12-ab12cd@relais"
    assert int(ical_event["SEQUENCE"]) == int(v_event.sequence.value) == 2
    assert str(ical_event["STATUS"]) == v_event.status.value == "CONFIRMED"
    assert ical_event.decoded("DTSTART") == v_event.dtstart.value == START
    assert ical_event.decoded("DTEND") == v_event.dtend.value == END
    assert v_event.dtstamp.value.utcoffset().total_seconds() == 0
    assert ical_event.decoded("DTSTAMP").tzinfo is not None

    organizer = ical_event["ORGANIZER"]
    assert str(organizer) == v_event.organizer.value == "mailto:relais@localhost"
    assert v_event.organizer.params["CN"] == ["Centre de ressources politique de la ville"]

    attendee = ical_event["ATTENDEE"]
    assert str(attendee) == v_event.attendee.value == "mailto:amina@exemple.fr"
    for name, expected in {
        "CN": "Amina Benali", "ROLE": "REQ-PARTICIPANT", "PARTSTAT": "NEEDS-ACTION", "RSVP": "TRUE",
    }.items():  # fmt: skip
        assert attendee.params[name] == expected
        assert v_event.attendee.params[name] == [expected]


def test_registered_people_get_the_visio_link_the_public_feed_does_not() -> None:
    event = webinar()
    _, vcal = parse_both(invitation_ics(event, person()))
    assert vcal.vevent.url.value == "https://visio.exemple.fr/salle-42"
    assert "https://visio.exemple.fr/salle-42" in vcal.vevent.description.value
    assert vcal.vevent.location.value == "webinaire"

    public = vevent(event, with_private_link=False)
    assert "salle-42" not in public.to_ical().decode()
    assert str(public["URL"]) == "http://localhost:8080/e/ab12cd"
    assert "Inscription : http://localhost:8080/e/ab12cd" in str(public["DESCRIPTION"])


def test_the_registration_link_is_the_web_page_unless_telegram_is_chosen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``REGISTER_LINK=web`` (the default) may have no bot at all: no t.me link then."""
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://relais.crpv.example")
    get_settings.cache_clear()
    event = webinar(visio_url="")  # the same row twice: the shared part is cached
    try:
        web = invitation_ics(event, person()).replace(b"\r\n ", b"")
        assert b"t.me" not in web
        assert b"\r\nURL:https://relais.crpv.example/e/ab12cd\r\n" in web
        monkeypatch.setenv("REGISTER_LINK", "telegram")
        get_settings.cache_clear()
        bot = invitation_ics(event, person()).replace(b"\r\n ", b"")
        assert b"\r\nURL:https://t.me/RelaisCRPVBot?start=ab12cd\r\n" in bot
    finally:
        get_settings.cache_clear()


def test_the_uid_does_not_follow_the_public_address(monkeypatch: pytest.MonkeyPatch) -> None:
    before = event_uid(webinar())
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://relais.crpv.example")
    get_settings.cache_clear()
    try:
        data = invitation_ics(webinar(), person())
        assert event_uid(webinar()) == before == "event-12-ab12cd@relais"
        assert b"\r\nUID:event-12-ab12cd@relais\r\n" in data
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize(
    ("uid", "expected"),
    [
        ("event-12-ab12cd@relais", (12, "ab12cd")),
        ("event-12-ab12cd@localhost", (12, "ab12cd")),  # sent before the UID was constant
        (" event-12-ab12cd@relais.crpv.example ", (12, "ab12cd")),
        ("event-12-ab12cd", None),
        ("event-x-ab12cd@relais", None),
        ("event-12-@relais", None),
        ("rdv-12-ab12cd@relais", None),
        ("040000008200E00074C5B7101A82E008@outlook", None),
    ],
)
def test_both_forms_of_uid_name_the_event(uid: str, expected: tuple[int, str] | None) -> None:
    assert event_id_from_uid(uid) == expected


@pytest.mark.parametrize("fmt", [EventFormat.DISTANCIEL, EventFormat.HYBRIDE])
def test_an_online_event_does_not_say_its_old_venue(fmt: EventFormat) -> None:
    """A venue typed before the event went online stays in the row, not in the calendar."""
    event = webinar(format=fmt, venue="Salle Agora")
    description = str(vevent(event, with_private_link=True)["DESCRIPTION"])
    assert ("Lieu : Salle Agora" in description) == (fmt == EventFormat.HYBRIDE)
    assert "Lien de connexion : https://visio.exemple.fr/salle-42" in description


def test_personal_cancel_raises_sequence_and_leaves_the_event_status_out() -> None:
    """RFC 5546 §3.2.5: removing one attendee from an event that goes on has no STATUS."""
    data = invitation_ics(webinar(), person(), method="CANCEL")
    ical, vcal = parse_both(data)
    ical_event = ical.walk("VEVENT")[0]
    assert str(ical["METHOD"]) == vcal.method.value == "CANCEL"
    assert int(ical_event["SEQUENCE"]) == int(vcal.vevent.sequence.value) == 3
    assert "STATUS" not in ical_event and b"STATUS:" not in data
    assert "RSVP" not in ical_event["ATTENDEE"].params and b"RSVP" not in data
    assert str(ical_event["ATTENDEE"]) == "mailto:amina@exemple.fr"
    assert vcal.vevent.uid.value == event_uid(webinar())
    assert "salle-42" not in data.decode()


def test_event_cancellation_keeps_the_already_raised_sequence() -> None:
    event = webinar(status=EventStatus.CANCELLED, sequence=3)
    data = invitation_ics(event, person(), method="CANCEL")
    _, vcal = parse_both(data)
    assert int(vcal.vevent.sequence.value) == 3
    assert vcal.vevent.status.value == "CANCELLED"
    assert b"\r\nSTATUS:CANCELLED\r\n" in data and b"RSVP" not in data


def test_a_double_quote_in_a_name_becomes_an_apostrophe_commas_stay_quoted() -> None:
    """RFC 6868's ``^'`` is shown literally by most clients: no double quote is written."""
    named = Person(
        id=4, first_name='Zoé-Élise "Le Grand"', last_name="Dupont; Jr, fils",
        email="zoe@exemple.fr",
    )  # fmt: skip
    data = invitation_ics(webinar(), named)
    ical, vcal = parse_both(data)
    unfolded = data.replace(b"\r\n ", b"").decode()
    assert "^'" not in unfolded and 'Le Grand"' not in unfolded
    assert "ATTENDEE;CN=\"Zoé-Élise 'Le Grand' Dupont; Jr, fils\";" in unfolded
    expected = "Zoé-Élise 'Le Grand' Dupont; Jr, fils"
    assert ical.walk("VEVENT")[0]["ATTENDEE"].params["CN"] == expected
    assert vcal.vevent.attendee.params["CN"] == [expected]


@pytest.mark.parametrize("sequence", [0, 5])
def test_explicit_sequence_wins(sequence: int) -> None:
    _, vcal = parse_both(invitation_ics(webinar(), person(), sequence=sequence))
    assert int(vcal.vevent.sequence.value) == sequence


def test_in_person_event_has_its_venue_as_location_and_accents_survive() -> None:
    event = webinar(
        format=EventFormat.PRESENTIEL, venue="Maison des associations, Évry", visio_url=""
    )
    ical, vcal = parse_both(invitation_ics(event, person()))
    assert vcal.vevent.location.value == "Maison des associations, Évry"
    assert (
        str(ical.walk("VEVENT")[0]["SUMMARY"])
        == vcal.vevent.summary.value
        == ("Webinaire médiation sociale")
    )


def test_long_lines_fold_at_75_octets_between_characters_with_crlf() -> None:
    """RFC 5545 §3.1: at most 75 octets a line, CRLF, never inside a UTF-8 character."""
    title = "Atelier « égalité » " + "é" * 40 + "€" * 20 + "😀" * 12 + " fin"
    name = "Zoé " + "Ñ" * 50
    data = invitation_ics(
        webinar(title=title, description="ligne\nsuivante " + "à" * 90),
        Person(id=5, first_name=name, last_name="Éluard", email="zoe@exemple.fr"),
    )
    assert b"\n" not in data.replace(b"\r\n", b"") and data.endswith(b"\r\n")
    lines = data.split(b"\r\n")[:-1]
    assert all(len(line) <= 75 for line in lines)
    for line in lines:
        line.decode("utf-8")  # a fold that splits a character raises here
    folded = [line for line in lines if line.startswith(b" ")]
    assert len(folded) >= 6
    summary_start = next(i for i, line in enumerate(lines) if line.startswith(b"SUMMARY:"))
    assert lines[summary_start + 1].startswith(b" ")
    assert len(lines[summary_start]) > 70  # filled up to the limit, not folded early
    ical, vcal = parse_both(data)
    assert str(ical.walk("VEVENT")[0]["SUMMARY"]) == vcal.vevent.summary.value == title
    assert vcal.vevent.attendee.params["CN"] == [f"{name} Éluard"]
    assert str(ical.walk("VEVENT")[0]["DESCRIPTION"]).startswith("ligne\nsuivante àà")


@pytest.mark.parametrize(
    ("typed", "utc"),
    [
        ("26/03/2027 10:00", "20270326T090000Z"),  # still winter time: UTC+1
        ("28/03/2027 10:00", "20270328T080000Z"),  # the morning clocks went forward: UTC+2
        ("31/10/2027 10:00", "20271031T090000Z"),  # back to winter time
    ],
)
def test_a_time_typed_in_paris_is_written_in_utc_across_the_clock_change(
    typed: str, utc: str
) -> None:
    start = parse_local(typed, ZoneInfo("Europe/Paris"))
    data = invitation_ics(webinar(starts_at=start, ends_at=start + timedelta(hours=1)), person())
    assert f"\r\nDTSTART:{utc}\r\n".encode() in data
    assert b"VTIMEZONE" not in data and b"TZID" not in data
    vevent = icalendar.Calendar.from_ical(data).walk("VEVENT")[0]
    assert vevent.decoded("DTSTART").astimezone(ZoneInfo("Europe/Paris")).hour == 10
