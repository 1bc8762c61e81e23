"""Rate limits hold across processes: two app instances on one database share the counts."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import httpx
import pytest
from sqlmodel import Session, select

from relais.web import limits
from relais.web.limits import RateCount
from tests.factories import make_event
from tests.web.conftest import Live, csrf_of, post_form, profile_form, register_on_web

#: Another process with its own application on the same database (the environment's).
OTHER_PROCESS = textwrap.dedent(
    """
    import asyncio, re, sys
    import httpx
    from wiring import install
    from relais.web.app import create_app

    install()

    async def main() -> None:
        transport = httpx.ASGITransport(app=create_app(), client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://relais") as http:
            for address in sys.argv[1:]:
                page = await http.get("/mes-inscriptions")
                token = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text).group(1)
                answer = await http.post(
                    "/mes-inscriptions", data={"email": address, "csrf": token}
                )
                print(answer.status_code)

    asyncio.run(main())
    """
)


def _in_other_process(*addresses: str) -> list[int]:
    done = subprocess.run(
        [sys.executable, "-c", OTHER_PROCESS, *addresses],
        env=os.environ.copy(), capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    return [int(line) for line in done.stdout.split()]


def test_limits_per_address_and_per_ip_hold_across_processes(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    from relais.settings import get_settings

    monkeypatch.setenv("WEB_RATE_PER_EMAIL", "3")
    monkeypatch.setenv("WEB_RATE_PER_IP", "5")
    get_settings.cache_clear()
    assert _in_other_process("same@exemple.fr", "same@exemple.fr") == [200, 200]
    with httpx.Client(base_url=live.base) as client:

        def ask(address: str) -> httpx.Response:
            return post_form(client, "/mes-inscriptions", {"email": address})

        assert ask("same@exemple.fr").status_code == 200  # 3rd for the address, 3rd for the IP
        refused = ask("Same@Exemple.fr")
        assert refused.status_code == 429 and "Trop de demandes" in refused.text
        # The refusal kept no hit: the IP has 3 of its 5, so two more pass.
        assert [ask(f"autre{n}@exemple.fr").status_code for n in (1, 2)] == [200, 200]
        over_ip = ask("autre3@exemple.fr")
        assert over_ip.status_code == 429 and "Trop de demandes" in over_ip.text
    assert _in_other_process("encore@exemple.fr") == [429]


def test_counts_leave_no_address_and_old_minutes_are_pruned(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = int(time.time() // 60)
    session.add(RateCount(scope="email", key="ancien", minute=now - 61, hits=4))
    session.add(RateCount(scope="email", key="recent", minute=now - 59, hits=4))
    session.commit()
    monkeypatch.setitem(limits._pruned, "minute", 0)
    limits.count(session, [limits.Check("email", "qui@exemple.fr", 5)])
    session.commit()
    rows = session.exec(select(RateCount)).all()
    assert {row.key for row in rows} >= {"recent"} and "ancien" not in {r.key for r in rows}
    assert all("@" not in row.key for row in rows)
    with pytest.raises(limits.Exceeded):
        for _ in range(6):
            limits.count(session, [limits.Check("email", "qui@exemple.fr", 5)])


@pytest.mark.parametrize(
    "variant", ["nadia@ｅxemple.fr", "nadia@exemple。fr", "nadia+spam@exemple.fr"]
)
def test_an_address_written_another_way_counts_as_the_same_address(
    live: Live, session: Session, monkeypatch: pytest.MonkeyPatch, variant: str
) -> None:
    """Full-width letters, an ideographic full stop or a +tag reach the same mailbox: the registration
    form, the « Mes inscriptions » link and the back-office sign-in count them as one."""
    from relais.settings import get_settings

    full = make_event(session, title="Complet", capacity=1, waitlist_enabled=False)
    session.commit()
    monkeypatch.setenv("WEB_RATE_PER_EMAIL", "2")
    get_settings.cache_clear()
    with httpx.Client(base_url=live.base) as client:
        register_on_web(client, live, f"/e/{full.code}", profile_form(email="premiere@exemple.fr"))
        token = csrf_of(client.get("/mes-inscriptions").text)

        def register(address: str) -> int:
            form = {**profile_form(email=address), "csrf": token}
            return client.post(f"/e/{full.code}", data=form).status_code

        def ask(path: str, address: str) -> int:
            form = {"email": address, "site_web": "", "csrf": token}
            return client.post(path, data=form).status_code

        registered = [register("nadia@exemple.fr"), register("nadia@exemple.fr"), register(variant)]
        managed = [
            ask("/mes-inscriptions", a)
            for a in ("karim@exemple.fr",) * 2 + (variant.replace("nadia", "karim"),)
        ]
        signed = [
            ask("/gestion/connexion", a)
            for a in ("lea@exemple.fr",) * 2 + (variant.replace("nadia", "lea"),)
        ]
    assert registered == [409, 409, 429]
    assert managed == [200, 200, 429]
    assert signed == [200, 200, 429]


def test_an_ipv6_client_is_counted_by_its_64_block(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each line or host gets a whole /64: rotating addresses inside it is one client. The
    server trusts the loopback proxy's ``X-Forwarded-For``, as behind nginx or Caddy."""
    from relais.settings import get_settings

    monkeypatch.setenv("WEB_RATE_PER_IP", "3")
    get_settings.cache_clear()
    with httpx.Client(base_url=live.base) as client:
        token = csrf_of(client.get("/mes-inscriptions").text)

        def ask(n: int, client_address: str) -> int:
            form = {"email": f"v6-{n}@exemple.fr", "csrf": token}
            headers = {"X-Forwarded-For": client_address}
            return client.post("/mes-inscriptions", data=form, headers=headers).status_code

        rotating = [ask(n, f"2001:db8:1:2::{n + 1:x}") for n in range(4)]
        other_block = ask(5, "2001:db8:1:3::1")
        mapped = [ask(6 + n, "::ffff:203.0.113.9" if n % 2 else "203.0.113.9") for n in range(4)]
    assert rotating == [200, 200, 200, 429]
    assert other_block == 200
    assert mapped == [200, 200, 200, 429]
