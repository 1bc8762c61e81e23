"""A coordinator in a real browser (Debian's Chromium through Playwright) on the real server:
signs in by the mailed link, creates an event, sees a registration arrive, exports the
émargement, signs out; axe-core on every back-office page, on a laptop and on a phone.

Screenshots go to ``RELAIS_SCREENSHOTS`` (``/tmp/relais-screenshots`` by default);
``docs/images/`` keeps the ones the guide « premiers pas » shows.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session, select

from relais.events.models import Event
from relais.registrations import services as registrations
from relais.timefmt import local, utcnow
from tests.backoffice.conftest import coordinator, mails_to, network, signin_link
from tests.factories import make_event, make_person
from tests.web.conftest import Live
from tests.web.test_browser import SHOTS, browser, check_accessibility

__all__ = ["browser"]

COORDINATOR = "marie.durand@crpv.example"


@pytest.fixture(params=[(1280, 860), (390, 844)], ids=["laptop", "phone"])
def screen(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    width, height = request.param
    context = browser.new_context(
        viewport={"width": width, "height": height}, locale="fr-FR", bypass_csp=True,
        accept_downloads=True,
    )  # fmt: skip
    opened = context.new_page()
    yield opened
    context.close()


def _shot(page: Page, name: str) -> None:
    width = page.viewport_size["width"] if page.viewport_size else 0
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"gestion-{name}-{width}.png"), full_page=True)


def _checked(page: Page, name: str) -> None:
    """axe-core, nothing wider than the screen (tables scroll inside their box), a screenshot."""
    check_accessibility(page)
    width = page.viewport_size["width"] if page.viewport_size else 0
    assert page.evaluate("document.documentElement.scrollWidth") <= width, name
    _shot(page, name)


def _when(days: int, hour: str) -> str:
    return (local(utcnow()) + timedelta(days=days)).strftime(f"%d/%m/%Y {hour}")


def test_coordinator_signs_in_creates_follows_and_exports(
    live: Live, session: Session, screen: Page, tmp_path: Path
) -> None:
    page = screen
    mine = network(session, "Réseau des médiateurs – 93")
    coordinator(session, COORDINATOR, mine)
    make_event(session, title="Webinaire santé et quartiers", networks=[mine.code], capacity=30)

    page.goto(live.base + "/gestion/")
    assert page.url.endswith("/gestion/connexion")
    _checked(page, "connexion")
    page.get_by_role("button", name="Recevoir mon lien de connexion").click()
    expect(page.get_by_role("alert")).to_be_visible()
    _checked(page, "connexion-erreur")
    page.get_by_label("Adresse e-mail").fill(COORDINATOR)
    page.get_by_role("button", name="Recevoir mon lien de connexion").click()
    expect(page.get_by_role("heading", name="Regardez votre messagerie")).to_be_visible()
    _checked(page, "lien-envoye")
    page.goto(signin_link(mails_to(live, COORDINATOR)[-1]))
    _checked(page, "se-connecter")
    page.get_by_role("button", name="Me connecter").click()
    expect(page.get_by_role("heading", name="Tableau de bord")).to_be_visible()
    expect(page.get_by_text("Webinaire santé et quartiers")).to_be_visible()
    _checked(page, "tableau-de-bord")

    page.get_by_role("link", name="Créer un événement").first.click()
    page.get_by_label("Titre").fill("Ré")
    page.get_by_role("button", name="Créer l'événement").click()
    expect(page.locator("#titre-erreur")).to_be_visible()
    _checked(page, "creer-erreurs")
    page.get_by_label("Titre").fill("Rencontre du réseau des médiateurs")
    page.get_by_label("Début").fill(_when(30, "09:30"))
    page.get_by_label("Fin", exact=False).first.fill(_when(30, "12:30"))
    page.get_by_label("Lieu").fill("Maison des associations, Saint-Denis")
    page.get_by_label("Nombre de places").fill("20")
    page.get_by_label("Réseau des médiateurs – 93").check()
    page.get_by_role("button", name="Créer l'événement").click()
    expect(page.get_by_text("L'événement est créé.")).to_be_visible()
    event = session.exec(select(Event).where(Event.title.startswith("Rencontre"))).one()  # type: ignore[attr-defined]
    session.commit()
    assert event.id is not None

    person = make_person(
        session, first_name="Amina", last_name="Benali", email="amina.benali@exemple.fr",
        organisation="Ville de Saint-Denis", departement_code="93", profile_id=1,
    )  # fmt: skip
    assert person.id is not None
    registrations.register(session, event.id, person.id, source="bot")
    session.commit()
    page.reload()
    expect(page.get_by_role("rowheader", name="Benali Amina")).to_be_visible()
    _checked(page, "inscriptions")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="feuille d'émargement PDF").click()
    download = download_info.value
    assert download.suggested_filename == f"emargement-{event.code}.pdf"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")

    page.get_by_label("Amina Benali").check()
    page.get_by_role("button", name="Écrire aux personnes cochées").click()
    page.get_by_label("Objet").fill("Changement de salle")
    page.get_by_label("Message", exact=False).fill("La rencontre a lieu salle 4.")
    page.get_by_role("button", name="Voir l'aperçu").click()
    expect(page.get_by_text("Bonjour Amina,")).to_be_visible()
    _checked(page, "ecrire")
    page.get_by_role("button", name="Envoyer").click()
    expect(page.get_by_text("Le message part par e-mail à 1 personne.")).to_be_visible()
    page.get_by_role("link", name="Le jour J").click()
    _checked(page, "jour-j")
    page.get_by_role("button", name="Présent : Amina Benali").click()
    expect(page.get_by_text("Présence enregistrée.")).to_be_visible()
    page.go_back()
    page.go_back()
    for link, name in (("Modifier", "modifier"), ("Inscrire une personne", "inscrire"),
                       ("Dupliquer", "dupliquer"), ("Annuler l'événement", "annuler")):  # fmt: skip
        page.get_by_role("link", name=link, exact=True).click()
        _checked(page, name)
        page.go_back()
    page.get_by_role("navigation", name="Menu de gestion").get_by_role(
        "link", name="Événements"
    ).click()
    _checked(page, "evenements")
    page.goto(live.base + "/gestion/evenements/999999")
    _checked(page, "refus")
    page.goto(live.base + "/gestion/")
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_role("heading", name="Vous êtes déconnecté")).to_be_visible()
    _checked(page, "deconnecte")
    page.goto(live.base + "/gestion/evenements")
    expect(page).to_have_url(re.compile(r"/gestion/connexion$"))
    assert re.search(r"Connexion", page.title())
