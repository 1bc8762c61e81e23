"""A long subscribers import lets others write meanwhile, and resumes after a crash."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from relais.db import get_engine
from relais.imports.models import ImportRun
from relais.newsletter.models import Subscriber
from relais.registrations import services as registrations
from tests.factories import make_event, make_person

ROWS = 2000


def write_file(path: Path) -> None:
    lines = ["email;prenom;nom;structure"]
    lines += [f"abonne{n}@exemple.fr;Camille;Nom{n};Mairie {n}" for n in range(ROWS)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def start_import(tmp_path: Path, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "IMPORT_CHUNK_LINES": "100"}
    return subprocess.Popen(
        [sys.executable, "-m", "relais", "subscribers", "import", "abonnes.csv", *extra],
        cwd=str(tmp_path), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def progress(engine: Engine) -> tuple[int, bool] | None:
    with Session(engine) as session:
        run = session.exec(select(ImportRun)).first()
        return None if run is None else (run.rows_done, run.finished)


def reader_engine(db_url: str) -> Engine:
    """Reads that never wait for the write lock (SQLite WAL, deferred transactions)."""
    return sa.create_engine(db_url) if db_url.startswith("sqlite") else get_engine()


def impatient_engine(db_url: str) -> Engine:
    """Another process's connection that gives up after one second waiting for a lock."""
    if db_url.startswith("sqlite"):
        engine = sa.create_engine(db_url, connect_args={"timeout": 1})

        @sa.event.listens_for(engine, "connect")
        def _autocommit(connection: object, _record: object) -> None:
            connection.isolation_level = None  # type: ignore[attr-defined]

        @sa.event.listens_for(engine, "begin")
        def _immediate(connection: sa.engine.Connection) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return get_engine()


def test_others_write_during_a_long_import_which_resumes_after_a_crash(
    session: Session, db_url: str, tmp_path: Path
) -> None:
    write_file(tmp_path / "abonnes.csv")
    event = make_event(session, capacity=100)
    people = [make_person(session) for _ in range(5)]
    engine = reader_engine(db_url)
    importing = start_import(tmp_path)
    try:
        while (state := progress(engine)) is None or state[0] < 200:
            assert importing.poll() is None, importing.communicate()
            time.sleep(0.02)
        other = impatient_engine(db_url)
        for person in people:  # would fail with « database is locked » behind one transaction
            with Session(other) as writer:
                assert event.id and person.id
                registrations.register(writer, event.id, person.id, source="t")
                writer.commit()
        state = progress(engine)
        assert state is not None and not state[1], "the import ended before the writes"
    finally:
        importing.kill()
        importing.communicate()
    state = progress(engine)
    assert state is not None and not state[1]
    with Session(engine) as reader:
        written = reader.exec(select(func.count()).select_from(Subscriber)).one()
    assert written == state[0]  # progress moves in the same transaction as the rows

    resumed = start_import(tmp_path)
    out, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err
    assert f"Reprise de l'import interrompu de ce fichier : {state[0]} ligne(s)" in out
    assert f"{ROWS} importée(s), 0 mise(s) à jour, 0 ignorée(s), 0 refusée(s)" in out
    with Session(engine) as reader:
        assert reader.exec(select(func.count()).select_from(Subscriber)).one() == ROWS
        assert progress(engine) == (ROWS, True)
