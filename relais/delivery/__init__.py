"""One engine for everything that must be sent later (see :mod:`.engine`).

Channels plug a :class:`Channel` (render, retry policy) and transports into
:class:`DeliveryEngine`; a :class:`DeliveryLoop` runs its passes when woken;
periodic work is handed to the scheduler as :class:`Job` entries.
"""

from relais.delivery.engine import (
    Channel,
    DeliveryEngine,
    Item,
    Outbox,
    Result,
    Transport,
    backoff,
)
from relais.delivery.loop import DeliveryLoop, Job, Periodic, run_now, wake
from relais.delivery.pacing import Pacing

__all__ = [
    "Channel", "DeliveryEngine", "DeliveryLoop", "Item", "Job", "Outbox", "Pacing", "Periodic",
    "Result", "Transport", "backoff", "run_now", "wake",
]  # fmt: skip
