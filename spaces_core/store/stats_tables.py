"""Host analytics' tables (migration 0011): kept apart from `tables.py`, on the same metadata. Each row goes with
its Space (ON DELETE CASCADE), so the analytics are kept exactly as long as the Space's other data."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Column, DateTime, ForeignKey, Integer, String
from sqlmodel import Field, SQLModel

__all__ = ["HandWaitRow", "StatsSampleRow", "TalkTimeRow"]


def _space_fk(*, primary_key: bool = False) -> str:
    column = Column(String(32), ForeignKey("spaces.id", ondelete="CASCADE"), nullable=False, primary_key=primary_key)
    return Field(sa_column=column)  # type: ignore[no-any-return]


def _serial() -> int | None:
    column = Column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True)
    return Field(default=None, sa_column=column)  # type: ignore[no-any-return]


def _utc(*, nullable: bool) -> datetime:
    return Field(sa_column=Column(DateTime(timezone=True), nullable=nullable))  # type: ignore[no-any-return]


class StatsSampleRow(SQLModel, table=True):
    __tablename__ = "space_stats_samples"

    id: int | None = _serial()
    space_id: str = _space_fk()
    taken_at: datetime = _utc(nullable=False)
    discord_listeners: int = Field(sa_column=Column(Integer, nullable=False))
    web_listeners: int = Field(sa_column=Column(Integer, nullable=False))
    speakers: int = Field(sa_column=Column(Integer, nullable=False))
    hands: int = Field(sa_column=Column(Integer, nullable=False))
    reactions: dict[str, int] = Field(sa_column=Column(JSON, nullable=False))


class TalkTimeRow(SQLModel, table=True):
    __tablename__ = "space_talk_time"

    space_id: str = _space_fk(primary_key=True)
    user_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    ms: int = Field(sa_column=Column(BigInteger, nullable=False))


class HandWaitRow(SQLModel, table=True):
    __tablename__ = "space_hand_waits"

    id: int | None = _serial()
    space_id: str = _space_fk()
    user_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    raised_at: datetime = _utc(nullable=False)
    lowered_at: datetime | None = _utc(nullable=True)
    outcome: str | None = Field(default=None, sa_column=Column(String(16), nullable=True))
