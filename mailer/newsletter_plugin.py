"""The newsletter's mail side as a Relais plugin: the renderers of its e-mails and the
hooks that keep unsubscribed addresses unmailed (its ``relais newsletter`` commands are
declared in the wiring list)."""

from __future__ import annotations

from mailer import newsletter, newsletter_jobs

__all__ = ["subscribe"]


def subscribe() -> None:
    newsletter.subscribe()
    newsletter_jobs.subscribe()
