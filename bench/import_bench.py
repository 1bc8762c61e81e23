"""How long a subscribers import makes everyone else wait, on SQLite.

Imports N subscribers (45,000 by default, the size that stalled the bot)
while another thread writes a row every 50 ms through its own connection, as
the bot or the mailer would, and records how long each write waited for the
lock. Prints the import's duration and the longest wait, for the chunked
import (``relais subscribers import``) and, as the ceiling measured in the
same run, for the same file imported in one transaction (the old way).

    .venv/bin/python bench/import_bench.py                 # 45,000 lines
    .venv/bin/python bench/import_bench.py --rows 10000
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from pathlib import Path


def _csv(rows: int) -> bytes:
    lines = ["email;prenom;nom;structure"]
    lines += [f"abonne{n}@exemple.fr;Camille;Nom{n};Mairie {n}" for n in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def _measure(folder: Path, raw: bytes, chunked: bool) -> tuple[float, float, int]:
    """(import seconds, longest wait of the other writer, writes done meanwhile)."""
    import sqlalchemy as sa

    from relais.db import get_engine, session_scope
    from relais.imports import chunks
    from wiring import install

    install()
    from relais.migrate import upgrade
    from relais.newsletter import importer
    from relais.settings import get_settings

    path = folder / ("chunked.db" if chunked else "single.db")
    os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    get_settings.cache_clear()
    get_engine.cache_clear()
    upgrade(get_engine())
    other = sa.create_engine(f"sqlite:///{path}", connect_args={"timeout": 300})
    with other.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE heartbeat (at REAL)")
    waits: list[float] = []
    done = threading.Event()

    def heartbeat() -> None:
        while not done.is_set():
            started = time.perf_counter()
            with other.begin() as connection:
                connection.exec_driver_sql("INSERT INTO heartbeat VALUES (?)", (started,))
            waits.append(time.perf_counter() - started)
            time.sleep(0.05)

    writer = threading.Thread(target=heartbeat)
    writer.start()
    started = time.perf_counter()
    parsed = importer.parse(raw)
    if chunked:
        work = importer.Importer(parsed)
        progress = chunks.begin("subscribers", raw, "bench.csv", len(parsed.rows))
        chunks.write(progress, parsed.rows, work.row, work.counts)
    else:
        with session_scope() as session:
            importer.import_csv(session, raw)
    elapsed = time.perf_counter() - started
    done.set()
    writer.join()
    get_engine().dispose()
    other.dispose()
    return elapsed, max(waits, default=0.0), len(waits)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=45_000)
    rows = parser.parse_args().rows
    raw = _csv(rows)
    with tempfile.TemporaryDirectory() as folder:
        single = _measure(Path(folder), raw, chunked=False)
        chunked = _measure(Path(folder), raw, chunked=True)
    print(f"{rows} lignes importées")
    print(f"  une transaction (plafond) : {single[0]:.1f} s, attente maximale d'un autre "
          f"écrivain {single[1]:.2f} s ({single[2]} écritures pendant l'import)")  # fmt: skip
    print(f"  par paquets               : {chunked[0]:.1f} s, attente maximale d'un autre "
          f"écrivain {chunked[1]:.2f} s ({chunked[2]} écritures pendant l'import)")  # fmt: skip
    print(f"  rapport attente par paquets / plafond : {chunked[1] / max(single[1], 1e-9):.3f}")
    print(f"  rapport durée par paquets / plafond   : {chunked[0] / max(single[0], 1e-9):.2f}")


if __name__ == "__main__":
    main()
