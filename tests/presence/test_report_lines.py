"""Reading a report for the back office: unreadable lines listed with their French reason
instead of stopping the import, the readable ones kept; the command line still stops."""

from __future__ import annotations

import pytest

from relais.attendance import importer
from relais.errors import InvalidInput

REPORT = (
    "Résumé de la réunion\n"
    "\n"
    "Nom (nom d'origine)\tE-mail de l'utilisateur\tDurée (minutes)\n"
    "Marie Dupont\tmarie@exemple.fr\t92\n"
    "\t\t30\n"
    "Karim Benali\t\tbientôt\n"
    "Lucie Petit\t\t1 h 05 min\n"
)


def test_bad_lines_are_listed_with_their_reason_and_the_others_read() -> None:
    bad: list[importer.BadLine] = []
    lines = importer.parse_report(REPORT.encode("utf-16"), "teams.csv", bad)
    assert [(line.line, line.name, round(line.minutes)) for line in lines] == [
        (4, "Marie Dupont", 92),
        (7, "Lucie Petit", 65),
    ]
    assert [(b.line, b.reason) for b in bad] == [
        (5, "ni nom ni adresse e-mail : la personne ne peut pas être reconnue"),
        (6, "durée « bientôt » illisible ; le rapport doit donner des minutes (92), des heures "
            "(1 h 32 min) ou HH:MM:SS"),
    ]  # fmt: skip
    assert bad[1].text == "Karim Benali\t\tbientôt"


def test_without_a_list_the_first_bad_duration_stops_the_import() -> None:
    with pytest.raises(InvalidInput) as raised:
        importer.parse_report(REPORT.encode(), "teams.csv")
    assert raised.value.message == "teams.csv, ligne 6 : durée « bientôt » illisible"


def test_a_file_of_bad_lines_only_reads_as_none() -> None:
    bad: list[importer.BadLine] = []
    assert importer.parse_report(b"Nom,Dur\xc3\xa9e (minutes)\nA,x\n", "z.csv", bad) == []
    assert [b.line for b in bad] == [2]
    with pytest.raises(InvalidInput):
        importer.parse_report(b"Nom,Dur\xc3\xa9e (minutes)\n", "z.csv", [])
