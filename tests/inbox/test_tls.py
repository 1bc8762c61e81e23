"""IMAPS and STARTTLS against a real Dovecot with a self-signed certificate made by the
test: trusted through IMAP_CA_FILE, refused otherwise, with a French log line."""

from __future__ import annotations

import logging
import ssl
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import pytest

from mailer.inbox.imap import ImapMailbox
from mailer.inbox.process import InboxReader
from relais.settings import Settings, SettingsError, get_settings, load_settings
from tests.inbox.conftest import corpus
from tests.inbox.dovecot import PASSWORD, USER, Dovecot, self_signed, start_dovecot


@pytest.fixture(scope="module")
def secure_dovecot() -> Iterator[Dovecot]:
    server = start_dovecot(tls=True)
    try:
        yield server
    finally:
        server.stop()


def _settings(
    server: Dovecot, security: Literal["tls", "starttls"], ca_file: Path | str, folder: str
) -> Settings:
    """Relais pointed at ``server`` over ``security``, trusting ``ca_file``."""
    return get_settings().model_copy(
        update={
            "imap_host": "127.0.0.1", "imap_username": USER, "imap_password": PASSWORD,
            "imap_port": server.imaps_port if security == "tls" else server.port,
            "imap_security": security, "imap_ca_file": str(ca_file), "imap_folder": folder,
            "imap_processed_folder": f"{folder}-traites", "imap_poll_seconds": 0.5,
        }
    )  # fmt: skip


@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_reads_over_tls_when_the_certificate_is_trusted(
    secure_dovecot: Dovecot, db_url: str, security: Literal["tls", "starttls"]
) -> None:
    folder = f"S{uuid.uuid4().hex[:8]}"
    secure_dovecot.append(
        folder, corpus("auto_reply_en.eml", address="absent@exemple.fr").replace(b"ooo-", b"tls-")
    )
    settings = _settings(secure_dovecot, security, secure_dovecot.certificate, folder)
    mailbox = ImapMailbox(settings)
    mailbox.connect()
    try:
        assert isinstance(mailbox.conn.sock, ssl.SSLSocket)  # type: ignore[union-attr]
        result = InboxReader(settings).run_pass(mailbox)
    finally:
        mailbox.close()
    assert (result.read, result.moved) == (1, 1)
    assert secure_dovecot.count(folder) == 0


@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_a_certificate_not_trusted_is_refused_with_a_french_line(
    secure_dovecot: Dovecot,
    db_url: str,
    tmp_path: Path,
    security: Literal["tls", "starttls"],
    caplog: pytest.LogCaptureFixture,
) -> None:
    folder = f"S{uuid.uuid4().hex[:8]}"
    secure_dovecot.append(folder)
    other, _key = self_signed(tmp_path, "other")  # a certificate, but not the server's
    for ca_file in (other, ""):  # neither another certificate nor the system's authorities
        settings = _settings(secure_dovecot, security, ca_file, folder)
        with pytest.raises(ssl.SSLCertVerificationError):
            ImapMailbox(settings).connect()
    stop = threading.Event()
    reader = InboxReader(_settings(secure_dovecot, security, other, folder))
    caplog.set_level(logging.WARNING, logger="mailer.inbox.process")
    thread = threading.Thread(target=reader.run_forever, args=(stop,))
    thread.start()
    try:
        for _ in range(100):
            if caplog.records:
                break
            stop.wait(0.05)
    finally:
        stop.set()
        thread.join(10)
    line = caplog.records[0].getMessage()
    assert "certificat refusé" in line and "IMAP_CA_FILE" in line, line
    assert f"127.0.0.1:{_settings(secure_dovecot, security, other, folder).imap_port}" in line


def test_a_missing_ca_file_stops_the_start_with_a_french_line(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as error:
        load_settings(imap_ca_file=str(tmp_path / "absent.pem"))
    assert "IMAP_CA_FILE" in str(error.value) and "introuvable" in str(error.value)
