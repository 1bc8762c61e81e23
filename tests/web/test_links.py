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
