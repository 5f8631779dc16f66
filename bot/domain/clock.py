"""Clocks: the system's, one running from a chosen moment, and a fixed one the console and tests move by hand."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class ShiftedClock:
    """The system clock, set to start at a chosen moment and run on: rehearsing a school day at any hour."""

    def __init__(self, at: datetime):
        if at.tzinfo is None:
            raise ValueError("ShiftedClock needs a timezone-aware datetime")
        self._offset = at - datetime.now(timezone.utc)

    def now(self) -> datetime:
        return datetime.now(timezone.utc) + self._offset


class FixedClock:
    """Stands still until moved: reproducible console sessions and tests."""

    def __init__(self, at: datetime):
        if at.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self._at = at

    def now(self) -> datetime:
        return self._at

    def advance(self, by: timedelta) -> None:
        self._at += by

    def set(self, at: datetime) -> None:
        self._at = at
