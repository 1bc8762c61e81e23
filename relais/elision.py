"""« de » before a title or a name typed by someone: « d'Atelier », « de Rencontre ».

Templates write « Me désinscrire de {{ title }} » around words they do not know
in advance; French elides « de » before a vowel or a mute h. The filter ``de``
(:mod:`relais.templating`) does it, so a screen reader does not say « de Atelier ».
"""

from __future__ import annotations

import unicodedata

#: Vowels once accents are set aside; « y » stays out (« de Yoga », « de Yaoundé »).
_VOWELS = frozenset("aeiouæœ")
#: Words whose h is aspirated (no elision: « de Hauts-de-Seine », « de handicap »).
_ASPIRATED_H = (
    "hall", "hameau", "hand", "hangar", "hasard", "haut", "hausse", "hérault", "héros",
    "hiérarch", "hockey", "hollande", "hongr", "honte", "hors", "huit",
)  # fmt: skip


def elides(word: str) -> bool:
    """Whether « de » becomes « d' » before this word (its first letter, or a mute h)."""
    lowered = word.lstrip("«“\"' ").lower()
    if not lowered:
        return False
    first = unicodedata.normalize("NFD", lowered[0])[0]
    if first in _VOWELS:
        return True
    return first == "h" and not lowered.startswith(_ASPIRATED_H)


def de(word: str, quoted: bool = False) -> str:
    """« de » and the word, elided when French says so; ``quoted`` puts it in « ».

    A quoted title still elides (« d'« Atelier » »), as French typesetting does.
    """
    shown = f"« {word} »" if quoted else word
    return f"d'{shown}" if elides(word) else f"de {shown}"
