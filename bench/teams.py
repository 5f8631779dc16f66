"""Teams request latency: `walkbot teams serve` over the seeded authority's Teams schools against a bare Teams
SDK bot served the same way (bench/bare_teams.py), both sent the same activities with the same Bot Framework
token: a typed proposal, the teacher's Agree (an adaptiveCard/action invoke), `limits`, `list` and `home`.

The tests' connector stand-in (tests/support/connector_standin.py) runs in this process and is both bots' cloud:
walkbot's own token comes from its login endpoint, and inbound tokens, signed with the tests' key, are checked
against the keys it publishes. It notes when each reply reaches it: for a message, walkbot's answer is the reply
it posts to the person's chat; for an invoke, the HTTP answer (the card replaced in place) is the answer.
walkbot is installed for everyone first (their personal chats stored), so its dispatcher, which `walkbot teams
serve` runs beside the endpoint, sends the proposals and agreements through the same connector meanwhile.
"""
from __future__ import annotations

import json
import random
import sys
import threading
import time as timer
from dataclasses import dataclass, field
from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from connector_standin import ConnectorStandIn, RateLimits
from teams_limits import cards_of, shown_text
from teams_support import APP_ID, BOT, SECRET, Person, Tenant, key, mention, mint

from bench import load, processes
from bench.ack import KINDS, TIMES, VISIT, AckResult, Run, spring_days
from bench.seed import TIMEZONE, Authority
from bench.teams_serve import cloud_arg
from bot.ports import TeamsConversation
from bot.reply.actions import teacher_answers
from handlers.teams import cards
from handlers.teams.server import MESSAGES_PATH
from handlers.teams.settings import MULTI
from storage import open_store

BARE = "bare Teams SDK"
# Teams' limits are per conversation, and each person here is sent a few messages a run: latency is measured
# without them (bench/dispatch.py is where limits are met).
NO_LIMITS = RateLimits(((1.0, 10**9),))
TRIES = 20  # draws for two people no other client has; then anyone (too few people for the clients)
LONDON = ZoneInfo(TIMEZONE)


@dataclass(frozen=True)
class TeamsResult(AckResult):
    notices: int = 0  # messages walkbot's dispatcher sent meanwhile
    refused: int = 0  # messages the stand-in refused as Teams would (400), from either bot


@dataclass
class TeamsStandIn(ConnectorStandIn):
    """The connector stand-in, noting when each message it takes came, and each reply: in which conversation, and
    what it shows. A reply is one the SDK sent in answer to an activity, in that activity's conversation as Teams
    gave it (its type and tenant too); a notice names its conversation by id alone, from the stored reference."""

    answers: load.Answers = field(default_factory=load.Answers)
    posted_at: list[float] = field(default_factory=list)  # time.monotonic() of each message taken
    notices: int = 0

    def _activity(self, method, conversation, activity_id, body, authorization):
        taken = super()._activity(method, conversation, activity_id, body, authorization)
        if taken[0] < 300:
            self.posted_at.append(timer.monotonic())
            if "conversationType" not in (body.get("conversation") or {}):
                self.notices += 1
                return taken
            shown = cards_of(body)
            self.answers.record(conversation, shown_text(shown[0]) if shown else str(body.get("text") or ""))
        return taken


@dataclass(frozen=True)
class TeamsRequest:
    """One activity the Bot Framework would post to /api/messages."""

    kind: str
    body: str
    answered_by: str | None  # the person's chat a message is answered in; None: an invoke, answered over HTTP
    start: datetime | None = None  # a proposal's time, which the teacher's card asks about

    def headers(self, token: str) -> dict[str, str]:
        return {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}


class Activities(Tenant):
    """The tests' Teams tenant, making activities without posting them: the load generator posts them, timed."""

    def post(self, activity: dict, **_) -> dict:
        return activity


def person(staff_id: str) -> Person:
    # walkbot reads who someone is from their Entra object id; the name only shows in a mention's text.
    return Person(staff_id, f"29:{staff_id}", "Teacher")


def install(db_url: str, authority: Authority, connector: ConnectorStandIn) -> None:
    """walkbot installed for the SLT and teachers of every Teams school, as an admin's setup policy installs it:
    each person's personal chat stored as Teams gives it, through this connector."""
    store = open_store(db_url)
    try:
        with store.uow() as uow:
            for school in authority.on_teams:
                for who in map(person, school.slt + school.teachers):
                    uow.teams.save(TeamsConversation(
                        school_id=school.id, tenant_id=school.tenant_id, conversation_id=who.chat,
                        service_url=connector.service_url, aad_object_id=who.aad, teams_user_id=who.teams_id,
                        bot_id=BOT, chat_id=who.aad))
            uow.commit()
    finally:
        store.close()


def script(authority: Authority, seed: int, connector: ConnectorStandIn) -> load.Script:
    """As ack.script, in the Teams schools: each person works through propose → agree → limits → list → home,
    over and over, as different people in different schools, reproducibly. A person's replies all come to their
    one chat with walkbot, where nothing tells two apart, so no two clients have the same person at once."""
    days, schools = spring_days(), authority.on_teams
    tenants = {school.id: Activities(http=None, connector=connector, store=None, clock=None, runtime=None,
                                     tenant=school.tenant_id) for school in schools}
    rounds: dict[int, tuple[Activities, Person, Person]] = {}  # each client's school, teacher and visitor now
    lock = threading.Lock()

    def new_round(client: int, rng: random.Random) -> tuple[Activities, Person, Person]:
        with lock:
            taken = {who for other, (_, *people) in rounds.items() if other != client for who in people}
            for _ in range(TRIES):
                school = rng.choice(schools)
                people = tuple(map(person, rng.sample(school.teachers, 2)))
                if taken.isdisjoint(people):
                    break
            rounds[client] = (tenants[school.id], *people)
            return rounds[client]

    def say(kind: str, teams: Activities, who: Person, text: str, start: datetime | None = None,
            **fields) -> TeamsRequest:
        return TeamsRequest(kind, json.dumps(teams.say(who, text, **fields)), who.chat, start)

    def next_request(client: int, step: int, previous: load.Answered | None) -> TeamsRequest:
        kind = KINDS[step % len(KINDS)]
        if kind == "propose":
            rng = random.Random(seed * 1_000_003 + client * 10_007 + step // len(KINDS))
            teams, teacher, visitor = new_round(client, rng)
            day, at = rng.choice(days), rng.choice(TIMES)
            return say(kind, teams, visitor, f'propose <at>{teacher.name}</at> {day.isoformat()} {at} 30m kind '
                                             'formal focus "questioning" feedback "a chat after school"',
                       datetime.combine(day, time.fromisoformat(at), LONDON), entities=[mention(teacher)])
        teams, teacher, visitor = rounds[client]
        found = VISIT.search(previous.said) if previous and kind == "agree" else None
        if found:  # Agree as the teacher's card has it: walkbot's own button for that visit and time
            button = cards.execute(teacher_answers(int(found.group(1)), previous.request.start)[0])
            return TeamsRequest(kind, json.dumps(teams.press(teacher, button)), None)
        if kind in ("agree", "limits"):  # a refused proposal leaves nothing to agree: the teacher's limits instead
            return say("limits", teams, teacher, "limits")
        if kind == "list":
            return say(kind, teams, visitor, "list")
        return say(kind, teams, teacher, "home")

    return next_request


def settings() -> dict[str, str]:
    """A multi-tenant bot's (one for all the schools), as the stand-in's login knows it."""
    return {"TEAMS_APP_ID": APP_ID, "TEAMS_APP_SECRET": SECRET, "TEAMS_TENANT_ID": MULTI}


def teams_latency(db_url: str, authority: Authority, *, logs: Path, concurrencies=(1, 8), requests: int = 500,
                  warmup: int = 10, seed: int = 1, progress=print) -> TeamsResult:
    runs: list[Run] = []
    with TeamsStandIn(key=key(), client_id=APP_ID, client_secret=SECRET, limits=NO_LIMITS) as connector:
        install(db_url, authority, connector)
        env = {"DATABASE_URL": db_url, **settings()}
        cloud = ["--cloud", cloud_arg(connector.cloud)]
        walkbot_port, bare_port = processes.free_port(), processes.free_port()
        serve_log, bare_log = logs / "teams-serve.log", logs / "bare-teams.log"
        with processes.running([sys.executable, "-m", "bench.teams_serve", *cloud, "--port", str(walkbot_port)],
                               env, serve_log) as serve, \
                processes.running([sys.executable, "-m", "bench.bare_teams", *cloud, "--port", str(bare_port)],
                                  env, bare_log) as bare:
            processes.wait_healthy(walkbot_port, serve, serve_log)
            processes.wait_healthy(bare_port, bare, bare_log)
            timer.sleep(2)  # settled: imports done, the dispatcher's first run over
            idle, _ = processes.memory_mib(serve.pid)
            token = mint(connector.service_url)  # one channel token for the run, as the Bot Framework reuses one
            for concurrency in concurrencies:
                for target, port in (("walkbot", walkbot_port), (BARE, bare_port)):
                    progress(f"Teams latency: {target}, concurrency {concurrency}, {requests} requests")
                    latencies = load.run(port, MESSAGES_PATH, token, script(authority, seed, connector),
                                         concurrency=concurrency, requests=requests, warmup=warmup,
                                         answers=connector.answers)
                    runs.append(Run(target, concurrency, latencies))
            loaded, peak = processes.memory_mib(serve.pid)
    return TeamsResult(runs, idle, loaded, peak, notices=connector.notices, refused=len(connector.refused))
