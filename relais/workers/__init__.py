"""Who is still alive among the processes that claim work rows (see :mod:`.liveness`)."""

from relais.workers.liveness import Liveness, register

__all__ = ["Liveness", "register"]
