"""What SLT ask of the reports in chat, as commands like bot.usecases.commands."""
from __future__ import annotations

from dataclasses import dataclass

from bot.usecases.commands import Command


@dataclass(frozen=True, kw_only=True)
class ShowSummary(Command):
    """`walk summary`: this session's summary of findings (004 §8)."""


@dataclass(frozen=True, kw_only=True)
class ShowCoverage(Command):
    """`visit coverage`: this session's visit counts against the caps, for SLT."""
