"""The newsletter's core side as a plugin: the RGPD hooks (erasure and right of access
reach the subscription). Its ``relais subscribers`` commands are declared in the
wiring list."""

from __future__ import annotations

from relais import signals
from relais.newsletter import services
from relais.newsletter.models import Issue, Subscriber
from relais.people import export as data_export

__all__ = ["Issue", "Subscriber", "subscribe"]


def subscribe() -> None:
    signals.on(signals.PersonErased, services.on_person_erased)
    data_export.register_exporter("lettre_information", services.export_for_person)
