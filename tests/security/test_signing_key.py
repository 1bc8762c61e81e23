"""Point 1 of the security issue: no link can be forged with a key read in the source.

A fresh install (SECRET_KEY empty) generates a random key in the database on
first start; every process shares it; SECRET_KEY wins when set.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import subprocess
import sys
from pathlib import Path

import httpx
import sqlalchemy as sa
from sqlmodel import Session

from relais.newsletter import services, tokens
from relais.newsletter.models import Subscriber, SubscriberStatus
from relais.registrations import services as registrations
from relais.settings import PUBLIC_DEVELOPMENT_KEY
from tests.factories import make_event, make_person
from tests.security.conftest import RunningRelais, start_relais

ONE_CLICK = {"List-Unsubscribe": "One-Click"}


def _active(session: Session, email: str = "fatou.sy@exemple.fr") -> Subscriber:
    subscriber = services.request(session, email=email, channel="telegram", source="bot")
    services.confirm(session, subscriber)
    session.commit()
    return subscriber


def _unsubscribe_token(key: bytes, subscriber: Subscriber) -> str:
    """What ``relais.newsletter.tokens`` computes, under a key of our choosing."""
    message = f"newsletter:unsubscribe:{subscriber.id}:{subscriber.email.lower()}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return f"{subscriber.id}.{base64.urlsafe_b64encode(digest[:16]).decode().rstrip('=')}"


def _survey_token(key: bytes, registration_id: int) -> str:
    signature = hmac.new(key, f"satisfaction:{registration_id}".encode(), hashlib.sha256)
    return f"{registration_id}.{signature.hexdigest()[:24]}"


def _status(engine: sa.Engine, subscriber_id: int | None) -> SubscriberStatus:
    with Session(engine) as fresh:
        found = fresh.get(Subscriber, subscriber_id)
        assert found is not None
        return found.status


def _stored_keys(engine: sa.Engine) -> list[str]:
    with engine.connect() as connection:
        return list(connection.execute(sa.text("select value from installation_secret")).scalars())


def test_each_migrated_database_draws_its_own_random_key(tmp_path: Path) -> None:
    from relais.db import make_engine
    from relais.migrate import upgrade

    found = []
    for name in ("un.db", "deux.db"):
        fresh = make_engine(f"sqlite:///{tmp_path / name}")
        upgrade(fresh)
        found.append(_stored_keys(fresh))
        fresh.dispose()
    assert all(len(keys) == 1 and len(keys[0]) >= 64 for keys in found)
    assert found[0] != found[1]


def test_fresh_install_refuses_links_forged_with_the_public_key(
    relais_run: RunningRelais, session: Session
) -> None:
    subscriber = _active(session)
    event = make_event(session, title="Rencontre des médiateurs")
    person = make_person(session)
    assert event.id is not None and person.id is not None
    registration = registrations.register(session, event.id, person.id, source="web").registration
    session.commit()
    assert registration.id is not None
    public = PUBLIC_DEVELOPMENT_KEY.encode()
    with httpx.Client(base_url=relais_run.base_url) as http:
        forged = f"/desabonnement/{_unsubscribe_token(public, subscriber)}"
        for response in (http.get(forged), http.post(forged, data=ONE_CLICK)):
            assert response.status_code == 404 and "Ce lien n'est pas valable" in response.text
        survey = http.get(f"/satisfaction/{_survey_token(public, registration.id)}")
        assert survey.status_code == 400 and "Rencontre des médiateurs" not in survey.text
        assert subscriber.id is not None
        genuine_token = tokens.make("unsubscribe", subscriber.id, subscriber.email)
        genuine = http.post(f"/desabonnement/{genuine_token}", data=ONE_CLICK)
    assert genuine.status_code == 200, "the test's own link is signed with the generated key"
    assert _status(session.get_bind(), subscriber.id) == SubscriberStatus.UNSUBSCRIBED
    stored = _stored_keys(session.get_bind())
    assert len(stored) == 1 and len(stored[0]) >= 32
    output = relais_run.stop()
    assert "générée par Relais et gardée dans la base de données" in output
    assert stored[0] not in output


KEY_DIGEST = (
    "import hashlib, sys; sys.stdin.readline();"
    "from relais.keys.services import signing_key;"
    "print(hashlib.sha256(signing_key()).hexdigest())"
)


def test_processes_starting_together_share_one_key(db_url: str, engine: sa.Engine) -> None:
    """Several processes released at the same instant: one row, one key for all.

    The migration drew a key already; it is removed so that the processes race
    to create it (as after an operator deleted it, or on a restored database).
    """
    with engine.begin() as connection:
        connection.execute(sa.text("delete from installation_secret"))
    environment = {**os.environ, "DATABASE_URL": db_url, "SECRET_KEY": ""}
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", KEY_DIGEST],
            env=environment,
            text=True,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(4)
    ]
    for process in processes:  # all are started and importing; release them together
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.flush()
    results = [process.communicate(timeout=120) for process in processes]
    assert all(process.returncode == 0 for process in processes), results
    digests = {out.strip() for out, _err in results}
    stored = _stored_keys(engine)
    assert len(stored) == 1
    assert digests == {hashlib.sha256(stored[0].encode()).hexdigest()}


def test_secret_key_wins_when_set(tmp_path: Path, db_url: str, session: Session) -> None:
    secret = "une-cle-choisie-par-l-exploitant-0123456789"
    subscriber = _active(session)
    running = start_relais(tmp_path, DATABASE_URL=db_url, SECRET_KEY=secret)
    try:
        with httpx.Client(base_url=running.base_url) as http:
            for key in [stored.encode() for stored in _stored_keys(session.get_bind())]:
                token = _unsubscribe_token(key, subscriber)
                refused = http.post(f"/desabonnement/{token}", data=ONE_CLICK)
                assert refused.status_code == 404, "the database key yields to SECRET_KEY"
            token = _unsubscribe_token(secret.encode(), subscriber)
            response = http.post(f"/desabonnement/{token}", data=ONE_CLICK)
        assert response.status_code == 200 and "Vous êtes désabonné·e" in response.text
    finally:
        output = running.stop()
    assert "Clé de signature des liens : SECRET_KEY (environnement)." in output
    assert secret not in output
