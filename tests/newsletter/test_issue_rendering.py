"""Writing an issue in Markdown and checking what subscribers will read."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from relais.cli.main import app
from relais.errors import InvalidInput
from relais.events.models import EventStatus
from relais.newsletter import issues
from tests.factories import make_event
from tests.newsletter.conftest import DATA, assert_golden

NOW = datetime(2031, 11, 20, 9, 0, tzinfo=UTC)


def _events(session: Session) -> list[str]:
    on_site = make_event(
        session, title="Rencontre des médiateurs adultes-relais", venue="Maison des associations, 2 rue Hoche, Bobigny",
        starts_at=datetime(2031, 12, 9, 8, 30, tzinfo=UTC), duration_minutes=210,
    )  # fmt: skip
    webinar = make_event(
        session, title="Webinaire : la santé mentale des jeunes en QPV", format="distanciel",
        visio_url="https://visio.exemple.fr/secret-room", starts_at=datetime(2031, 12, 2, 13, 0, tzinfo=UTC),
        duration_minutes=90,
    )  # fmt: skip
    make_event(
        session,
        title="Brouillon",
        status=EventStatus.DRAFT,
        starts_at=datetime(2031, 12, 3, 9, 0, tzinfo=UTC),
    )
    make_event(session, title="Trop loin", starts_at=datetime(2032, 6, 1, 9, 0, tzinfo=UTC))
    return [webinar.code, on_site.code]


def _render(session: Session) -> issues.Rendered:
    source = issues.parse((DATA / "lettre-42.md").read_text(encoding="utf-8"))
    return issues.render(session, source, now=NOW)


def test_issue_renders_layout_agenda_and_text(session: Session) -> None:
    codes = _events(session)
    rendered = _render(session)
    codes_pattern = re.compile("|".join(codes))
    text = codes_pattern.sub("CODE", rendered.text)
    html = codes_pattern.sub("CODE", rendered.html)
    assert_golden("lettre-42.txt", text)
    assert_golden("lettre-42.html", html)

    assert rendered.subject == "Ressources Info n° 42 – Les Cités éducatives, trois ans après"
    assert [s.title for s in rendered.sections] == [
        "À la une",
        "Agenda",
        "Ressources",
        "Actualités du réseau",
    ]
    agenda = rendered.sections[1].text
    assert agenda.index("mardi 2 décembre 2031, 14 h – 15 h 30") < agenda.index(
        "mardi 9 décembre 2031, 9 h 30 – 13 h"
    )
    for code in codes:
        assert f"http://localhost:8080/e/{code}" in rendered.html  # the page offers Telegram
    assert "Brouillon" not in text and "Trop loin" not in text
    assert "secret-room" not in rendered.html + rendered.text + rendered.web_html
    assert 'alt="Des enfants dans la cour' in rendered.html
    assert ".section-title {" not in rendered.html
    assert re.search(
        r'<td class="section-title" id="rubrique-1" style="[^"]*color: #c2410c', rendered.html
    )
    assert "@media only screen" in rendered.html
    assert (
        issues.UNSUBSCRIBE_PLACEHOLDER in rendered.html
        and issues.UNSUBSCRIBE_PLACEHOLDER in rendered.text
    )
    assert issues.UNSUBSCRIBE_PLACEHOLDER not in rendered.web_html
    assert "Voir cette lettre dans le navigateur" not in rendered.web_html
    personal = issues.personalise(rendered.html, "https://crpv.example/desabonnement/7.abc")
    assert 'href="https://crpv.example/desabonnement/7.abc"' in personal


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("## À la une\nSans en-tête\n", "doit commencer par un en-tête"),
        ("---\nnumber: 3\ndate: 01/12/2031\n---\n## A\nx\n", "le titre (title)"),
        (
            "---\nnumber: trois\ntitle: T\ndate: 01/12/2031\n---\n## A\nx\n",
            "nombre entier positif (« trois »)",
        ),
        (
            "---\nnumber: 3\ntitle: T\ndate: 31/02/2031\n---\n## A\nx\n",
            "date « 31/02/2031 » illisible",
        ),
        (
            "---\nnumber: 3\ntitle: T\ndate: 01/12/2031\nauteur: moi\n---\n## A\nx\n",
            "champ d'en-tête inconnu : auteur",
        ),
        ("---\nnumber: 3\ntitle: T\ndate: 01/12/2031\n---\n\n", "aucun contenu"),
        (
            "---\nnumber: 3\ntitle: [T\ndate: 01/12/2031\n---\n## A\nx\n",
            "en-tête illisible vers la ligne 3",
        ),
        (
            "---\nnumber: 3\ntitle: T\ndate: 01/12/2031\n---\n## A\n\ntexte\n\n![](https://exemple.fr/a.png)\n",
            "ligne 10 : l'image « https://exemple.fr/a.png » n'a pas de texte alternatif",
        ),
        (
            "---\nnumber: 3\ntitle: T\ndate: 01/12/2031\n---\n## A\n![Logo](images/logo.png)\n",
            "ligne 7 : l'image « images/logo.png » doit être une adresse web complète",
        ),
    ],
)
def test_bad_issue_files_get_a_clear_french_message(text: str, expected: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        issues.parse(text)
    assert expected in caught.value.message


def test_cli_preview_writes_html_and_text(cli: CliRunner, tmp_path: Path) -> None:
    source = tmp_path / "lettre-42.md"
    source.write_text((DATA / "lettre-42.md").read_text(encoding="utf-8"), encoding="utf-8")
    result = cli.invoke(
        app, ["newsletter", "preview", str(source), "--sortie", str(tmp_path / "apercu")]
    )
    assert result.exit_code == 0, result.output
    assert "Rubriques : À la une · Agenda · Ressources · Actualités du réseau" in result.output
    assert "0 abonné·e(s)" in result.output
    html = (tmp_path / "apercu" / "lettre-42.html").read_text(encoding="utf-8")
    text = (tmp_path / "apercu" / "lettre-42.txt").read_text(encoding="utf-8")
    assert "/desabonnement/exemple" in html and "/desabonnement/exemple" in text
    assert "Trois ans de Cités éducatives" in html

    broken = tmp_path / "cassee.md"
    broken.write_text("pas d'en-tête\n", encoding="utf-8")
    failed = cli.invoke(app, ["newsletter", "preview", str(broken)])
    assert failed.exit_code == 1 and "doit commencer par un en-tête" in failed.output
    missing = cli.invoke(app, ["newsletter", "preview", str(tmp_path / "absente.md")])
    assert missing.exit_code == 1 and "introuvable ou illisible" in missing.output


def test_cli_archive_exports_published_issues(
    cli: CliRunner, session: Session, tmp_path: Path
) -> None:
    from datetime import timedelta

    from relais.newsletter import archive
    from relais.timefmt import utcnow

    source = issues.parse((DATA / "lettre-42.md").read_text(encoding="utf-8"))
    archive.freeze(session, source, issues.render(session, source), utcnow() - timedelta(hours=1))
    session.commit()
    result = cli.invoke(app, ["newsletter", "archive", str(tmp_path / "site")])
    assert result.exit_code == 0, result.output
    assert "1 lettre(s) et index.html" in result.output
    assert "Trois ans de Cités éducatives" in (tmp_path / "site" / "42.html").read_text(
        encoding="utf-8"
    )
    assert 'href="42.html"' in (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
