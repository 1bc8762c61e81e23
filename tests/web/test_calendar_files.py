"""Calendar files of the web pages, parsed with icalendar, on the real server: the personal
invitation of « Mes inscriptions » is the e-mail's very entry, every PUBLISH has an
ORGANIZER, a cancelled event offers nothing, the footer subscribes with ``webcal://``."""

from __future__ import annotations

from email.message import EmailMessage

import httpx
import icalendar
from sqlmodel import Session

from relais.access.services import manage_url
from relais.events import services as events
from relais.events.ical import event_uid
from relais.registrations import services as registrations
from tests.factories import make_event, make_person
from tests.web.conftest import Live


def _request_in(message: EmailMessage) -> icalendar.Event:
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            return icalendar.Calendar.from_ical(part.get_payload(decode=True)).walk("VEVENT")[0]
    raise AssertionError("no invitation in the e-mail")


def _links(page: str, fragment: str) -> list[str]:
    return [p.split('"')[0] for p in page.split('href="')[1:] if fragment in p.split('"')[0]]


def test_the_download_of_mes_inscriptions_is_the_persons_own_request(
    live: Live, session: Session
) -> None:
    event = make_event(session, title="Rencontre des médiateurs", venue="Salle Agora")
    person = make_person(session, email="revient@exemple.fr", first_name="Inès")
    assert event.id and person.id
    first = registrations.register(session, event.id, person.id, source="web").registration
    session.commit()
    assert first.id is not None
    registrations.cancel(session, first.id, "test")
    session.commit()
    registrations.register(session, event.id, person.id, source="web")
    session.commit()
    mails = [m for m in live.deliver() if m["To"] == "revient@exemple.fr"]
    # one delivery round: the mails may reach the server in any order
    mailed = sorted(
        (_request_in(m) for m in mails if "METHOD:REQUEST" in m.as_string()),
        key=lambda v: int(v["SEQUENCE"]),
    )
    assert [int(v["SEQUENCE"]) for v in mailed] == [0, 2]  # the CANCEL between was 1

    base = manage_url(person).replace(live.base, "")
    with httpx.Client(base_url=live.base) as client:
        [link] = _links(client.get(base).text, "/invitation/")
        download = client.get(link)
    assert download.headers["content-type"] == "text/calendar; charset=utf-8"
    calendar = icalendar.Calendar.from_ical(download.content)
    assert str(calendar["METHOD"]) == "REQUEST"
    [vevent] = calendar.walk("VEVENT")
    last = mailed[-1]
    for name in ("UID", "SEQUENCE", "ORGANIZER", "ATTENDEE"):
        assert str(vevent[name]) == str(last[name]), name
    assert str(vevent["UID"]) == event_uid(event) and int(vevent["SEQUENCE"]) == 2
    assert str(vevent["ATTENDEE"]) == "mailto:revient@exemple.fr"
    assert str(vevent["ORGANIZER"]) == "mailto:relais@crpv.example"
    assert b"\r\nSEQUENCE:2\r\n" in download.content


def test_every_published_file_names_the_crpv_as_organizer(live: Live, session: Session) -> None:
    """RFC 5546 §3.2.1: a PUBLISH has an ORGANIZER."""
    event = make_event(session, title="Atelier ouvert")
    with httpx.Client(base_url=live.base) as client:
        files = [client.get(f"/e/{event.code}/agenda.ics"), client.get("/agenda.ics")]
    for response in files:
        calendar = icalendar.Calendar.from_ical(response.content)
        assert str(calendar["METHOD"]) == "PUBLISH"
        [vevent] = calendar.walk("VEVENT")
        organizer = vevent["ORGANIZER"]
        assert str(organizer) == "mailto:relais@crpv.example"
        assert organizer.params["CN"] == "CRPV Île-de-France"
        assert str(vevent["URL"]) == f"{live.base}/e/{event.code}"
        assert b"t.me" not in response.content


def test_a_cancelled_event_offers_neither_invitation_nor_unregistering(
    live: Live, session: Session
) -> None:
    kept = make_event(session, title="Rencontre maintenue")
    dropped = make_event(session, title="Rencontre supprimée")
    person = make_person(session, email="annule@exemple.fr")
    assert kept.id and dropped.id and person.id
    registrations.register(session, kept.id, person.id, source="web")
    gone = registrations.register(session, dropped.id, person.id, source="web").registration
    session.commit()
    events.cancel(session, dropped.id, "Intervenant absent", "test")
    session.commit()
    base = manage_url(person).replace(live.base, "")
    with httpx.Client(base_url=live.base) as client:
        page = client.get(base).text
        refused = client.get(f"{base}/invitation/{gone.id}.ics")
    cards = page.split('<li class="card">')[1:]
    [dropped_card] = [c for c in cards if "Rencontre supprimée" in c]
    [kept_card] = [c for c in cards if "Rencontre maintenue" in c]
    assert "Événement annulé" in dropped_card
    assert "/invitation/" not in dropped_card and "/annuler/" not in dropped_card
    assert "Télécharger l'invitation" not in dropped_card and "Me désinscrire" not in dropped_card
    assert "/invitation/" in kept_card and "/annuler/" in kept_card
    assert "Événement annulé" not in kept_card
    assert refused.status_code == 404 and b"BEGIN:VCALENDAR" not in refused.content


def test_the_footer_subscribes_with_webcal_and_gives_the_address_for_google(
    live: Live, session: Session
) -> None:
    host = live.base.split("://", 1)[1]
    with httpx.Client(base_url=live.base) as client:
        page = client.get("/").text
        assert f'href="webcal://{host}/agenda.ics"' in page
        assert f'href="{live.base}/agenda.ics"' in page
        assert "À partir de l'URL" in page
        feed = client.get("/agenda.ics")
    assert feed.status_code == 200 and feed.content.startswith(b"BEGIN:VCALENDAR\r\n")
