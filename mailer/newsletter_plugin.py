"""The newsletter's mail side as a Relais plugin: the renderers of its e-mails and the
hooks that keep unsubscribed addresses unmailed (its ``relais newsletter`` commands are
declared in the wiring list)."""

from __future__ import annotations

from mailer.newsletter import subscribe

__all__ = ["subscribe"]
