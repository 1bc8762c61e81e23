"""The newsletter's core side as a plugin: the ``relais subscribers`` commands and the
RGPD hooks (erasure and right of access reach the subscription)."""

from __future__ import annotations

from relais import signals
from relais.newsletter import cli, services
from relais.newsletter.models import Issue, Subscriber
from relais.people import services as people

__all__ = ["Issue", "Subscriber", "commands", "subscribe"]

commands = [("subscribers", cli.app)]


def subscribe() -> None:
    signals.on(signals.PersonErased, services.on_person_erased)
    people.register_exporter("lettre_information", services.export_for_person)
