"""The « Département » filter: the organising network's département, or the venue's postcode
(SQLite and PostgreSQL alike)."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from relais.events import places
from relais.events import services as events
from relais.networks import services as networks
from tests.factories import make_event


@pytest.mark.parametrize(
    ("venue", "expected"),
    [
        ("Maison des associations, 12 rue Diderot, 93100 Montreuil", "93"),
        ("Salle des fêtes 21000 Dijon", "21"),
        ("Ajaccio (20000)", "2A"),
        ("Bastia, 20200", "2B"),
        ("Porto-Vecchio 20137", "2A"),
        ("Corte 20250", "2B"),
        ("97400 Saint-Denis de La Réunion", "974"),
        ("Cayenne 97300", "973"),
        ("Mairie, tél. 0148123456", None),
        ("Bâtiment 12, salle 3", None),
        ("", None),
    ],
)
def test_the_departement_is_read_from_the_postcode(venue: str, expected: str | None) -> None:
    assert places.departement_of(venue) == expected


@pytest.mark.parametrize(
    ("venue", "code"),
    [
        ("12 rue Diderot, 93100 Montreuil", "93"),
        ("Ajaccio 20090", "2A"),
        ("Bastia 20600", "2B"),
        ("Saint-Denis 97490", "974"),
    ],
)
def test_the_pattern_matches_what_the_parser_reads(venue: str, code: str) -> None:
    import re

    pattern = places.venue_pattern(code)
    assert pattern is not None and re.search(pattern, venue)
    assert places.departement_of(venue) == code


def test_departement_filter_matches_the_network_or_the_venue(session: Session) -> None:
    network = networks.create(session, "Réseau PRE 93", "test", code="PRE93", departement_code="93")
    session.commit()
    by_network = make_event(session, title="Réseau 93, à Paris", networks=[network.code],
                            venue="Salle Voltaire, 75011 Paris")  # fmt: skip
    by_venue = make_event(session, title="Sans réseau, à Montreuil",
                          venue="12 rue Diderot, 93100 Montreuil")  # fmt: skip
    make_event(session, title="Dijon", venue="Salle des fêtes, 21000 Dijon")
    make_event(session, title="Téléphone", venue="Mairie, tél. 01 93 10 00 00 ou 0193100000")
    corsica = make_event(session, title="Bastia", venue="Théâtre, 20200 Bastia")

    def titles(code: str) -> set[str]:
        return {e.title for e in events.upcoming(session, departement_code=code)}

    assert titles("93") == {by_network.title, by_venue.title}
    assert titles("2B") == {corsica.title} and titles("2A") == set()
    assert titles("75") == {by_network.title}
    assert titles("x'") == set()
