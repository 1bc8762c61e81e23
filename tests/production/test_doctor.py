"""``relais doctor`` against a good and a broken configuration, as a subprocess."""

from __future__ import annotations

import asyncio
import http.server
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.botapi import TOKEN, BotAPI
from tests.mail.conftest import SmtpRecorder, free_port
from tests.production.helpers import _PRIVATE, relais


class _Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b'{"status": "ok"}' if self.path == "/healthz" else b"{}"
        self.send_response(200 if self.path == "/healthz" else 404)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: Any) -> None:
        return


@pytest.fixture
def public_site() -> Iterator[str]:
    """What the HTTPS proxy would serve at PUBLIC_BASE_URL: a /healthz that answers."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


@pytest.fixture
def smtp_with_login() -> Iterator[int]:
    """A real SMTP server on loopback that accepts only relais / s3cret."""

    def authenticator(*args: Any) -> AuthResult:
        data = args[-1]
        assert isinstance(data, LoginPassword)
        accepted = (data.login, data.password) == (b"relais", b"s3cret")
        return AuthResult(success=accepted, handled=False)  # handled=False: answer 535

    port = free_port()
    controller = Controller(SmtpRecorder(), hostname="127.0.0.1", port=port,
                            authenticator=authenticator, auth_require_tls=False)  # fmt: skip
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


@pytest.fixture
def installation(tmp_path: Path) -> Path:
    (tmp_path / ".env").write_text("SECRET_KEY=une-cle-de-test-assez-longue\n")
    assert relais("db", "upgrade", cwd=tmp_path, env={"RELAIS_HOME": str(tmp_path)}).returncode == 0
    return tmp_path


async def _doctor(home: Path, **settings: str) -> tuple[int, str]:
    base = {key: value for key, value in os.environ.items() if key not in _PRIVATE}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "relais", "doctor", cwd=home,
        env={**base, "RELAIS_HOME": str(home), "MAIL_FROM": "Relais <relais@localhost>", **settings},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return process.returncode, output.decode()


async def test_good_configuration_is_green(
    installation: Path, smtp_with_login: int, public_site: str
) -> None:
    saved = relais("backup", cwd=installation, env={"RELAIS_HOME": str(installation)})
    assert saved.returncode == 0, saved.stderr
    async with BotAPI() as api:
        code, output = await _doctor(
            installation, SMTP_HOST="127.0.0.1", SMTP_PORT=str(smtp_with_login),
            SMTP_USERNAME="relais", SMTP_PASSWORD="s3cret", TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_BASE_URL=api.base_url, PUBLIC_BASE_URL=public_site,
            TELEGRAM_BOT_USERNAME="RelaisTestBot",
        )  # fmt: skip
        assert {call.method for call in api.calls} >= {"getMe", "getWebhookInfo"}
    assert code == 0, output
    assert "✓ Base de données" in output and "joignable et à jour" in output
    assert "✓ Secret de l'installation : SECRET_KEY défini" in output
    assert "✓ Sauvegardes : dernière il y a 0 h" in output
    assert f"✓ Relais SMTP : 127.0.0.1:{smtp_with_login} joignable, identifiants acceptés" in output
    assert "✓ Bot Telegram : jeton accepté (@RelaisTestBot)" in output
    assert "Nom du bot dans les liens" not in output
    assert "✓ Webhook Telegram : long polling" in output
    assert "✓ Pages web : à l'écoute sur 127.0.0.1:" in output
    assert f"✓ Adresse publique : {public_site}/healthz répond" in output
    assert "! DNS de l'expéditeur" in output  # a local sender domain: a warning, not a failure
    assert "✗" not in output
    assert "s3cret" not in output


async def test_broken_configuration_says_what_to_do(installation: Path, public_site: str) -> None:
    async with BotAPI() as api:
        code, output = await _doctor(
            installation, SMTP_HOST="127.0.0.1", SMTP_PORT=str(free_port()),
            TELEGRAM_BOT_TOKEN="999:MAUVAIS-JETON", TELEGRAM_API_BASE_URL=api.base_url,
            PUBLIC_BASE_URL=public_site,
        )  # fmt: skip
    assert code == 1
    assert "! Sauvegardes : aucune sauvegarde" in output
    assert "✗ Relais SMTP : 127.0.0.1:" in output and "à faire : vérifiez SMTP_HOST" in output
    assert "✗ Bot Telegram : jeton refusé par Telegram — à faire : recopiez le jeton" in output
    assert "problème(s) à corriger" in output


async def test_wrong_smtp_password_is_named(installation: Path, smtp_with_login: int) -> None:
    code, output = await _doctor(
        installation, SMTP_HOST="127.0.0.1", SMTP_PORT=str(smtp_with_login),
        SMTP_USERNAME="relais", SMTP_PASSWORD="mauvais",
    )  # fmt: skip
    assert code == 1
    assert "refuse l'identifiant ou le mot de passe" in output
    assert "vérifiez SMTP_USERNAME et SMTP_PASSWORD" in output
    assert "mauvais" not in output


async def test_missing_database_is_a_failure_not_a_creation(tmp_path: Path) -> None:
    code, output = await _doctor(tmp_path)
    assert code == 1
    assert f"✗ Base de données : aucune base dans {tmp_path / 'relais.db'}" in output
    assert not (tmp_path / "relais.db").exists()


def test_sender_domain_records() -> None:
    """SPF, DKIM and DMARC read from DNS answers (here a table: no DNS server runs in tests)."""
    from relais.doctor.checks import Status, sender_domain
    from relais.settings import load_settings

    zone = {
        "crpv.fr": ["v=spf1 include:relais.exemple ~all"],
        "_dmarc.crpv.fr": ["v=DMARC1; p=none"],
        "s1._domainkey.crpv.fr": ["v=DKIM1; k=rsa; p=MIGf"],
    }
    good = load_settings(MAIL_FROM="CRPV <contact@crpv.fr>", DKIM_SELECTOR="s1")
    assert [c.status for c in sender_domain(good, lambda name: zone.get(name, []))] == [
        Status.OK
    ] * 3
    bare = load_settings(MAIL_FROM="contact@crpv.fr", DKIM_SELECTOR="")
    statuses = [c.status for c in sender_domain(bare, lambda name: [])]
    assert statuses == [Status.FAILURE, Status.FAILURE, Status.WARNING]

    def unreachable(name: str) -> list[str]:
        raise TimeoutError(name)

    [only] = sender_domain(good, unreachable)
    assert only.status == Status.WARNING and "DNS injoignable" in only.found


def test_backup_advice_fits_where_relais_runs(tmp_path: Path) -> None:
    """A developer's clone is told the plain command; a server, its nightly timer."""
    from relais.doctor.checks import Status, backups
    from relais.settings import load_settings

    clone = backups(load_settings(ENVIRONMENT="development", BACKUP_DIR=str(tmp_path)))
    assert clone[0].status == Status.WARNING
    assert "« relais backup »" in clone[0].todo and "sudo" not in clone[0].todo
    server = backups(load_settings(ENVIRONMENT="production", BACKUP_DIR=str(tmp_path)))
    assert "sudo relais backup" in server[0].todo and "systemctl" in server[0].todo


def test_web_pages_reachable_without_the_proxy_are_a_warning() -> None:
    """uvicorn takes headers of any size and waits for slow ones: only the proxy limits them."""
    from relais.doctor.checks import Status, web_listener
    from relais.settings import load_settings

    for host in ("127.0.0.1", "::1", "localhost", "127.0.0.2"):
        [line] = web_listener(load_settings(WEB_HOST=host, WEB_PORT="8080"))
        assert line.status == Status.OK, host
    for host in ("0.0.0.0", "::", "192.0.2.10", "relais.mon-crpv.fr"):
        [line] = web_listener(load_settings(WEB_HOST=host, WEB_PORT="8080"))
        assert line.status == Status.WARNING, host
        assert line.label == "Pages web" and f"à l'écoute sur {host}:8080" in line.found
        assert "mettez WEB_HOST=127.0.0.1" in line.todo and "docs/production.md" in line.todo


@pytest.mark.parametrize(
    ("named", "sign", "said"),
    [
        ("", "!", "TELEGRAM_BOT_USERNAME est vide"),
        ("RelaisCRPVBot", "✗", "ce jeton est celui de @RelaisTestBot"),
    ],
)
async def test_the_bot_named_in_links_is_the_bot_of_the_token(
    installation: Path, named: str, sign: str, said: str
) -> None:
    async with BotAPI() as api:
        code, output = await _doctor(
            installation, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=api.base_url,
            TELEGRAM_BOT_USERNAME=named,
        )  # fmt: skip
    line = next(line for line in output.splitlines() if "Nom du bot dans les liens" in line)
    assert line.lstrip().startswith(sign) and said in line, output
    assert "TELEGRAM_BOT_USERNAME=RelaisTestBot" in output
    assert code != 0 or sign == "!"  # a wrong name is a failure: doctor exits non-zero
