"""A person in a real browser (Debian's Chromium driven by Playwright) on the real server:
the whole journey, every field wrong, an expired link; axe-core on every public page;
screenshots of the agenda, an event page, the form and « Mes inscriptions » (375 px); golden files of the pages' text."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright
from sqlmodel import Session

from relais.access import tokens
from relais.events.models import EventFormat
from relais.registrations import services as registrations
from tests.conftest import assert_golden
from tests.factories import make_event, make_person
from tests.web.conftest import Live, link_in, text_of

CHROMIUM = os.environ.get("RELAIS_CHROMIUM", "/usr/bin/chromium")
AXE = (
    Path(__file__).resolve().parents[2]
    / ".cache"
    / "axe"
    / "node_modules"
    / "axe-core"
    / "axe.min.js"
)
SHOTS = Path(os.environ.get("RELAIS_SCREENSHOTS", "/tmp/relais-screenshots"))
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]  # fmt: skip


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} missing: apt-get install chromium (.ci/run does)"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    # bypass_csp: only so that axe-core can be injected; the pages' own policy stays strict.
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="fr-FR", bypass_csp=True
    )
    opened = context.new_page()
    yield opened
    context.close()


def check_accessibility(page: Page) -> None:
    """axe-core on the page as shown: no serious or critical violation."""
    assert AXE.exists(), f"{AXE} missing: make axe (npm install of axe-core) installs it"
    page.wait_for_load_state()
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']})"
    )
    bad = [
        f"{v['id']} ({v['impact']}): {v['nodes'][0]['target']}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert bad == [], f"{page.url}: {bad}"


def check_tap_targets(links: Locator) -> None:
    """Each link at least 44 px high and wide enough for a thumb, none touching another."""
    boxes = [links.nth(index).bounding_box() for index in range(links.count())]
    assert len(boxes) >= 2
    for box in boxes:
        assert box is not None and box["height"] >= 44 and box["width"] >= 44, box
    for first, second in pairwise(boxes):
        assert first is not None and second is not None
        apart_x = second["x"] >= first["x"] + first["width"] + 8
        apart_y = second["y"] >= first["y"] + first["height"] + 8
        assert apart_x or apart_y, (first, second)


def compare_golden(name: str, page: Page) -> None:
    """The words of the page, links to one person's page masked, against ``tests/golden/web/``."""
    actual = re.sub(
        r"/mes-inscriptions/[A-Za-z0-9._-]+", "/mes-inscriptions/<lien>", text_of(page.content())
    )
    assert_golden(f"web/{name}", actual)


def fill_profile(page: Page, email: str) -> None:
    page.get_by_label("Nom", exact=False).first.fill("Benali")
    page.get_by_label("Prénom").fill("Amina")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label(re.compile(r"^Structure")).fill("Ville de Saint-Denis")
    page.get_by_label("Type de structure").select_option(label="Collectivité territoriale")
    page.get_by_label("Profil professionnel").select_option(index=1)
    page.get_by_label("Département où vous travaillez").select_option("93")
    page.get_by_label(re.compile("J'accepte")).check()


def confirm_by_mail(live: Live, page: Page, address: str) -> None:
    """Open the link of the last « Confirmez votre inscription » mail to ``address`` and
    press its button, as the owner of the address does."""
    asked = [m for m in live.deliver() if m["To"] == address and "Confirmez" in m["Subject"]]
    assert asked, f"no confirmation link mailed to {address}"
    page.goto(link_in(asked[-1]))
    check_accessibility(page)
    page.get_by_role("button", name="Confirmer mon inscription").click()


def test_find_register_receive_open_cancel_and_promote(
    live: Live, session: Session, page: Page
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    event = make_event(
        session, title="Rencontre du réseau des médiateurs", capacity=1, theme="Médiation sociale",
        starts_at=datetime(2031, 3, 11, 8, 30, tzinfo=UTC), duration_minutes=180,
        venue="Maison des associations, Montreuil", description="Échanges de pratiques.",
    )  # fmt: skip
    event.code = "med31x"
    session.add(event)
    session.commit()
    make_event(
        session, title="Webinaire santé", format=EventFormat.DISTANCIEL,
        starts_at=datetime(2031, 4, 2, 12, 0, tzinfo=UTC), visio_url="https://visio.exemple.fr/s",
    )  # fmt: skip

    page.goto(live.base + "/")
    assert page.title() == "Agenda des rencontres – CRPV Île-de-France"
    check_accessibility(page)
    compare_golden("agenda.txt", page)
    page.screenshot(path=str(SHOTS / "agenda.png"), full_page=True)
    page.get_by_role("link", name="Rencontre du réseau des médiateurs").click()
    assert page.url.endswith("/e/med31x")
    check_accessibility(page)
    compare_golden("event.txt", page)
    page.screenshot(path=str(SHOTS / "event.png"), full_page=True)

    fill_profile(page, "amina.benali@exemple.fr")
    page.screenshot(path=str(SHOTS / "form.png"), full_page=True)
    page.get_by_role("button", name="Envoyer mon inscription").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Regardez votre messagerie"
    check_accessibility(page)
    confirm_by_mail(live, page, "amina.benali@exemple.fr")
    assert page.get_by_role("heading", level=1).inner_text() == "Inscription confirmée"
    check_accessibility(page)

    # Someone else comes next: the event is now full, they wait.
    page.goto(live.base + "/e/med31x")
    assert "liste d'attente" in page.content()
    fill_profile(page, "second@exemple.fr")
    page.get_by_role("button", name="Envoyer mon inscription").click()
    assert "Complet pour l'instant" in page.content()
    confirm_by_mail(live, page, "second@exemple.fr")
    assert page.get_by_role("heading", level=1).inner_text() == "Vous êtes sur la liste d'attente"

    mails = {m["To"]: m for m in live.deliver()}
    invitation = mails["amina.benali@exemple.fr"]
    assert any(part.get_content_type() == "text/calendar" for part in invitation.walk())
    page.goto(link_in(invitation))
    assert page.title().startswith("Mes inscriptions")
    check_accessibility(page)
    compare_golden("manage.txt", page)
    assert "Collectivité territoriale" in page.content()
    page.set_viewport_size({"width": 375, "height": 812})
    check_tap_targets(page.locator(".card .actions a"))
    page.screenshot(path=str(SHOTS / "manage.png"), full_page=True)
    page.get_by_role("link", name="Corriger mon profil").click()
    check_accessibility(page)
    chosen = page.get_by_label("Type de structure")
    assert chosen.locator("option:checked").inner_text() == "Collectivité territoriale"
    page.go_back()
    page.get_by_role("link", name=re.compile("Me désinscrire")).click()
    check_accessibility(page)
    page.get_by_role("button", name="Confirmer ma désinscription").click()
    # The answer is a redirect: wait for the page it leads to before reading it.
    expect(page.get_by_text("Votre désinscription est enregistrée")).to_be_visible()

    later = live.deliver()
    promoted = [m for m in later if m["To"] == "second@exemple.fr" and "Une place" in m["Subject"]]
    assert promoted, [m["Subject"] for m in later]
    page.goto(link_in(promoted[0]))
    assert "Inscription confirmée" in page.content()


def test_every_field_wrong_in_the_browser(live: Live, session: Session, page: Page) -> None:
    event = make_event(session, title="Atelier", starts_at=datetime(2031, 5, 6, 12, tzinfo=UTC))
    page.goto(f"{live.base}/e/{event.code}")
    page.get_by_label("Adresse e-mail").fill("pas-une-adresse")
    page.get_by_label("Téléphone").fill("12")
    page.get_by_role("button", name="Envoyer mon inscription").click()
    assert page.title().startswith("Erreur\u00a0: ")
    summary = page.get_by_role("alert")
    assert "9 champs à corriger" in summary.inner_text()
    email = page.get_by_label("Adresse e-mail")
    assert email.input_value() == "pas-une-adresse"
    assert email.get_attribute("aria-invalid") == "true"
    described = (email.get_attribute("aria-describedby") or "").split()
    assert "email-erreur" in described
    assert "adresse e-mail valide" in page.locator("#email-erreur").inner_text()
    summary.get_by_role("link").nth(2).click()
    assert page.url.endswith("#email")
    check_accessibility(page)
    compare_golden("form_errors.txt", page)


def test_expired_link_and_other_public_pages(live: Live, session: Session, page: Page) -> None:
    person = make_person(session, email="lien@exemple.fr")
    event = make_event(session, title="Cycle séance")
    registrations.register(session, event.id, person.id, source="test")
    session.commit()
    old = tokens.make("manage", str(person.id), "lien@exemple.fr", timedelta(seconds=-5))
    page.goto(f"{live.base}/mes-inscriptions/{old}")
    assert page.get_by_role("heading", level=1).inner_text() == "Ce lien a expiré"
    check_accessibility(page)
    page.get_by_role("link", name="Demandez un nouveau lien").click()
    check_accessibility(page)
    compare_golden("manage_request.txt", page)
    page.get_by_label("Adresse e-mail").fill("lien@exemple.fr")
    page.get_by_role("button", name="Recevoir mon lien").click()
    check_accessibility(page)
    link = link_in(next(m for m in live.deliver() if "Votre lien" in m["Subject"]))
    for path in ("", "/profil", "/supprimer"):
        page.goto(link + path)
        check_accessibility(page)
    page.goto(f"{live.base}/e/inconnu")
    check_accessibility(page)


def test_cycle_confirmation_refusal_and_limit_pages_are_accessible(
    live: Live, session: Session, page: Page, monkeypatch: pytest.MonkeyPatch
) -> None:
    from relais.events import services as events
    from relais.events.schemas import EventInput
    from relais.settings import get_settings

    start = datetime(2031, 6, 2, 7, 0, tzinfo=UTC)
    sessions = [
        EventInput(title=f"Séance {n}", starts_at=start + timedelta(days=7 * n), capacity=5)
        for n in range(1, 3)
    ]
    series, _created = events.create_series(
        session, "Cycle intelligence territoriale", sessions, "t"
    )
    make_person(session, email="connue@exemple.fr", first_name="Nadia")
    full = make_event(session, title="Complet", capacity=1, waitlist_enabled=False)
    session.commit()
    page.goto(f"{live.base}/c/{series.code}")
    check_accessibility(page)
    compare_golden("series.txt", page)
    fill_profile(page, "connue@exemple.fr")
    page.get_by_role("button", name="Envoyer mon inscription").click()
    link = link_in(next(m for m in live.deliver() if "Confirmez" in m["Subject"]))
    page.goto(link)
    check_accessibility(page)
    page.get_by_role("button", name="Confirmer mon inscription").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Inscription confirmée"
    check_accessibility(page)

    page.goto(f"{live.base}/e/{full.code}")
    fill_profile(page, "premiere@exemple.fr")  # meanwhile, someone takes the last seat
    registrations.register(session, full.id, make_person(session).id, source="telegram")
    session.commit()
    page.get_by_role("button", name="Envoyer mon inscription").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Inscription impossible"
    check_accessibility(page)

    monkeypatch.setenv("WEB_RATE_PER_EMAIL", "1")
    get_settings.cache_clear()
    for _ in range(2):
        page.goto(f"{live.base}/mes-inscriptions")
        page.get_by_label("Adresse e-mail").fill("meme@exemple.fr")
        page.get_by_role("button", name="Recevoir mon lien").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Trop de demandes"
    check_accessibility(page)
