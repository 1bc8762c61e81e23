"""The bot's own tables: where each person is in a conversation, and the Telegram outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Text
from sqlmodel import Field, SQLModel

from relais.dbtypes import UTCDateTime
from relais.delivery.chat import ChatMessage, ChatState
from relais.timefmt import utcnow


class BotConversation(SQLModel, table=True):
    """The step a person is at, kept in SQL so that a restart loses nothing."""

    __tablename__ = "bot_conversation"

    telegram_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    step: str = Field(max_length=40)
    data: str = Field(default="{}", sa_column=Column(Text, nullable=False, server_default="{}"))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


#: The Telegram outbox is a core table, so other channels may queue chat messages.
BotOutboxMessage = ChatMessage
OutboxState = ChatState
