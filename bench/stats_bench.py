"""How fast are ``relais stats`` and ``relais report`` on five years of a large CRPV?

Generates 5 years × 400 sessions × ~15 participants (~30,000 participations,
~8,000 people) in a fresh SQLite database (or the PostgreSQL given with
--database-url), then times:

* the figures of one year and the previous one, computed in this process
  (peak Python memory with tracemalloc);
* ``relais stats --year`` and ``relais report --year`` as a coordinator runs
  them (a new process each: start-up included; peak RSS of the child), next
  to ``relais --help`` (start-up alone) measured in the same run.

The ceiling is measured in the same run: reading every participation row of
the year into Python (what a loop-based report would at least do). Target:
``relais stats`` under 2 seconds on SQLite.

    .venv/bin/python bench/stats_bench.py [--years 5 --sessions 400 --attendees 15 --people 8000]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_SECONDS = 2.0


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--sessions", type=int, default=400, help="sessions per year")
    parser.add_argument("--attendees", type=int, default=15)
    parser.add_argument("--people", type=int, default=8000)
    parser.add_argument("--database-url", default="", help="default: a fresh SQLite file")
    parser.add_argument("--pdf", action="store_true", help="also time the PDF report (Chromium)")
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


def main() -> None:
    args = _arguments()
    folder = Path(tempfile.mkdtemp(prefix="relais-bench-"))
    url = args.database_url or f"sqlite:///{folder / 'bench.db'}"
    os.environ["DATABASE_URL"] = url
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
        rows = connection.execute(
            sa.text(
                "SELECT a.person_id, a.event_id, e.theme_id, e.format, p.profile_id,"
                " p.departement_code FROM attendance a JOIN event e ON e.id = a.event_id"
                " JOIN person p ON p.id = a.person_id WHERE e.starts_at >= :lo AND e.starts_at < :hi"
            ),
            {"lo": lo.replace(tzinfo=None) if url.startswith("sqlite") else lo,
             "hi": hi.replace(tzinfo=None) if url.startswith("sqlite") else hi},
        ).all()  # fmt: skip
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
    print(f"files in {folder}")


if __name__ == "__main__":
    main()
