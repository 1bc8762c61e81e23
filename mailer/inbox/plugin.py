"""The inbox as a Relais plugin: its table, and the reader ``relais run`` starts only
when a mailbox is configured (``IMAP_HOST``)."""

from __future__ import annotations

from typing import Any

from mailer.inbox import models
from relais.settings import Settings

__all__ = ["component", "models"]


def component(settings: Settings) -> Any:
    if not settings.imap_host:
        return None
    from mailer.inbox.component import InboxComponent

    return InboxComponent(settings)
