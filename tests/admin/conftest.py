"""Helpers shared by the admin tests: administrators from the settings, networks with members."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlmodel import Session

from relais.networks import services as networks
from relais.networks.models import Network
from relais.settings import get_settings
from tests.factories import make_person

ADMIN_ID = 1000


@pytest.fixture
def admin_id(monkeypatch: pytest.MonkeyPatch, db_url: str) -> Iterator[int]:
    """A Telegram account listed in ADMIN_TELEGRAM_IDS."""
    monkeypatch.setenv("ADMIN_TELEGRAM_IDS", str(ADMIN_ID))
    get_settings.cache_clear()
    yield ADMIN_ID
    get_settings.cache_clear()


def make_network(session: Session, name: str, members: int = 0, **person: object) -> Network:
    network = networks.create(session, name, "test")
    assert network.id is not None
    for _ in range(members):
        added = make_person(session, **person)
        assert added.id is not None
        networks.add_member(session, network.id, added.id, "test")
    session.commit()
    return network
