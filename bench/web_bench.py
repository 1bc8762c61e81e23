"""How fast the public pages answer: 50 concurrent clients against ``relais run`` on SQLite.

The server runs as in production (its own process, the mailer writing the
confirmations to ``outbox/``). The load comes from wrk (Debian's ``wrk``): a
Python client on the same 2 cores takes the CPU the server needs and caps the
ceiling it measures. Three runs of the same load, in this order:

* the ceiling: the same server answering a static page (the stylesheet);
* the event page ``/e/<code>`` (queries, template, CSRF cookie);
* registrations, in their two steps: POSTs of the form for new addresses
  (validation, CSRF, the rate limits, the form kept and the link's mail row),
  then POSTs of the mailed links (the locked seat count, the person, the
  consent, the registration, the confirmation mail row); a registration is
  as fast as the slower step.

Goals: the event page at least 0.5 × the ceiling, registrations ≥ 200/s.

    .venv/bin/python bench/web_bench.py [--clients 50] [--seconds 10]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _prepare() -> str:
    """A published event with room for everyone; its public code."""
    from datetime import timedelta

    from relais.db import get_engine, session_scope
    from relais.events import services as events
    from relais.events.schemas import EventInput
    from wiring import install

    install()
    from relais.migrate import upgrade
    from relais.timefmt import utcnow

    upgrade(get_engine())
    with session_scope() as session:
        event = events.create(
            session,
            EventInput(
                title="Rencontre régionale des adultes-relais",
                starts_at=utcnow() + timedelta(days=20),
                duration_minutes=180,
                capacity=100_000,
                venue="Maison des associations, Montreuil",
                description="Une journée d'échanges de pratiques.",
            ),
            "bench",
        )
        return event.code


#: wrk's script: the p95 and the failures, in a line this script reads; for registrations,
#: a new address on each request (``wrk.thread`` numbers are per thread, hence ``-t1``).
_LUA = """
local counter = 0
local form = os.getenv("BENCH_FORM")
local links = os.getenv("BENCH_LINKS")
if links then
  local paths = {}
  for line in io.lines(links) do paths[#paths + 1] = line end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  wrk.headers["Cookie"] = os.getenv("BENCH_COOKIE")
  wrk.body = os.getenv("BENCH_BODY")
  request = function()
    counter = counter + 1
    return wrk.format(nil, paths[(counter - 1) % #paths + 1])
  end
elseif form then
  math.randomseed(os.time())
  local prefix = tostring(math.random(1, 1000000000))
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  wrk.headers["Cookie"] = os.getenv("BENCH_COOKIE")
  request = function()
    counter = counter + 1
    local body = string.gsub(form, "NUMBER", prefix .. "x" .. counter)
    return wrk.format(nil, nil, nil, body)
  end
end
done = function(summary, latency, requests)
  io.write(string.format("BENCH %d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(95), summary.errors.status, summary.errors.timeout))
end
"""


@dataclass(frozen=True)
class Run:
    """What wrk measured: requests answered per second, the p95, the failures."""

    rate: float
    p95_ms: float
    requests: int
    failures: int


def _wrk(url: str, clients: int, seconds: int, env: dict[str, str]) -> Run:
    """``clients`` connections kept busy for ``seconds`` by wrk (C, one thread: the load
    generator must not take the server's CPU, which a Python client does)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(_LUA)
        script.flush()
        command = ["wrk", "-t1", f"-c{clients}", f"-d{seconds}s", "--timeout", "30s",
                   "-s", script.name, url]  # fmt: skip
        output = subprocess.run(
            command, env={**os.environ, **env}, capture_output=True, text=True, check=True
        ).stdout
    found = re.search(r"^BENCH (\d+) (\d+) (\d+) (\d+) (\d+)$", output, re.MULTILINE)
    if found is None:
        raise SystemExit(f"wrk n'a pas donné ses mesures :\n{output}")
    requests, micros, p95, status, timeouts = map(int, found.groups())
    return Run(requests / (micros / 1e6), p95 / 1000, requests, status + timeouts)


def _registration_env(base: str, code: str) -> dict[str, str]:
    """The form wrk posts (``NUMBER`` becomes a new address each time), and its CSRF cookie."""
    page = httpx.get(f"{base}/e/{code}")
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert found, "no CSRF token on the event page"
    form = {
        "csrf": found.group(1), "nom": "Martin", "prenom": "Personne",
        "email": "bench.NUMBER@exemple.fr", "structure": "Ville de Montreuil",
        "type_structure": "1", "profil": "1", "departement": "93", "telephone": "",
        "consentement": "oui",
    }  # fmt: skip
    return {
        "BENCH_FORM": urlencode(form),
        "BENCH_COOKIE": f"relais_csrf={page.cookies['relais_csrf']}",
    }


def _written(code: str) -> tuple[int, int]:
    """The forms the server actually kept, waiting for their link, and the registrations
    it actually wrote for the event (wrk counts answers only)."""
    from sqlmodel import func, select

    from relais.access.models import PendingRegistration
    from relais.db import session_scope
    from relais.events.models import Event
    from relais.registrations.models import Registration

    with session_scope() as session:
        waiting = session.exec(select(func.count()).select_from(PendingRegistration)).one()
        registered = session.exec(
            select(func.count()).select_from(Registration).join(Event).where(Event.code == code)
        ).one()
        return waiting, registered


def _confirmation_env(base: str, code: str, folder: str) -> dict[str, str]:
    """The links the owners of the addresses follow (one per form kept), as wrk reads them,
    and the CSRF cookie and token of the confirmation page's button."""
    from sqlmodel import col, select

    from relais.access import services as access
    from relais.access.models import PendingRegistration
    from relais.db import session_scope
    from relais.events.models import Event

    with session_scope() as session:
        event_id = session.exec(select(Event.id).where(Event.code == code)).one()
        rows = session.exec(select(PendingRegistration).order_by(col(PendingRegistration.id)))
        links = [access.confirm_url(f"n{row.key}-e{event_id}", row.email) for row in rows]
    path = Path(folder) / "links.txt"
    path.write_text("\n".join(link.removeprefix(base) for link in links) + "\n")
    page = httpx.get(links[0])
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert found, "no CSRF token on the confirmation page"
    return {
        "BENCH_LINKS": str(path),
        "BENCH_BODY": urlencode({"csrf": found.group(1)}),
        "BENCH_COOKIE": f"relais_csrf={page.cookies['relais_csrf']}",
    }


def _wait_ready(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("relais run stopped before answering")
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit("relais run did not answer within 60 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=10, help="durée de chaque mesure")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("Ce banc d'essai utilise wrk : installez-le (apt-get install wrk).")
    with tempfile.TemporaryDirectory() as folder:
        port = _free_port()
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{folder}/bench.db",
            "MAIL_OUTBOX_DIR": f"{folder}/outbox",
            "WEB_HOST": "127.0.0.1",
            "WEB_PORT": str(port),
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
            "TELEGRAM_BOT_TOKEN": "",
            "SMTP_HOST": "",
            "WEB_RATE_PER_IP": "1000000",
            "WEB_RATE_PER_EMAIL": "1000",
        }
        os.environ.update(env)
        code = _prepare()
        relais = Path(sys.executable).with_name("relais")
        process = subprocess.Popen(
            [str(relais), "run"], env=env, cwd=folder,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_ready(base, process)
            for _ in range(20):
                httpx.get(f"{base}/e/{code}")
            results = {
                "static": _wrk(f"{base}/relais.css", args.clients, args.seconds, {}),
                "event": _wrk(f"{base}/e/{code}", args.clients, args.seconds, {}),
                "register": _wrk(
                    f"{base}/e/{code}", args.clients, args.seconds, _registration_env(base, code)
                ),
            }
            waiting, _none = _written(code)
            # Shorter than the forms' run, so that every request follows a link not yet used.
            confirm = _confirmation_env(base, code, folder)
            results["confirm"] = _wrk(base, args.clients, max(1, args.seconds // 3), confirm)
            _waiting, registered = _written(code)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)
    _report(args.clients, results, waiting, registered)


def _report(clients: int, results: dict[str, Run], waiting: int, registered: int) -> None:
    ceiling = results["static"].rate
    print(
        f"{clients} clients simultanés (wrk), SQLite, serveur « relais run » sur la boucle locale"
    )
    for name, label in (
        ("static", "page statique (plafond)"),
        ("event", "page d'événement"),
        ("register", "inscription (formulaire)"),
        ("confirm", "inscription (lien suivi)"),
    ):
        run = results[name]
        print(
            f"  {label:26} {run.rate:8.0f} req/s   p95 {run.p95_ms:7.1f} ms   "
            f"{run.rate / ceiling:5.2f} × plafond   échecs {run.failures}"
        )
    print(f"  formulaires gardés en base : {waiting} (réponses comptées par wrk : "
          f"{results['register'].requests})")  # fmt: skip
    print(f"  inscriptions écrites en base : {registered} (réponses comptées par wrk : "
          f"{results['confirm'].requests})")  # fmt: skip
    slower = min(results["register"].rate, results["confirm"].rate)
    print(f"Objectifs : page d'événement ≥ 0,5 × plafond ({results['event'].rate / ceiling:.2f}), "
          f"inscriptions ≥ 200/s (la plus lente des deux étapes : {slower:.0f}/s)")  # fmt: skip


if __name__ == "__main__":
    main()
