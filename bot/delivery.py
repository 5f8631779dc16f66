"""Delivering notices from the outbox through whatever chat platform the school uses."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Protocol

from bot.model import Notice
from bot.ports import Clock, UnitOfWork


class DeliveryError(Exception):
    """The platform did not take the message."""


class RateLimited(DeliveryError):
    """Try again after `retry_after` seconds (Slack's 429 Retry-After)."""

    def __init__(self, retry_after: float):
        super().__init__(f"rate limited; retry after {retry_after:g} s")
        self.retry_after = retry_after


class Undeliverable(DeliveryError):
    """It will never go (unknown channel, user left): stop trying and show it as failed."""


class Transport(Protocol):
    def send(self, notice: Notice) -> str:
        """Deliver one notice; return the platform's message id. Raises DeliveryError."""


@dataclass
class DispatchReport:
    sent: list[Notice] = field(default_factory=list)
    retried: list[Notice] = field(default_factory=list)
    failed: list[Notice] = field(default_factory=list)


def dispatch_due(uow_factory: Callable[[], UnitOfWork], transport: Transport, clock: Clock, *,
                 limit: int = 100) -> DispatchReport:
    """Send every pending notice that is due, recording each as sent in its own transaction."""
    report = DispatchReport()
    with uow_factory() as uow:
        due = uow.notices.due(clock.now(), limit=limit)
    for notice in due:
        message_id = transport.send(notice)
        with uow_factory() as uow:
            uow.notices.mark_sent(notice.id, clock.now(), message_id)
            uow.commit()
        report.sent.append(notice)
    return report
