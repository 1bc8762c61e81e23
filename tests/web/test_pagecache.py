"""Pages kept rendered a moment (web.pagecache): each visitor's own token, changes made in
this process shown at once, changes made elsewhere shown after the delay, a bounded cache."""

from __future__ import annotations

import time

import httpx
import pytest
import sqlalchemy as sa
from sqlmodel import Session

from relais.registrations import services as registrations
from relais.settings import get_settings
from tests.factories import make_event, make_person
from tests.web.conftest import Live, csrf_of, profile_form
from web import pagecache
from web.render import TOKEN_SLOT


def test_each_visitor_gets_a_kept_page_with_their_own_token(live: Live, session: Session) -> None:
    event = make_event(session, title="Rencontre des référents PRE", capacity=30)
    session.commit()
    with (
        httpx.Client(base_url=live.base) as first,
        httpx.Client(base_url=live.base) as second,
    ):
        pages = [first.get(f"/e/{event.code}").text, second.get(f"/e/{event.code}").text]
        tokens = [csrf_of(page) for page in pages]
        assert tokens[0] != tokens[1] and TOKEN_SLOT not in pages[0] + pages[1]
        assert pages[0].replace(tokens[0], "T") == pages[1].replace(tokens[1], "T")
        for number, (client, token) in enumerate(zip((first, second), tokens, strict=True)):
            form = profile_form(email=f"visiteur{number}@exemple.fr", csrf=token)
            answer = client.post(f"/e/{event.code}", data=form)
            assert answer.status_code == 200, answer.text


def test_a_seat_taken_through_another_channel_shows_at_once(live: Live, session: Session) -> None:
    event = make_event(session, title="Atelier santé", capacity=5)
    person = make_person(session, email="par.le.bot@exemple.fr")
    session.commit()
    with httpx.Client(base_url=live.base) as client:
        assert "5 places restantes" in client.get(f"/e/{event.code}").text
        assert "5 places restantes" in client.get("/").text
        assert event.id is not None and person.id is not None
        registrations.register(session, event.id, person.id, source="telegram")
        session.commit()
        assert "4 places restantes" in client.get(f"/e/{event.code}").text
        assert "4 places restantes" in client.get("/").text


def test_a_change_made_by_another_process_shows_at_once_on_sqlite_or_after_the_delay(
    live: Live, session: Session, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A command of the CLI emits no event in the server's process: SQLite's data version
    still tells the server within a tenth of a second; on PostgreSQL the page is at most
    the delay old."""
    monkeypatch.setenv("WEB_PAGE_CACHE_SECONDS", "0.5")
    get_settings.cache_clear()
    event = make_event(session, title="Titre de départ")
    session.commit()
    with httpx.Client(base_url=live.base) as client:
        assert "Titre de départ" in client.get(f"/e/{event.code}").text
        assert "Titre de départ" in client.get(f"/e/{event.code}").text  # kept
        other_process = sa.create_engine(db_url)
        with other_process.begin() as connection:  # as the CLI would: no event here
            connection.execute(
                sa.text("UPDATE event SET title = 'Titre changé' WHERE id = :id"), {"id": event.id}
            )
        other_process.dispose()
        time.sleep(pagecache.VERSION_EVERY_SECONDS * 1.5)
        if db_url.startswith("sqlite"):
            assert "Titre changé" in client.get(f"/e/{event.code}").text
        else:
            assert "Titre de départ" in client.get(f"/e/{event.code}").text
            time.sleep(0.6)
            assert "Titre changé" in client.get(f"/e/{event.code}").text


def test_pages_are_kept_while_nothing_is_written(
    live: Live, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a kept page saves: no rendering while the database does not change."""
    event = make_event(session, title="Rencontre gardée")
    session.commit()
    renders: list[str] = []
    original = pagecache.Rendered

    def counting(html: str, status: int, event_ids: frozenset[int]) -> pagecache.Rendered:
        renders.append(html[:10])
        return original(html, status, event_ids)

    monkeypatch.setattr(pagecache, "Rendered", counting)
    with httpx.Client(base_url=live.base) as client:
        for _ in range(5):
            assert "Rencontre gardée" in client.get(f"/e/{event.code}").text
    assert len(renders) == 1


def test_the_cache_keeps_a_bounded_number_of_pages_and_no_missing_page() -> None:
    pagecache.clear()
    renders: list[object] = []

    def render(status: int) -> pagecache.Rendered:
        renders.append(status)
        return pagecache.Rendered("<p>page</p>", status, frozenset())

    for number in range(pagecache.MAX_PAGES + 100):
        pagecache.fetch(("agenda", number), lambda: render(200))
    assert len(pagecache._pages) == pagecache.MAX_PAGES
    assert ("agenda", 0) not in pagecache._pages and ("agenda", 599) in pagecache._pages
    renders.clear()
    pagecache.fetch(("event", "zzzzzz"), lambda: render(404))
    pagecache.fetch(("event", "zzzzzz"), lambda: render(404))
    assert renders == [404, 404]
    pagecache.clear()
