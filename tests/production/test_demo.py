"""``relais demo`` never mixes with real data, and ``--supprimer`` removes exactly its rows."""

from __future__ import annotations

from pathlib import Path

from tests.production.helpers import relais, snapshot


def _minus(
    after: dict[str, set[tuple[str, ...]]], before: dict[str, set[tuple[str, ...]]]
) -> dict[str, set[tuple[str, ...]]]:
    return {name: rows - before.get(name, set()) for name, rows in after.items()}


def test_demo_removal_keeps_real_rows(db_url: str, tmp_path: Path) -> None:
    env = {"DATABASE_URL": db_url, "RELAIS_HOME": str(tmp_path)}
    empty = snapshot(db_url)
    # As after a fresh clone: no bot named, no public address set.
    fresh = {**env, "TELEGRAM_BOT_USERNAME": "", "PUBLIC_BASE_URL": ""}
    loaded = relais("demo", cwd=tmp_path, env=fresh)
    assert loaded.returncode == 0, loaded.stderr
    assert "t.me" not in loaded.stdout
    assert "lien d'inscription : http://127.0.0.1:8080/c/" in loaded.stdout
    with_demo = snapshot(db_url)
    demo_rows = _minus(with_demo, empty)
    assert demo_rows["attendance"] and demo_rows["satisfaction_answer"]

    for args in (
        ("network", "add", "Réseau réel des médiateurs – 94", "--departement", "94"),
        (
            "event",
            "add",
            "--titre",
            "Rencontre réelle",
            "--debut",
            "15/01/2099 09:30",
            "--duree",
            "120",
        ),
    ):
        added = relais(*args, cwd=tmp_path, env=env)
        assert added.returncode == 0, added.stderr
    with_real = snapshot(db_url)
    real_rows = _minus(with_real, with_demo)
    assert real_rows["event"] and real_rows["network"]

    removed = relais("demo", "--supprimer", cwd=tmp_path, env=env)
    assert removed.returncode == 0, removed.stderr
    assert "ligne(s) de démonstration supprimée(s)" in removed.stdout
    after = snapshot(db_url)
    for name, rows in after.items():
        expected = (with_real[name] - demo_rows.get(name, set())) - (
            {row for row in with_real[name] if name == "demo_row"}
        )
        assert rows == expected, name

    refused = relais("demo", cwd=tmp_path, env=env)
    assert refused.returncode == 1
    assert "la base contient déjà des données réelles (1 événement(s)" in refused.stderr
    assert snapshot(db_url) == after


def test_demo_refused_in_production(db_url: str, tmp_path: Path) -> None:
    env = {
        "DATABASE_URL": db_url,
        "RELAIS_HOME": str(tmp_path),
        "ENVIRONMENT": "production",
        "SECRET_KEY": "une-cle-de-production-assez-longue",
    }
    before = snapshot(db_url)
    refused = relais("demo", cwd=tmp_path, env=env)
    assert refused.returncode == 1
    assert "cette installation est en production" in refused.stderr
    assert snapshot(db_url) == before


def test_real_registration_to_a_demo_event_blocks_removal(db_url: str, tmp_path: Path) -> None:
    """Removing the demo must not take a real person's registration with it: nothing goes."""
    import sqlalchemy as sa

    env = {"DATABASE_URL": db_url, "RELAIS_HOME": str(tmp_path)}
    assert relais("demo", cwd=tmp_path, env=env).returncode == 0
    engine = sa.create_engine(db_url)
    with engine.begin() as connection:
        event_id = connection.execute(sa.text("SELECT min(id) FROM event")).scalar()
        person_id = connection.execute(
            sa.text(
                "INSERT INTO person (first_name, last_name, email, email_invalid, telegram_blocked,"
                " created_at, updated_at) VALUES ('Réelle', 'Personne', 'reelle@crpv.fr', false, false,"
                " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP) RETURNING id"
            )
        ).scalar()
        connection.execute(
            sa.text(
                "INSERT INTO registration (event_id, person_id, status, source, queued_at, created_at)"
                " VALUES (:e, :p, 'confirmed', 'bot', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            ),
            {"e": event_id, "p": person_id},
        )
    engine.dispose()
    before = snapshot(db_url)
    refused = relais("demo", "--supprimer", cwd=tmp_path, env=env)
    assert refused.returncode == 1
    assert "Des données réelles dépendent des données de démonstration" in refused.stderr
    assert snapshot(db_url) == before
