"""The whole day of a coordinator in a real browser (Debian's Chromium through Playwright) on
the real server, with the real bot beside it: signs in by the mailed link, creates an event,
publishes it, sees a registration arrive from Telegram (the bot driven through the Bot API
stand-in of ``tests/botapi.py``, in a thread with its own event loop), exports the
émargement, marks presence, adds a walk-in, imports a Zoom report with a bad line, prints
the poster, creates a cycle after a refusal of its dates. axe-core on every new page, on a
laptop and on a phone; screenshots for the guide « premiers pas »."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session, select

from bot.application import BotComponent
from bot.plugin import subscribe
from relais.attendance.models import Attendance, AttendanceStatus
from relais.events.models import Event, EventStatus, Series
from relais.settings import get_settings
from relais.timefmt import local, utcnow
from tests.backoffice.conftest import coordinator, mails_to, network, signin_link
from tests.backoffice.test_browser import _checked, screen
from tests.bot.helpers import known_user
from tests.botapi import TOKEN, BotAPI
from tests.factories import make_event
from tests.web.conftest import Live
from tests.web.test_browser import browser

__all__ = ["browser", "screen"]

COORDINATOR = "marie.durand@crpv.example"
T = TypeVar("T")
ZOOM = (
    "Nom (nom d'origine),E-mail de l'utilisateur,Durée (minutes)\n"
    "Dominique Durand,{email},95\n"
    "Jean Inconnu,,60\n"
    "Léa Martin,lea@exemple.fr,une heure\n"
)


class BotThread(threading.Thread):
    """The Bot API stand-in and the real bot in an event loop of their own, beside Playwright's."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.loop = asyncio.new_event_loop()
        self.api = BotAPI()
        self.component: BotComponent | None = None

    def run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def call(self, coroutine: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def stop(self) -> None:
        if self.component is not None:
            self.call(self.component.stop())
        self.call(self.api.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.join(timeout=30)


@pytest.fixture
def telegram(live: Live, monkeypatch: pytest.MonkeyPatch) -> Iterator[BotThread]:
    """The bot ``relais run`` starts when a token is set, pointed at the stand-in."""
    thread = BotThread()
    thread.start()
    thread.call(thread.api.start())
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", thread.api.base_url)
    monkeypatch.setenv("PRIVACY_URL", "https://crpv.example.org/confidentialite")
    get_settings.cache_clear()
    subscribe()
    thread.component = BotComponent(get_settings())
    thread.call(thread.component.start())
    try:
        yield thread
    finally:
        thread.stop()


def _when(days: int, hour: str) -> str:
    return (local(utcnow()) + timedelta(days=days)).strftime(f"%d/%m/%Y {hour}")


def _sign_in(page: Page, live: Live) -> None:
    page.goto(live.base + "/gestion/")
    page.get_by_label("Adresse e-mail").fill(COORDINATOR)
    page.get_by_role("button", name="Recevoir mon lien de connexion").click()
    expect(page.get_by_role("heading", name="Regardez votre messagerie")).to_be_visible()
    page.goto(signin_link(mails_to(live, COORDINATOR)[-1]))
    page.get_by_role("button", name="Me connecter").click()
    expect(page.get_by_role("heading", name="Tableau de bord")).to_be_visible()


def _create_and_publish(page: Page, network_name: str) -> None:
    page.get_by_role("link", name="Créer un événement").first.click()
    page.get_by_label("Titre").fill("Rencontre du réseau des médiateurs")
    page.get_by_label("Début").fill(_when(30, "09:30"))
    page.get_by_label("Fin", exact=False).first.fill(_when(30, "12:30"))
    page.get_by_label("Lieu").fill("Maison des associations, Saint-Denis")
    page.get_by_label("Nombre de places").fill("20")
    page.get_by_label(network_name).check()
    page.get_by_label("Enregistrer en brouillon").check()
    page.get_by_role("button", name="Créer l'événement").click()
    expect(page.get_by_text("L'événement est créé.")).to_be_visible()
    page.get_by_role("button", name="Publier").click()
    expect(page.get_by_text("L'événement est publié")).to_be_visible()


def _registers_from_telegram(telegram: BotThread, session: Session, code: str) -> str:
    user, person = known_user(telegram.api, session)
    email = person.email or ""
    session.commit()  # no SQLite lock kept while the bot and the server work
    telegram.call(user.send(f"/start {code}"))
    telegram.call(user.expect("Rencontre du réseau des médiateurs"))
    telegram.call(user.tap("✅ S'inscrire"))
    telegram.call(user.expect("Inscription confirmée"))
    return email


def test_coordinator_day_with_the_bot_walk_ins_report_poster_and_cycle(
    live: Live, telegram: BotThread, session: Session, browser: Browser, tmp_path: Path
) -> None:
    mine = network(session, "Réseau des médiateurs – 93")
    network_name = mine.name
    coordinator(session, COORDINATOR, mine)
    context = browser.new_context(
        viewport={"width": 1280, "height": 860}, locale="fr-FR", bypass_csp=True,
        accept_downloads=True,
    )  # fmt: skip
    page = context.new_page()
    _sign_in(page, live)
    _create_and_publish(page, network_name)
    event = session.exec(select(Event)).one()
    event_id, code = event.id, event.code
    assert event.status == EventStatus.PUBLISHED
    session.commit()

    email = _registers_from_telegram(telegram, session, code)
    page.reload()
    expect(page.get_by_role("rowheader", name="Durand Dominique")).to_be_visible()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="feuille d'émargement PDF").click()
    saved = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF") and saved.name == f"emargement-{code}.pdf"

    page.get_by_role("link", name="Le jour J").click()
    page.get_by_role("button", name="Présent : Dominique Durand").click()
    expect(page.get_by_text("Présence enregistrée.")).to_be_visible()
    page.get_by_role("link", name="Ajouter une personne arrivée sans inscription").click()
    page.get_by_role("button", name="Ajouter et marquer présent").click()
    expect(page.get_by_role("alert")).to_be_visible()
    _checked(page, "sur-place-erreurs")
    page.locator("#nom").fill("Martin")
    page.locator("#prenom").fill("Léa")
    page.locator("#structure").fill("Ville d'Évry")
    page.locator("#profil").select_option(index=1)
    page.get_by_role("button", name="Ajouter et marquer présent").click()
    expect(
        page.get_by_text("La personne est inscrite sur place et marquée présente.")
    ).to_be_visible()
    expect(page.locator("main")).to_contain_text("2 présents sur 2 inscrits")
    _checked(page, "jour-j-sur-place")

    page.get_by_role("link", name="Importer un rapport Zoom ou Teams").click()
    _checked(page, "rapport")
    page.get_by_label("Fichier du rapport").set_input_files(
        files=[
            {
                "name": "zoom.csv",
                "mimeType": "text/csv",
                "buffer": ZOOM.format(email=email).encode(),
            }
        ]
    )
    page.get_by_label("Laisser de côté les lignes illisibles").check()
    page.get_by_role("button", name="Importer le rapport").click()
    expect(page.get_by_role("status")).to_contain_text("1 ligne illisible laissée de côté")
    expect(page.get_by_text("personne inconnue", exact=False)).to_be_visible()
    _checked(page, "rapport-resultat")

    page.goto(f"{live.base}/gestion/evenements/{event_id}/affiche")
    expect(page.get_by_role("img", name="QR code d'émargement", exact=False)).to_be_visible()
    _checked(page, "affiche")

    page.get_by_role("navigation", name="Menu de gestion").get_by_role(
        "link", name="Événements"
    ).click()
    page.get_by_role("link", name="Créer un cycle").click()
    page.get_by_label("Titre du cycle").fill("Cycle santé mentale")
    page.get_by_label("Séances").fill(f"31/02/2027 09:30\n{_when(40, '09:30')}")
    page.get_by_label(network_name).check()
    page.get_by_role("button", name="Créer le cycle").click()
    expect(page.locator("#seances-erreur")).to_contain_text("Ligne 1 : date « 31/02/2027 09:30 »")
    _checked(page, "cycle-erreurs")
    page.get_by_label("Séances").fill(f"{_when(40, '09:30')}\n{_when(47, '09:30')}")
    page.get_by_role("button", name="Créer le cycle").click()
    expect(page.get_by_text("Le cycle et ses séances sont créés.")).to_be_visible()
    _checked(page, "cycle")
    page.get_by_role("link", name="Modifier le cycle ou ajouter des séances").click()
    _checked(page, "cycle-modifier")
    page.goto(f"{live.base}/gestion/evenements")
    expect(page.get_by_role("heading", name="Cycles")).to_be_visible()
    _checked(page, "evenements-cycles")
    context.close()

    session.expire_all()
    marks = session.exec(select(Attendance).where(Attendance.event_id == event_id)).all()
    assert len(marks) == 2 and {m.status for m in marks} == {AttendanceStatus.PRESENT}
    assert len(session.exec(select(Event).where(Event.series_id.is_not(None))).all()) == 2  # type: ignore[union-attr]
    assert session.exec(select(Series)).one().title == "Cycle santé mentale"


def test_new_pages_on_a_phone(live: Live, session: Session, screen: Page) -> None:
    """The jour J with its walk-in form, a refused report, the poster and the cycle form,
    on the laptop and the phone: axe-core, nothing wider than the screen."""
    mine = network(session, "Réseau des médiateurs – 93")
    coordinator(session, COORDINATOR, mine)
    event = make_event(session, title="Atelier laïcité", networks=[mine.code])
    event_id = event.id
    session.commit()
    _sign_in(screen, live)
    screen.goto(f"{live.base}/gestion/evenements/{event_id}/jour-j")
    _checked(screen, "jour-j-complet")
    screen.goto(f"{live.base}/gestion/evenements/{event_id}/rapport")
    _checked(screen, "rapport-formulaire")
    screen.get_by_label("Fichier du rapport").set_input_files(
        files=[
            {
                "name": "zoom.csv",
                "mimeType": "text/csv",
                "buffer": ZOOM.format(email="dominique@exemple.fr").encode(),
            }
        ]
    )
    screen.get_by_role("button", name="Importer le rapport").click()
    expect(screen.get_by_role("alert")).to_contain_text("rien n'a été enregistré")
    _checked(screen, "rapport-refuse")
    screen.goto(f"{live.base}/gestion/evenements/{event_id}/affiche")
    _checked(screen, "affiche")
    screen.goto(f"{live.base}/gestion/cycles/nouveau")
    _checked(screen, "cycle-nouveau")
