"""Relais: registrations, invitations and follow-up for CRPV peer networks.

This package is the domain core. It knows nothing of Telegram or SMTP: the
channels (``bot``, ``mailer``, ``scheduler``) call it and subscribe to the
domain events it emits (see :mod:`relais.signals`).
"""

__version__ = "0.1.0"
