"""How fast are ``relais stats`` and ``relais report`` on five years of a large CRPV?

Generates 5 years × 400 sessions × ~15 participants (~30,000 participations,
~8,000 people) in a fresh SQLite database (or the PostgreSQL given with
--database-url), then times:

* the figures of one year and the previous one, computed in this process
  (peak Python memory with tracemalloc);
* ``relais stats --year`` and ``relais report --year`` as a coordinator runs
  them (a new process each: start-up included; peak RSS of the child), next
  to ``relais --help`` (start-up alone) measured in the same run;
* the back office's « Chiffres » page (``GET /gestion/chiffres?annee=``) through
  the real application (session cookie, role check, both years' figures, the
  charts, the template), median of ``--rounds``, next to its own ceiling: a
  plain query of the rows it counts (the attendance of both years) in the same
  rounds. Goal: the page under 0.5 s on SQLite.

The ceiling is measured in the same run: reading every participation row of
the year into Python (what a loop-based report would at least do). Target:
``relais stats`` under 2 seconds on SQLite.

    .venv/bin/python bench/stats_bench.py [--years 5 --sessions 400 --attendees 15 --people 8000]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_SECONDS = 2.0
PAGE_TARGET_SECONDS = 0.5
ROWS_SQL = (
    "SELECT a.person_id, a.event_id, e.theme_id, e.format, p.profile_id,"
    " p.departement_code FROM attendance a JOIN event e ON e.id = a.event_id"
    " JOIN person p ON p.id = a.person_id WHERE e.starts_at >= :lo AND e.starts_at < :hi"
)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--sessions", type=int, default=400, help="sessions per year")
    parser.add_argument("--attendees", type=int, default=15)
    parser.add_argument("--people", type=int, default=8000)
    parser.add_argument("--database-url", default="", help="default: a fresh SQLite file")
    parser.add_argument("--pdf", action="store_true", help="also time the PDF report (Chromium)")
    parser.add_argument("--rounds", type=int, default=7, help="rounds of the web page")
    return parser.parse_args()


def _child(command: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """(seconds, peak RSS in MiB) of a ``relais`` command in its own process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    result = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")
    peak = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before) / 1024
    return elapsed, peak


def _read_rows(connection: Any, url: str, lo: datetime, hi: datetime) -> list[Any]:
    """Every attendance row of [lo, hi) with what a breakdown needs, read into Python."""
    import sqlalchemy as sa

    naive = url.startswith("sqlite")
    return list(
        connection.execute(
            sa.text(ROWS_SQL),
            {"lo": lo.replace(tzinfo=None) if naive else lo,
             "hi": hi.replace(tzinfo=None) if naive else hi},
        ).all()
    )  # fmt: skip


def _page(engine: Any, url: str, year: int, rounds: int) -> tuple[float, float, int]:
    """(page median, ceiling median, rows the ceiling read) for the « Chiffres » page."""
    from starlette.testclient import TestClient

    from relais.db import session_scope
    from relais.roles import services as roles
    from relais.roles.models import Role
    from relais.signin import services as signin
    from relais.stats import figures
    from relais.web.app import create_app

    with session_scope() as session:
        roles.grant_email(session, "bench@crpv.example", Role.ADMINISTRATOR, "bench")
    with session_scope() as session:
        cookie = signin.open_session(session, "email:bench@crpv.example")
    client = TestClient(create_app(), cookies={"relais_gestion": cookie})
    path = f"/gestion/chiffres?annee={year}"
    assert client.get(path).status_code == 200  # warm: templates compiled, caches filled
    lo, hi = figures.year_bounds(year - 1)[0], figures.year_bounds(year)[1]
    pages, ceilings, count = [], [], 0
    for _ in range(rounds):
        start = time.perf_counter()
        answer = client.get(path)
        pages.append(time.perf_counter() - start)
        assert answer.status_code == 200 and answer.text.count("<svg") >= 6
        with engine.connect() as connection:
            start = time.perf_counter()
            count = len(_read_rows(connection, url, lo, hi))
            ceilings.append(time.perf_counter() - start)
    return statistics.median(pages), statistics.median(ceilings), count


def main() -> None:
    args = _arguments()
    folder = Path(tempfile.mkdtemp(prefix="relais-bench-"))
    url = args.database_url or f"sqlite:///{folder / 'bench.db'}"
    os.environ["DATABASE_URL"] = url
    from wiring import install

    install()
    from relais.db import get_engine
    from relais.migrate import upgrade
    from relais.stats import figures, tables
    from tests.presence.datagen import Size, generate

    engine = get_engine()
    upgrade(engine)
    last = 2025
    years = tuple(range(last - args.years + 1, last + 1))
    start = time.perf_counter()
    with engine.begin() as connection:
        generate(
            connection,
            Size(years=years, sessions_per_year=args.sessions, attendees=args.attendees,
                 people=args.people),
        )  # fmt: skip
    generated = time.perf_counter() - start
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("ANALYZE")  # as autovacuum would after a bulk load

    import sqlalchemy as sa

    with engine.connect() as connection:
        count = lambda sql: connection.execute(sa.text(sql)).scalar_one()  # noqa: E731
        participations = count("SELECT count(*) FROM attendance WHERE status = 'present'")
        people = count("SELECT count(*) FROM person")
        sessions = count("SELECT count(*) FROM event")
        lo, hi = figures.year_bounds(last)
        start = time.perf_counter()
        rows = _read_rows(connection, url, lo, hi)
        ceiling = time.perf_counter() - start

    from sqlmodel import Session

    def both_years() -> float:
        start = time.perf_counter()
        with Session(engine) as session:
            current = figures.compute(session, last)
            previous = figures.compute(session, last - 1, detailed=False)
            tables.all_tables(current, previous)
        return time.perf_counter() - start

    tracemalloc.start()
    cold = both_years()
    _size, python_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    in_process = min(both_years() for _ in range(3))

    relais = str(Path(sys.executable).parent / "relais")
    env = {**os.environ, "DATABASE_URL": url}
    startup, _ = _child([relais, "--help"], env, folder)
    stats_time, stats_rss = _child([relais, "stats", "--year", str(last)], env, folder)
    report_time, report_rss = _child(
        [relais, "report", "--year", str(last), "--out", str(folder / "rapport.html")], env, folder
    )
    print(f"database: {engine.url.render_as_string(hide_password=True)}")
    print(f"data: {sessions} sessions, {people} people, {participations} participations "
          f"over {args.years} years (generated in {generated:.2f} s)")  # fmt: skip
    print(
        f"ceiling (read the year's {len(rows)} attendance rows into Python): {ceiling * 1000:.0f} ms"
    )
    print(f"figures {last} + {last - 1}, in process: first {cold * 1000:.0f} ms, then "
          f"{in_process * 1000:.0f} ms (ratio to ceiling {in_process / ceiling:.1f}), "
          f"Python peak {python_peak / 2**20:.1f} MiB")  # fmt: skip
    print(f"relais --help (start-up: Python, plugins, no database): {startup:.2f} s")
    print(f"relais stats --year {last}: {stats_time:.2f} s (target {TARGET_SECONDS:.0f} s, "
          f"ratio {stats_time / TARGET_SECONDS:.2f}; {stats_time - startup:.2f} s after start-up), "
          f"peak RSS {stats_rss:.0f} MiB")  # fmt: skip
    print(f"relais report --year {last}: {report_time:.2f} s, peak RSS {report_rss:.0f} MiB")
    if args.pdf:
        pdf_time, _ = _child(
            [relais, "report", "--year", str(last), "--out", str(folder / "rapport.pdf")],
            env,
            folder,
        )
        print(f"relais report --year {last} (PDF through Chromium): {pdf_time:.2f} s")
    os.environ.setdefault("OUTBOX_DIR", str(folder / "outbox"))
    page, page_ceiling, page_rows = _page(engine, url, last, args.rounds)
    print(f"« Chiffres » page {last} (vs {last - 1}), through the application: "
          f"{page * 1000:.0f} ms (median of {args.rounds})")  # fmt: skip
    print(f"ceiling, plain query of the {page_rows} attendance rows it counts: "
          f"{page_ceiling * 1000:.0f} ms; ratio page / ceiling: {page / page_ceiling:.1f}")  # fmt: skip
    print(f"goal page < {PAGE_TARGET_SECONDS * 1000:.0f} ms: "
          f"{'met' if page < PAGE_TARGET_SECONDS else 'NOT met'}")  # fmt: skip
    print(f"files in {folder}")


if __name__ == "__main__":
    main()
