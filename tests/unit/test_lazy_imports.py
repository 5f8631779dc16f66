"""What a process loads at start is what its job needs: a Slack-only `walkbot serve` or `walkbot dispatch` never
loads the Teams SDK (half its memory), nor Alembic (only to migrate) nor icalendar (only to write a calendar
file). Run in a fresh interpreter, as the process would start."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from storage import open_store

HEAVY = ("microsoft_teams", "alembic", "icalendar")
TEAMS_ENV = ("TEAMS_APP_ID", "TEAMS_APP_SECRET", "TEAMS_TENANT_ID")

SLACK_START = """
import json, sys
import handlers.cli, handlers.scheduler, handlers.slack.server, handlers.transports
from handlers.transports import teams_from_environment
from storage import open_store
store = open_store(sys.argv[1])
with store.uow() as uow:
    uow.schools.all()
assert teams_from_environment(store.uow) is None
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules} & set(sys.argv[2:]))))
"""


def _loaded(tmp_path, env: dict[str, str]) -> list[str]:
    db = f"sqlite:///{tmp_path / 'walkbot.db'}"
    open_store(db).close()  # migrated here: a process starting on a database already up to date
    done = subprocess.run([sys.executable, "-c", SLACK_START, db, *HEAVY], env=env, capture_output=True, text=True,
                          timeout=120, cwd=os.getcwd())
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_slack_only_process_loads_neither_the_teams_sdk_nor_what_only_migrating_or_calendars_need(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in TEAMS_ENV}
    assert _loaded(tmp_path, env) == []
