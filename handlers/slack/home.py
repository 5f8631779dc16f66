"""The App Home tab: the core's overview card (bot.chat.replies.overview_card) drawn as a home view.

What it holds (my visits, what awaits my answer with its buttons, my allowance, the next walk; for SLT
every teacher's counts and the walks planned) is the core's to say; here it only becomes Block Kit,
within the hundred blocks a view holds.
"""
from __future__ import annotations

from slack_sdk.models.views import View

from bot.reply.card import Card
from handlers.slack.blocks import view_blocks


def home_view(shown: Card) -> View:
    return View(type="home", blocks=view_blocks(shown, header=True))


def notice_home(said: Card) -> View:
    """The tab when there is nothing of one's own to show: a workspace not linked, someone not on the staff list."""
    return home_view(said if said.title else said.but(title="walkbot"))
