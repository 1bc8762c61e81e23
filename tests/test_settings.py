"""Bad settings stop start-up with one French line naming the setting."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from relais.settings import SettingsError, load_settings


@pytest.mark.parametrize(
    ("variable", "value", "name"),
    [
        ("SMTP_PORT", "vingt-cinq", "SMTP_PORT"),
        ("TIMEZONE", "Europe/Lutece", "TIMEZONE"),
        ("PUBLIC_BASE_URL", "pas-une-url", "PUBLIC_BASE_URL"),
        ("DATABASE_URL", "mysql://x", "DATABASE_URL"),
        ("SMTP_SECURITY", "ssl3", "SMTP_SECURITY"),
        ("ADMIN_TELEGRAM_IDS", "12,abc", "ADMIN_TELEGRAM_IDS"),
        ("IMAP_SECURITY", "ssl3", "IMAP_SECURITY"),
        ("IMAP_PORT", "0", "IMAP_PORT"),
        ("IMAP_POLL_SECONDS", "0", "IMAP_POLL_SECONDS"),
        ("MAIL_BOUNCE_ADDRESS", "pasunemail", "MAIL_BOUNCE_ADDRESS"),
    ],
)
def test_bad_value_names_the_setting(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, name: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith(f"Réglage {name} invalide")
    assert "\n" not in message


@pytest.mark.parametrize("weak", ["court", "relais-development-key-not-secret"])
def test_a_weak_or_public_secret_key_is_refused(monkeypatch: pytest.MonkeyPatch, weak: str) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("SECRET_KEY", weak)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert str(caught.value).startswith("Réglage SECRET_KEY trop faible")
    assert weak not in str(caught.value)


def test_production_runs_without_a_secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    assert load_settings().secret_key == ""


def test_secrets_are_never_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMTP_PASSWORD", "motdepasse-tres-secret")
    monkeypatch.setenv("IMAP_PASSWORD", "motdepasse-tres-secret")
    monkeypatch.setenv("SMTP_PORT", "nope")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert "motdepasse" not in str(caught.value)


def test_admin_ids_and_postgres_url_are_normalised(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_TELEGRAM_IDS", "12, 34;56")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@h/db")
    settings = load_settings()
    assert settings.admin_telegram_ids == [12, 34, 56]
    assert settings.database_url == "postgresql+psycopg://u@h/db"


def test_command_line_prints_one_line_and_no_traceback(tmp_path: object) -> None:
    env = {**os.environ, "SMTP_PORT": "abc"}
    result = subprocess.run(
        [sys.executable, "-m", "relais", "event", "list"],
        capture_output=True, text=True, env=env, cwd=str(tmp_path), check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        next(line for line in result.stderr.splitlines() if "SMTP_PORT" in line)
    ]


@pytest.mark.parametrize("value", ["pasunemail", "Relais <>", "a b@c.fr"])
def test_sender_address_must_be_an_address(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("MAIL_FROM", value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert str(caught.value).startswith("Réglage MAIL_FROM invalide")


@pytest.mark.parametrize(
    ("host", "port", "expected"),
    [
        ("127.0.0.1", "8080", "http://127.0.0.1:8080"),
        ("0.0.0.0", "8099", "http://127.0.0.1:8099"),
        ("::", "8099", "http://127.0.0.1:8099"),
        ("localhost", "9000", "http://127.0.0.1:9000"),
        ("192.0.2.7", "8080", "http://192.0.2.7:8080"),
        ("2001:db8::7", "8080", "http://[2001:db8::7]:8080"),
    ],
)
def test_public_address_follows_the_listening_port_when_unset(
    monkeypatch: pytest.MonkeyPatch, host: str, port: str, expected: str
) -> None:
    """``WEB_PORT=8099 make run`` without PUBLIC_BASE_URL: e-mail links point to port 8099."""
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    monkeypatch.setenv("WEB_HOST", host)
    monkeypatch.setenv("WEB_PORT", port)
    assert load_settings().public_base_url == expected


def test_a_public_address_that_is_set_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://relais.crpv.example/")
    monkeypatch.setenv("WEB_PORT", "8099")
    assert load_settings().public_base_url == "https://relais.crpv.example"


def test_no_bot_is_named_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fresh install must not send people to a bot the centre does not own."""
    monkeypatch.delenv("TELEGRAM_BOT_USERNAME", raising=False)
    assert load_settings().telegram_bot_username == ""


@pytest.mark.parametrize(
    ("mail_from", "expected"),
    [
        (None, "CRPV Île-de-France <relais@localhost>"),
        ("relais@crpv.example", "CRPV Île-de-France <relais@crpv.example>"),
        ("Équipe CRPV <relais@crpv.example>", "Équipe CRPV <relais@crpv.example>"),
    ],
)
def test_a_bare_sender_is_shown_under_the_organisation_name(
    monkeypatch: pytest.MonkeyPatch, mail_from: str | None, expected: str
) -> None:
    monkeypatch.setenv("ORGANISATION_NAME", "CRPV Île-de-France")
    if mail_from is None:
        monkeypatch.delenv("MAIL_FROM", raising=False)
    else:
        monkeypatch.setenv("MAIL_FROM", mail_from)
    assert load_settings().mail_from == expected


def test_the_organisation_name_with_a_comma_is_quoted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORGANISATION_NAME", "CRPV, Pays de la Loire")
    monkeypatch.delenv("MAIL_FROM", raising=False)
    assert load_settings().mail_from == '"CRPV, Pays de la Loire" <relais@localhost>'


def test_contact_address_falls_back_to_reply_to_then_sender(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("MAIL_FROM", raising=False)
    assert load_settings().contact_email == ""  # relais@localhost: nobody could write to it
    monkeypatch.setenv("MAIL_FROM", "CRPV <relais@crpv.example>")
    assert load_settings().contact_email == "relais@crpv.example"
    monkeypatch.setenv("MAIL_REPLY_TO", "equipe@crpv.example")
    assert load_settings().contact_email == "equipe@crpv.example"
    monkeypatch.setenv("ORGANISATION_CONTACT_EMAIL", "Accueil <accueil@crpv.example>")
    assert load_settings().contact_email == "accueil@crpv.example"
