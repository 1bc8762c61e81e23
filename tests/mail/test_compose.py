"""Headers written by the fast composer read back exactly with the standard parser."""

from __future__ import annotations

import email
import email.policy

import pytest

from mailer.compose import address_headers, message


@pytest.mark.parametrize(
    "subject",
    [
        "Inscription confirmée : Journée régionale « Égalité & réussite éducative » à Évry-Courcouronnes",
        "Rappel : webinaire, demain",
        "Plain ASCII subject that is rather long, long enough to need folding in the header block",
    ],
)
def test_subject_and_addresses_round_trip(
    subject: str, monkeypatch: pytest.MonkeyPatch, db_url: str
) -> None:
    from relais.settings import get_settings

    monkeypatch.setenv(
        "MAIL_FROM", "Centre de ressources « Ville & Quartiers » <relais@crpv.example>"
    )
    monkeypatch.setenv("MAIL_REPLY_TO", "Équipe d'animation <equipe@crpv.example>")
    get_settings.cache_clear()
    built = message(subject=subject, text="Bonjour,\nà bientôt.\n", html="<p>Bonjour</p>")
    address_headers(built, to="camille@exemple.fr", message_id="<id-1@crpv.example>")
    data = built.as_bytes()
    assert all(len(line) <= 998 for line in data.split(b"\r\n"))
    head = data.split(b"\r\n\r\n")[0].decode("ascii")
    subject_lines = head.split("Subject:")[1].split("\r\nAuto-Submitted")[0].split("\r\n")
    assert max(len(line) for line in subject_lines) <= 78 - len("Subject:")
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    assert parsed["Subject"] == subject
    assert parsed["From"].addresses[0].display_name == "Centre de ressources « Ville & Quartiers »"
    assert parsed["From"].addresses[0].addr_spec == "relais@crpv.example"
    assert parsed["Reply-To"].addresses[0].display_name == "Équipe d'animation"
    assert parsed["Auto-Submitted"] == "auto-generated"
    plain = parsed.get_body(("plain",))
    assert (
        plain is not None and plain.get_content().replace("\r\n", "\n") == "Bonjour,\nà bientôt.\n"
    )
