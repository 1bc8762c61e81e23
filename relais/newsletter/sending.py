"""How far an issue's sending went, asked of whichever channel sends it.

The newsletter's mail side counts its outbox rows and registers that count here
(:func:`count_with`, in its ``subscribe``), so the bot's /lettre shows the
figures without knowing the mailer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import Session


@dataclass(frozen=True)
class Progress:
    recipients: int
    sent: int
    waiting: int
    sending: int
    failed: int
    bounced: int
    skipped: int

    @property
    def finished(self) -> int:
        return self.sent + self.failed + self.bounced + self.skipped

    @property
    def done(self) -> bool:
        return self.waiting == 0 and self.sending == 0


Counter = Callable[[Session, int], Progress]
_counter: Counter | None = None


def count_with(counter: Counter) -> None:
    """Set how issues' progress is counted (the channel that sends them)."""
    global _counter
    _counter = counter


def progress(session: Session, number: int) -> Progress | None:
    """Issue ``number``'s progress; None when no sending channel is wired."""
    return _counter(session, number) if _counter is not None else None
