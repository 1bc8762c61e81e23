"""The communication officer in a real browser (Debian's Chromium through Playwright) on the
real server: writes an issue (errors beside the fields first), previews it as subscribers
will see it, sends a test that reaches the SMTP server, sends it to the subscribers, who
each get it once, follows the sending; then the subscribers' page and a CSV import.
axe-core on every page, on a laptop and a phone; the screenshots feed docs/premiers-pas.md."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session

from mailer import newsletter_jobs
from tests.backoffice.conftest import coordinator, mails_to, signin_link
from tests.backoffice.test_browser import _checked, screen
from tests.backoffice.test_newsletter import subscribers
from tests.factories import make_event
from tests.web.conftest import Live
from tests.web.test_browser import browser

__all__ = ["browser", "screen"]

EDITOR = "communication@crpv.example"
BODY = (
    "## À la une\n\nLes **Cités éducatives** se réunissent le 12 décembre.\n\n"
    "- un atelier sur la médiation\n- un temps d'échange\n\n"
    "[Lire le compte rendu](https://crpv.example/compte-rendu)\n\n## Agenda\n"
)
BAD_CSV = "email;prénom;nom\nlea.martin@exemple.fr;Léa;Martin\npas-une-adresse;Paul;Durand\n"


def _sign_in(page: Page, live: Live) -> None:
    page.goto(live.base + "/gestion/connexion")
    page.get_by_label("Adresse e-mail").fill(EDITOR)
    page.get_by_role("button", name="Recevoir mon lien de connexion").click()
    expect(page.get_by_role("heading", name="Regardez votre messagerie")).to_be_visible()
    page.goto(signin_link(mails_to(live, EDITOR)[-1]))
    page.get_by_role("button", name="Me connecter").click()
    expect(page.get_by_role("heading", name="Tableau de bord")).to_be_visible()


def _menu(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Menu de gestion").get_by_role("link", name=name).click()


def test_editor_writes_previews_tests_and_sends_the_newsletter(
    live: Live, session: Session, screen: Page
) -> None:
    page = screen
    coordinator(session, EDITOR)
    addresses = subscribers(session, 2)
    make_event(session, title="Webinaire santé et quartiers")
    session.commit()
    _sign_in(page, live)

    _menu(page, "Ressources Info")
    expect(page.get_by_role("heading", name="Ressources Info", exact=True)).to_be_visible()
    _checked(page, "lettre")
    page.get_by_role("link", name="Écrire une nouvelle lettre").click()
    page.get_by_role("button", name="Prévisualiser").click()
    expect(page.locator("#titre-erreur")).to_have_text(
        "Le titre est vide : donnez un titre à la lettre, par exemple « Les Cités éducatives »."
    )
    _checked(page, "lettre-erreurs")
    page.get_by_label("Titre", exact=False).first.fill("Les Cités éducatives")
    page.get_by_label("Mot d'accueil").fill("Bonjour à toutes et à tous,")
    page.get_by_label("Contenu").fill(BODY)
    page.get_by_role("button", name="Prévisualiser").click()
    expect(page.get_by_text("Brouillon enregistré : voici l'aperçu.")).to_be_visible()
    framed = page.frame_locator("iframe.mail-preview")
    expect(framed.get_by_text("Webinaire santé et quartiers")).to_be_visible()
    _checked(page, "lettre-apercu")

    page.get_by_label("Adresses d'essai").fill("moi@crpv.example")
    page.get_by_role("button", name="Envoyer un essai").click()
    expect(page.get_by_text("L'essai part aux adresses indiquées")).to_be_visible()
    assert len(mails_to(live, "moi@crpv.example")) == 1
    page.get_by_role("button", name="Envoyer la lettre aux abonnés").click()
    expect(page.get_by_text("La lettre part : les abonnés la reçoivent")).to_be_visible()
    newsletter_jobs.advance()
    live.deliver()
    newsletter_jobs.advance()
    page.get_by_role("link", name="Actualiser").click()
    expect(page.locator("ul.stats li").first).to_have_text("2 envoyés")
    expect(page.get_by_text("Envoyée", exact=True)).to_be_visible()
    _checked(page, "lettre-suivi")
    for address in addresses:
        assert len(mails_to(live, address)) == 1, address
    page.get_by_role("link", name="Ressources Info", exact=True).first.click()
    expect(page.get_by_role("link", name="n° 1 – Les Cités éducatives")).to_be_visible()
    _checked(page, "lettre-archive")


def test_editor_adds_and_imports_subscribers(
    live: Live, session: Session, screen: Page, tmp_path: Path
) -> None:
    page = screen
    coordinator(session, EDITOR)
    subscribers(session, 3)
    _sign_in(page, live)
    _menu(page, "Abonnés")
    expect(page.get_by_role("heading", name="Abonnés à « Ressources Info »")).to_be_visible()
    _checked(page, "abonnes")
    page.get_by_label("Adresse e-mail").fill("camille@exemple")
    page.get_by_role("button", name="Abonner", exact=True).click()
    expect(page.locator("#email-erreur")).to_be_visible()
    expect(page.locator("#source-erreur")).to_be_visible()
    _checked(page, "abonnes-erreurs")
    page.get_by_label("Adresse e-mail").fill("camille.roux@exemple.fr")
    page.get_by_label("Origine du consentement").fill("formulaire papier du 12/03/2026")
    page.get_by_role("button", name="Abonner", exact=True).click()
    expect(page.get_by_text("camille.roux@exemple.fr est abonné·e.")).to_be_visible()
    page.get_by_role("link", name="Importer un fichier CSV").click()
    page.get_by_role("button", name="Importer").click()
    expect(page.locator("#fichier-erreur")).to_be_visible()
    csv_file = tmp_path / "contacts.csv"
    csv_file.write_text(BAD_CSV, encoding="utf-8")
    page.get_by_label("Fichier CSV").set_input_files(str(csv_file))
    page.get_by_role("button", name="Importer").click()
    expect(
        page.get_by_text("1 importée(s), 0 mise(s) à jour, 0 ignorée(s), 1 refusée(s)", exact=False)
    ).to_be_visible()
    expect(page.get_by_role("cell", name="adresse e-mail invalide")).to_be_visible()
    _checked(page, "abonnes-import")


def test_live_preview_and_progress_under_the_real_policy(
    live: Live, session: Session, browser: Browser
) -> None:
    """Without bypassing the CSP: the framed preview and the small script are allowed, and
    the preview follows what is typed without pressing « Prévisualiser »."""
    coordinator(session, EDITOR)
    make_event(session, title="Webinaire santé et quartiers")
    session.commit()
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    page = context.new_page()
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text))
    try:
        _sign_in(page, live)
        page.goto(live.base + "/gestion/lettre/nouvelle")
        page.get_by_label("Titre", exact=False).first.fill("Première version")
        page.get_by_label("Contenu").fill(BODY)
        page.get_by_role("button", name="Prévisualiser").click()
        framed = page.frame_locator("iframe.mail-preview")
        expect(framed.get_by_text("Webinaire santé et quartiers")).to_be_visible()
        page.get_by_label("Titre", exact=False).first.fill("Seconde version")
        expect(page.locator("#apercu-etat")).to_have_text("Aperçu mis à jour.")
        expect(
            page.frame_locator("iframe.mail-preview").get_by_text("Seconde version")
        ).to_be_visible()
        expect(page.locator("pre.preview")).to_contain_text("Seconde version", use_inner_text=False)
    finally:
        context.close()
    assert not [text for text in refused if "Content Security Policy" in text], refused
