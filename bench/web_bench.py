"""How fast the public pages answer: 50 concurrent clients against ``relais run`` on SQLite.

The server runs as in production (its own process, the mailer writing the
confirmations to ``outbox/``). Three runs of the same load, in this order:

* the ceiling: the same server answering a static page (the stylesheet);
* the event page ``/e/<code>`` (queries, template, CSRF cookie);
* registrations: POSTs of the form for new addresses (validation, CSRF,
  the locked seat count, the person, the consent, the confirmation mail row).

Goals: the event page at least 0.5 × the ceiling, registrations ≥ 200/s.

    .venv/bin/python bench/web_bench.py [--clients 50] [--requests 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


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


async def _load(
    base: str, clients: int, total: int, request: str, code: str
) -> tuple[float, list[float]]:
    """``total`` requests from ``clients`` concurrent clients; (seconds, latencies)."""
    latencies: list[float] = []
    counter = iter(range(total))
    errors: list[int] = []

    async def client(number: int) -> None:
        async with httpx.AsyncClient(base_url=base, timeout=60) as http:
            token = ""
            if request == "register":
                page = await http.get(f"/e/{code}")
                found = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
                assert found, "no CSRF token on the event page"
                token = found.group(1)
            for index in counter:
                began = time.perf_counter()
                if request == "static":
                    answer = await http.get("/relais.css")
                elif request == "event":
                    answer = await http.get(f"/e/{code}")
                else:
                    answer = await http.post(f"/e/{code}", data=_form(number, index, token))
                latencies.append(time.perf_counter() - began)
                if answer.status_code != 200:
                    errors.append(answer.status_code)

    began = time.perf_counter()
    await asyncio.gather(*(client(n) for n in range(clients)))
    elapsed = time.perf_counter() - began
    if errors:
        raise SystemExit(f"{request}: {len(errors)} errors, e.g. HTTP {errors[0]}")
    return elapsed, latencies


def _form(client: int, index: int, token: str) -> dict[str, str]:
    return {
        "csrf": token, "nom": "Martin", "prenom": f"Personne {index}",
        "email": f"bench{index}.{client}@exemple.fr", "structure": "Ville de Montreuil",
        "type_structure": "1",
        "profil": "1", "departement": "93", "telephone": "", "consentement": "oui",
    }  # fmt: skip


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
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
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
            results = {}
            for request in ("static", "event", "register"):
                count = args.requests if request != "register" else args.requests // 2
                elapsed, latencies = asyncio.run(_load(base, args.clients, count, request, code))
                results[request] = (count / elapsed, _percentile(latencies, 0.95) * 1000)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)
    ceiling = results["static"][0]
    print(f"{args.clients} clients simultanés, SQLite, serveur « relais run » sur la boucle locale")
    for name, label in (
        ("static", "page statique (plafond)"),
        ("event", "page d'événement"),
        ("register", "inscription (POST)"),
    ):
        rate, p95 = results[name]
        print(
            f"  {label:26} {rate:8.0f} req/s   p95 {p95:7.1f} ms   {rate / ceiling:5.2f} × plafond"
        )
    print(f"Objectifs : page d'événement ≥ 0,5 × plafond ({results['event'][0] / ceiling:.2f}), "
          f"inscriptions ≥ 200/s ({results['register'][0]:.0f}/s)")  # fmt: skip


if __name__ == "__main__":
    main()
