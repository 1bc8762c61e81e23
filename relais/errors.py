"""Errors a person can act on.

Each carries a key of the French message catalogue and what the sentence
needs; channels show ``error.message`` as is.
"""

from __future__ import annotations

from typing import Any

from relais.i18n import t


class DomainError(Exception):
    def __init__(self, message_key: str, /, **context: Any) -> None:
        super().__init__(message_key)
        self.code = message_key
        self.context = context

    @property
    def message(self) -> str:
        return t(f"errors.{self.code}", **self.context)

    def __str__(self) -> str:
        return self.message


class NotFound(DomainError):
    """An event, a person or a network that does not exist (or no longer does)."""


class InvalidInput(DomainError):
    """A value typed or imported by a person that Relais cannot accept."""
