"""Notices for schools on Teams and Slack: a Teams school with a staff team and channel, the references walkbot
stores when it is installed, notices written straight into the outbox, and `walkbot dispatch --once` as a process
of its own with only the settings a test gives it."""
from __future__ import annotations

import os
import subprocess
import sys

from notices_support import ROOT, TUESDAY_10
from teams_support import BOT, TENANT, school_config

from bot.domain.model import Notice, NoticeKind
from bot.domain.school import School
from bot.ports import TeamsConversation
from bot.reply.card import card

TEAM = "19:staffteam@thread.tacv2"  # the staff team (its General channel has the team's id)
CHANNEL = "19:walks@thread.tacv2"  # the channel in it for walk programmes
TEAMS_SCHOOL = school_config(announcements_channel=None,
                             teams={"tenant_id": TENANT, "team_id": TEAM, "channel_id": CHANNEL})
# What a dispatcher process would otherwise take from the environment the tests run in.
SETTINGS = ("DATABASE_URL", "SLACK_BOT_TOKEN", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "SLACK_API_URL",
            "WALKBOT_SECRET_KEY", "TEAMS_APP_ID", "TEAMS_APP_SECRET", "TEAMS_TENANT_ID", "TEAMS_LOGIN_URL",
            "WALKBOT_PUBLIC_URL")


def installed(store, connector, school: School, conversation: str, *, scope: str = "personal",
              chat_id: str | None = None) -> None:
    """The reference walkbot stores when it is installed for a person (or added to a team)."""
    with store.uow() as uow:
        uow.teams.save(TeamsConversation(school_id=school.id, tenant_id=TENANT, conversation_id=conversation,
                                         service_url=connector.service_url, scope=scope, bot_id=BOT,
                                         aad_object_id=chat_id, chat_id=chat_id))
        uow.commit()


def for_person(store, connector, school: School, person) -> None:
    installed(store, connector, school, person.chat, chat_id=person.aad)


def notices(store, school: School, recipient: str, *texts: str, kind=NoticeKind.REMINDER, **fields) -> list[int]:
    """A notice to `recipient` saying each of `texts`, due now (TUESDAY_10)."""
    with store.uow() as uow:
        ids = [uow.notices.add(Notice(school.id, kind, recipient, TUESDAY_10, card(text), **fields)).id
               for text in texts]
        uow.commit()
    return ids


def one(store, notice_id: int) -> Notice:
    with store.uow() as uow:
        return uow.notices.get(notice_id)


def waiting(store, school: School) -> list[tuple[str, str]]:
    with store.uow() as uow:
        return uow.notices.waiting(school.id)


def dispatch_once(db_url: str, **settings: str) -> subprocess.CompletedProcess:
    """`walkbot dispatch --once` with these settings (and no others), its clock at TUESDAY_10."""
    env = {**{k: v for k, v in os.environ.items() if k not in SETTINGS}, "PYTHONPATH": str(ROOT), **settings}
    return subprocess.run([sys.executable, "-m", "handlers.cli", "dispatch", "--once", "--db", db_url,
                           "--now", TUESDAY_10.replace(tzinfo=None).isoformat()],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
