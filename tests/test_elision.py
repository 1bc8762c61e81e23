"""The ``de`` filter: « Me désinscrire d'Atelier… », « de Rencontre… »."""

from __future__ import annotations

import pytest

from relais.elision import de
from relais.templating import html_environment


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("Atelier GUSP", "d'Atelier GUSP"),
        ("Rencontre du réseau", "de Rencontre du réseau"),
        ("Éducation prioritaire", "d'Éducation prioritaire"),
        ("Île-de-France", "d'Île-de-France"),
        ("Œuvres", "d'Œuvres"),
        ("habitants", "d'habitants"),  # mute h
        ("Hôpital", "d'Hôpital"),
        ("Hauts-de-Seine", "de Hauts-de-Seine"),  # aspirated h
        ("handicap", "de handicap"),
        ("Yoga", "de Yoga"),
        ("", "de "),
    ],
)
def test_de_elides_before_a_vowel_or_a_mute_h(word: str, expected: str) -> None:
    assert de(word) == expected


def test_de_in_a_template_with_quotes_and_escaping() -> None:
    template = html_environment().from_string("Me désinscrire {{ title | de(quoted=true) }}")
    assert template.render(title="Atelier <b>") == "Me désinscrire d&#39;« Atelier &lt;b&gt; »"
