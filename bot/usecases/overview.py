"""Everything a person sees at a glance (Slack's App Home): their visits and allowance and the next
learning walk; for SLT also every teacher's visit counts against the caps (counts only), the walks,
and whom walkbot has notices for but cannot reach yet.
"""
from __future__ import annotations

from bot.domain.model import Role
from bot.notices.delivery import Reach
from bot.ports import Clock, UnitOfWork
from bot.usecases import commands as c
from bot.usecases import lookups
from bot.usecases.kernel import Scope, open_scope
from bot.usecases.results import Overview, TeacherCounts, Unreached


SHOWN = 10  # visits of each kind at a glance; `visit list` has them all


def show_overview(cmd: c.ShowOverview, uow: UnitOfWork, clock: Clock) -> Overview:
    # What the list and limits commands say, read in one transaction (in two statements: GlanceRepo), so the
    # overview never disagrees with them.
    with uow:
        scope = open_scope(uow, cmd, clock)
        session = lookups.this_session(scope)
        # SLT's counts for every teacher and the asker's own allowance, from the tallies kept as visits are written.
        teachers = [s for s in scope.staff if s.has(Role.TEACHER)] if scope.actor.is_slt else []
        asker = [] if scope.actor in teachers else [scope.actor]
        glance = uow.glance.read(scope.school.id, scope.actor.chat_id, lookups.since(scope), SHOWN + 1,
                                 [t.chat_id for t in teachers + asker], session.start,
                                 (session.start, session.end), waiting=scope.actor.is_slt)
        visits = lookups.visit_list(scope, glance.visits, shown=SHOWN)
        used = lookups.usage_from(glance.counts, teachers + asker, session, scope.ctx)
        allowance = lookups.allowance(scope, scope.actor, session, used[scope.actor.chat_id])
        walks = tuple(w for w in glance.walks if not w.cancelled and w.end > scope.now)
        counts = tuple(TeacherCounts(t, tuple(used[t.chat_id])) for t in teachers)
        unreached = _unreached(scope, glance.waiting) if scope.actor.is_slt else ()
        return Overview(scope.school, scope.actor, visits, allowance, walks, counts, unreached)


def _unreached(scope: Scope, waiting: list[tuple[str, str]]) -> tuple[Unreached, ...]:
    """Whom notices wait for (`waiting`: recipient, why), by why walkbot cannot reach them. Someone walkbot has been
    installed for since is left out: their notices go at the next try."""
    school, uow = scope.school, scope.uow
    people: dict[Reach, set[str]] = {}
    channels: set[Reach] = set()
    for recipient, why in waiting:
        reach = Reach(why)
        if recipient in school.staff_channels:
            channels.add(reach)
        elif not (reach is Reach.TEAMS_PERSON and uow.teams.personal(school.id, recipient)):
            people.setdefault(reach, set()).add(scope.names.get(recipient, recipient))
    return tuple(Unreached(reach, tuple(sorted(people.get(reach, ()))), reach in channels)
                 for reach in Reach if reach in people or reach in channels)
