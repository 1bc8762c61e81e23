"""« Chiffres », « Journal » and « Réseaux » in a real browser (Debian's Chromium through
Playwright) on the real server: axe-core on each page, on a laptop and on a phone, nothing
wider than the screen, and the screenshots the guide « premiers pas » shows."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from sqlalchemy import Engine
from sqlmodel import Session

from relais.networks import services as networks
from tests.backoffice.conftest import coordinator, mails_to, network, signin_link
from tests.backoffice.test_browser import _checked, screen
from tests.factories import make_event, make_person
from tests.presence.datagen import Size, generate
from tests.web.conftest import Live
from tests.web.test_browser import SHOTS, browser

__all__ = ["browser", "screen"]

COORDINATOR = "marie.durand@crpv.example"


def _sign_in(page: Page, live: Live) -> None:
    page.goto(live.base + "/gestion/connexion")
    page.get_by_label("Adresse e-mail").fill(COORDINATOR)
    page.get_by_role("button", name="Recevoir mon lien de connexion").click()
    expect(page.get_by_role("heading", name="Regardez votre messagerie")).to_be_visible()
    page.goto(signin_link(mails_to(live, COORDINATOR)[-1]))
    page.get_by_role("button", name="Me connecter").click()
    expect(page.get_by_role("heading", name="Tableau de bord")).to_be_visible()


def test_figures_journal_and_networks(
    live: Live, session: Session, engine: Engine, screen: Page
) -> None:
    page = screen
    mine = network(session, "Réseau des médiateurs – 93")
    coordinator(session, COORDINATOR)
    for first, last in (("Amina", "Benali"), ("Paul", "Martin")):
        person = make_person(
            session, first_name=first, last_name=last, email=f"{first.lower()}@exemple.fr"
        )
        networks.add_member(session, mine.id or 0, person.id or 0, "test")
    session.commit()
    make_event(session, title="Rencontre des médiateurs", networks=[mine.code])
    # after our rows: the generator writes ids itself (PostgreSQL's sequences stay behind)
    with engine.begin() as connection:
        generate(
            connection, Size(years=(2024, 2025), sessions_per_year=30, attendees=6, people=160)
        )
    _sign_in(page, live)

    nav = page.get_by_role("navigation", name="Menu de gestion")
    nav.get_by_role("link", name="Chiffres").click()
    page.get_by_label("Année", exact=True).select_option("2025")
    page.get_by_role("button", name="Afficher").click()
    expect(page.get_by_role("heading", name="Chiffres 2025")).to_be_visible()
    expect(page.get_by_role("img", name="Participations par thématique")).to_be_visible()
    _checked(page, "chiffres")
    width = page.viewport_size["width"] if page.viewport_size else 0
    page.screenshot(path=str(SHOTS / f"gestion-chiffres-ecran-{width}.png"))  # the guide's
    theme = page.locator('section[aria-labelledby="theme-section"]')
    theme.screenshot(path=str(SHOTS / f"gestion-chiffres-graphique-{width}.png"))
    with page.expect_download() as download:
        page.get_by_role("link", name="Tableaux XLSX").click()
    assert download.value.suggested_filename == "rapport-2025.xlsx"

    nav.get_by_role("link", name="Réseaux").click()
    _checked(page, "reseaux")
    page.get_by_role("link", name="Réseau des médiateurs – 93").click()
    expect(page.get_by_role("rowheader", name="Benali Amina")).to_be_visible()
    page.get_by_role("button", name="Ajouter au réseau").click()
    expect(page.locator("#adresses-erreur")).to_be_visible()
    _checked(page, "reseau-erreur")
    page.get_by_label("Événement", exact=True).select_option(
        label=page.locator("#evenement option").first.inner_text()
    )
    page.get_by_role("button", name="Voir qui sera invité").click()
    expect(
        page.get_by_text("2 invitations par e-mail et 0 par Telegram vont partir.")
    ).to_be_visible()
    _checked(page, "inviter")
    page.get_by_role("button", name="Envoyer les invitations").click()
    expect(page.get_by_role("heading", name="Invitations envoyées")).to_be_visible()
    _checked(page, "invitations-envoyees")

    nav.get_by_role("link", name="Journal").click()
    expect(page.get_by_role("cell", name="Réseau invité")).to_be_visible()
    _checked(page, "journal")
    page.get_by_label("Du", exact=True).fill("31/02/2026")
    page.get_by_role("button", name="Filtrer").click()
    expect(page.locator("#du-erreur")).to_be_visible()
    _checked(page, "journal-erreur")
