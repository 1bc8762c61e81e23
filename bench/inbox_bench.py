"""Reading the mailbox: N returned messages waiting in a real Dovecot, processed by Relais.

A realistic mix, a quarter each: Postfix bounces (5.1.1, each for an address Relais
wrote to), unsubscribe e-mails from subscribers, calendar answers (ACCEPTED, with
an authenticated sender), out-of-office replies. Prints messages per second, the
peak memory added while processing, and the ratio to a ceiling measured in the
same run: the same messages fetched over the same IMAP connection with the same
commands (chunked UID FETCH of headers then bodies), without parsing, acting or
moving them, once before and once after processing, averaged. By default it runs
for 2,000 and 10,000 messages (each in a fresh process) so one can see that memory
does not grow with the mailbox.

    .venv/bin/python bench/inbox_bench.py                 # 2,000 and 10,000
    .venv/bin/python bench/inbox_bench.py --messages 500 --single
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


class PeakRss:
    """Samples this process's resident memory every 20 ms; reports the peak above the start."""

    def __init__(self) -> None:
        self.base = self.peak = self._rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _rss() -> int:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self._rss())

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._rss())

    @property
    def added_mib(self) -> float:
        return (self.peak - self.base) / 2**20


def _messages(count: int, uid: str) -> list[bytes]:
    from tests.inbox.conftest import corpus

    found: list[bytes] = []
    for number in range(count):
        kind = number % 4
        if kind == 0:
            raw = corpus("dsn_postfix.eml", address=f"rebond{number}@exemple.fr",
                         bounce_to="relais@crpv.example")  # fmt: skip
            raw = raw.replace(b"20250318162103.4Q7d9K0c1Rz4b@", f"dsn{number}@".encode())
        elif kind == 1:
            raw = corpus("unsubscribe.eml", address=f"abonne{number}@exemple.fr")
            raw = raw.replace(b"unsubscribe-20250320141008@", f"u{number}@".encode())
        elif kind == 2:
            raw = corpus("reply_apple.eml", uid=uid, sequence=0,
                         attendee=f"personne{number}@exemple.fr", domain="exemple.fr")  # fmt: skip
            raw = raw.replace(b"9A1E7C0B-3F5D-4E2A-8B6C-1D0F4A7E2C93@", f"r{number}@".encode())
        else:
            raw = corpus("auto_reply_en.eml", address=f"absent{number}@exemple.fr")
            raw = raw.replace(b"ooo-20250320120038-4411@", f"o{number}@".encode())
        found.append(raw)
    return found


def _setup(count: int) -> str:
    """People, subscribers, outbox rows and one event the messages refer to; the event UID."""
    from mailer.outbox import enqueue
    from relais.db import get_engine, session_scope
    from relais.events.ical import event_uid
    from relais.migrate import upgrade
    from relais.newsletter import services as newsletter
    from relais.registrations import services as registrations
    from tests.factories import make_event, make_person
    from wiring import subscribe_all

    upgrade(get_engine())
    subscribe_all()
    with session_scope() as session:
        event = make_event(session, title="Rencontre de mesure")
        assert event.id is not None
        for number in range(count):
            kind = number % 4
            if kind == 0:
                enqueue(session, kind="registered", to=f"rebond{number}@exemple.fr",
                        idempotency_key=f"bench:{number}")  # fmt: skip
            elif kind == 1:
                subscriber = newsletter.request(session, email=f"abonne{number}@exemple.fr",
                                                channel="bench", source="bench")  # fmt: skip
                newsletter.activate(session, subscriber, channel="bench", source="bench")
            elif kind == 2:
                person = make_person(session, email=f"personne{number}@exemple.fr")
                assert person.id is not None
                registrations.register(session, event.id, person.id, source="bench")
        return event_uid(event)


def _ceiling(settings: Any, folder: str) -> float:
    """Messages per second fetched with the reader's own commands, nothing else done."""
    from mailer.inbox.imap import ImapMailbox
    from mailer.inbox.process import CHUNK

    mailbox = ImapMailbox(settings.model_copy(update={"imap_folder": folder}))
    mailbox.connect()
    try:
        started = time.perf_counter()
        uids = mailbox.uids()
        for start in range(0, len(uids), CHUNK):
            chunk = uids[start : start + CHUNK]
            mailbox.headers(chunk)
            mailbox.bodies(chunk)
        return len(uids) / (time.perf_counter() - started)
    finally:
        mailbox.close()


def run_single(count: int) -> dict[str, float]:
    sys.path.insert(0, str(ROOT))
    from tests.inbox.dovecot import start_dovecot

    work = Path(tempfile.mkdtemp(prefix="relais-inbox-bench-"))
    server = start_dovecot()
    folder = "Mesure"
    os.environ.update(
        DATABASE_URL=f"sqlite:///{work / 'bench.db'}", ENVIRONMENT="test",
        PUBLIC_BASE_URL="https://relais.crpv.example", MAIL_FROM="CRPV Relais <relais@crpv.example>",
        NEWSLETTER_UNSUBSCRIBE_MAILTO="desabonnement@crpv.example",
        IMAP_TRUSTED_AUTHSERV_ID="mx.crpv.example", MAIL_OUTBOX_DIR=str(work / "outbox"),
        **server.env(folder),
    )  # fmt: skip
    try:
        from mailer.inbox.imap import ImapMailbox
        from mailer.inbox.process import InboxReader
        from relais.settings import get_settings

        uid = _setup(count)
        started = time.perf_counter()
        server.append(folder, *_messages(count, uid))
        append_s = time.perf_counter() - started
        settings = get_settings()
        before = _ceiling(settings, folder)
        mailbox = ImapMailbox(settings)
        mailbox.connect()
        with PeakRss() as memory:
            started, cpu = time.perf_counter(), time.process_time()
            result = InboxReader(settings).run_pass(mailbox)
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        mailbox.close()
        after = _ceiling(settings, settings.imap_processed_folder)
        assert result.read == count and server.count(folder) == 0, result
        ceiling = (before + after) / 2
        return {
            "messages": count, "acted": result.acted, "append_s": append_s,
            "process_s": elapsed, "cpu_s": cpu, "rate": count / elapsed, "ceiling": ceiling,
            "ratio": (count / elapsed) / ceiling, "memory_mib": memory.added_mib,
        }  # fmt: skip
    finally:
        server.stop()


def main() -> None:
    from wiring import install

    install()  # the channels, before any migration imports their tables
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, nargs="*", default=[2000, 10000])
    parser.add_argument("--single", action="store_true", help="One size, in this process.")
    args = parser.parse_args()
    if args.single:
        print(json.dumps(run_single(args.messages[0])))
        return
    print(f"{'messages':>9} {'agis':>6} {'dépôt (s)':>10} {'lecture (s)':>12} {'CPU (s)':>8} "
          f"{'msg/s':>8} {'plafond':>8} {'ratio':>6} {'mémoire +Mio':>13}")  # fmt: skip
    for size in args.messages:
        out = subprocess.run(
            [sys.executable, __file__, "--single", "--messages", str(size)],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        r = json.loads(out.strip().splitlines()[-1])
        print(f"{r['messages']:>9} {r['acted']:>6} {r['append_s']:>10.1f} {r['process_s']:>12.2f} "
              f"{r['cpu_s']:>8.2f} "
              f"{r['rate']:>8.0f} {r['ceiling']:>8.0f} {r['ratio']:>6.2f} "
              f"{r['memory_mib']:>13.1f}")  # fmt: skip
    print("plafond = mêmes messages relus par les mêmes commandes IMAP (UID FETCH par paquets),"
          " sans analyse, sans action en base, sans déplacement. CPU = temps processeur de"
          " Relais pendant la lecture (la durée réelle dépend aussi de la charge de la machine"
          " et du travail de Dovecot).")  # fmt: skip


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
