"""An issue is encoded once; each recipient's message must be what a full rendering gives."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

import pytest

from mailer import compose, newsletter
from relais.newsletter.issues import UNSUBSCRIBE_PLACEHOLDER as SLOT

LONG = "Les Cités éducatives se sont retrouvées à Bobigny pour partager leurs pratiques. " * 4


def _parsed(data: bytes) -> EmailMessage:
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


@pytest.mark.parametrize("prefix", ["", "x", "é" * 25, "a" * 75, "=" * 30])
def test_wire_message_equals_a_full_rendering(prefix: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from relais.settings import get_settings

    monkeypatch.setenv("PUBLIC_BASE_URL", "https://relais.crpv.example")
    monkeypatch.setenv("SECRET_KEY", "cle-de-test-pour-les-liens-signes")
    monkeypatch.setenv("MAIL_FROM", "CRPV Île-de-France <lettre@crpv.example>")
    get_settings.cache_clear()
    frozen = newsletter.Frozen(
        subject="Ressources Info n° 42 — Cités éducatives",
        html=f'<p>{LONG}</p><p>{prefix}<a href="{SLOT}">Se désabonner</a> {SLOT}</p>',
        text=f"{LONG}\n{prefix}{SLOT}\nFin.\n",
    )
    link = newsletter.unsubscribe_url(7, "camille@exemple.fr")
    wire = newsletter._wire(1, frozen).addressed("camille@exemple.fr", "<id-7@crpv.example>", link)
    assert b"~relais" not in wire
    got = _parsed(wire)

    full = newsletter.newsletter_message(frozen.subject, frozen.html, frozen.text, link)
    compose.address_headers(full, to="camille@exemple.fr", message_id="<id-7@crpv.example>")
    full_bytes = compose.to_bytes(full)
    longest = max(len(line) for line in full_bytes.split(b"\r\n"))
    assert max(len(line) for line in wire.split(b"\r\n")) <= longest
    expected = _parsed(full_bytes)
    names = [name for name in expected if name != "Date"]
    assert [name for name in got if name != "Date"] == names
    for name in names:
        if name != "Content-Type":  # the multipart boundary differs
            assert str(got[name]) == str(expected[name]), name
    for kind in ("text/plain", "text/html"):
        got_part = got.get_body(preferencelist=(kind.split("/")[1],))
        expected_part = expected.get_body(preferencelist=(kind.split("/")[1],))
        assert got_part is not None and expected_part is not None
        assert got_part.get_content() == expected_part.get_content()
        assert link in got_part.get_content()
    get_settings.cache_clear()
