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
