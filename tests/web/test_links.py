"""Where « S'inscrire » leads from e-mails and the newsletter, and the signed links' rules."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session

from relais.access import links, tokens
from relais.settings import SettingsError, get_settings, load_settings
from tests.factories import make_event


def test_register_link_is_the_event_page_unless_telegram_is_kept(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    event = make_event(session)
    assert links.register_link(event) == f"http://localhost:8080/e/{event.code}"
    monkeypatch.setenv("REGISTER_LINK", "telegram")
    get_settings.cache_clear()
    assert links.register_link(event) == f"https://t.me/RelaisCRPVBot?start={event.code}"


def test_tokens_are_scoped_to_a_purpose_an_address_and_a_time(db_url: str) -> None:
    token = tokens.make("manage", "12", "a@exemple.fr", timedelta(days=1))
    assert tokens.verify("manage", token, "a@exemple.fr")
    assert not tokens.verify("confirm", token, "a@exemple.fr")
    assert not tokens.verify("manage", token, "b@exemple.fr")
    assert not tokens.verify("manage", token.replace("12.", "13.", 1), "a@exemple.fr")
    old = tokens.make("manage", "12", "a@exemple.fr", timedelta(seconds=-1))
    with pytest.raises(tokens.Expired):
        tokens.verify("manage", old, "a@exemple.fr")


@pytest.mark.parametrize("colour", ["#ffcc00", "bleu", "#12345"])
def test_a_colour_too_light_or_malformed_stops_start_up(colour: str) -> None:
    with pytest.raises(SettingsError, match="ORGANISATION_COLOUR"):
        load_settings(organisation_colour=colour)


def test_without_a_bot_no_telegram_link_is_made(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No TELEGRAM_BOT_USERNAME (the default): even REGISTER_LINK=telegram leads to the page."""
    from relais.events import services as events
    from relais.events.schemas import EventInput

    event = make_event(session)
    series, _sessions = events.create_series(
        session, "Cycle", [EventInput(title="Séance", starts_at=event.starts_at)], "test"
    )
    monkeypatch.delenv("TELEGRAM_BOT_USERNAME")
    monkeypatch.setenv("REGISTER_LINK", "telegram")
    get_settings.cache_clear()
    assert not links.telegram_enabled()
    assert links.event_telegram_link(event) == ""
    assert links.register_link(event) == f"http://localhost:8080/e/{event.code}"
    assert links.series_register_link(series) == f"http://localhost:8080/c/{series.code}"
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", "CrpvOuestBot")
    get_settings.cache_clear()
    assert links.series_register_link(series) == f"https://t.me/CrpvOuestBot?start=c_{series.code}"
