"""At a glance: everything a person sees first (Slack's App Home, Teams' home card), and a question
once it has been answered (the card that replaces it, no actions left)."""
from __future__ import annotations

from bot.domain.model import Visit, VisitStatus
from bot.domain.school import School
from bot.domain.words import visit_line, walk_line, when_text
from bot.notices.delivery import Reach
from bot.reply.actions import teacher_answers, visitor_answers
from bot.reply.card import Action, Card, Say, Section, Style, Verb, line
from bot.usecases.results import Overview, Unreached, VisitList

# Whom walkbot cannot reach yet, and how the school puts it right; their messages wait meanwhile.
UNREACHED = {
    Reach.TEAMS_PERSON: ("Not reachable in Teams yet:",
                         "walkbot reaches people once it is installed for them: add walkbot to your Teams app setup "
                         "policy (Teams admin centre → Teams apps → Setup policies), or they can add it from Apps. "
                         "Their messages wait, and go once it is."),
    Reach.TEAMS_TEAM: ("Not reachable in Teams yet:",
                       "walkbot posts walk programmes in the staff channel once it is in that team: add walkbot to "
                       "the staff team (the team's … menu → Manage team → Apps). The programme waits until then."),
    Reach.NO_INSTALLATION: ("walkbot is not installed for the school yet:",
                            "walkbot has no way into the school's chat: install it in the school's Slack workspace, "
                            "or link the school to its Teams tenant in school.yml. Messages wait until then."),
}


def awaiting_answer(school: School, visit: Visit, names, me: str) -> Section:
    """A visit waiting for my answer, with the actions that give it."""
    text = visit_line(school, visit, names) + f" [{visit.status}]"
    if visit.status is VisitStatus.COUNTERED:
        return Section(lines=(text, f"The teacher suggests {when_text(school, visit.suggested_start)} instead."),
                       actions=visitor_answers(visit.id, visit.suggested_start))
    return Section(lines=(text,), actions=teacher_answers(visit.id, visit.start) if visit.teacher == me else ())


def visit_sections(result: VisitList, me: str | None = None) -> tuple[Section, ...]:
    """The person's visits by what they wait for; with `me`, what awaits my answer carries its actions."""
    def listed(title: str, visits) -> list[Section]:
        lines = tuple(f"  {visit_line(result.school, v, result.names)} [{v.status}]" for v in visits)
        return [Section(title, lines)] if visits else []

    awaiting = ([Section("Awaiting your answer:")] + [awaiting_answer(result.school, v, result.names, me)
                                                     for v in result.awaiting_me]
                if me and result.awaiting_me else listed("Awaiting your answer:", result.awaiting_me))
    more = [] if result.complete else [Section(lines=(line("Only the soonest are shown here: say ", Say("visit list"),
                                                           " for all your visits."),))]
    return tuple(awaiting + listed("Awaiting an answer from others:", result.awaiting_others)
                 + listed("Coming up:", result.upcoming)
                 + listed("Dialogue or record still to agree:", result.follow_up) + more)


def overview_card(result: Overview, flash: str | None = None) -> Card:
    """Everything at a glance (Slack's App Home, Teams' home card): what awaits my answer comes with its actions."""
    school = result.school
    start = [Action(Verb.OPEN_PROPOSE, "Propose a visit", Say("visit propose"), style=Style.PRIMARY)]
    if result.me.is_slt:
        start.append(Action(Verb.OPEN_WALK, "Plan a learning walk", Say("walk plan")))
    sections = [Section(lines=(f"⚠️ {flash}",))] if flash else []
    sections.append(Section(actions=tuple(start), ask="Start with"))
    if not result.visits.awaiting_me:  # the first thing people look for: said even when it is nothing
        sections.append(Section("Awaiting your answer:", ("Nothing awaits your answer.",)))
    sections += visit_sections(result.visits, result.me.chat_id)
    if result.is_teacher:
        sections.append(Section(f"Your allowance, session {result.allowance.session.name}:",
                                tuple(str(used) for used in result.allowance.lines) or
                                ("Your agreement sets no cap on the number of visits.",), notes=tuple(f"({c})" for c in dict.fromkeys(result.allowance.citations))))
    walks = tuple(f"  {walk_line(school, w)}" for w in result.walks)
    sections.append(Section("Next learning walk:", walks[:1] or (
        "No learning walk is planned for the rest of this session.",)))
    if result.counts:
        sections.append(Section("Visits per teacher this session:", tuple(
            f"  {row.teacher.name}: {' · '.join(map(str, row.lines)) or 'no caps'}" for row in result.counts)
            or ("No one on the staff list teaches.",)))
        sections.append(Section("Learning walks planned:", walks or ("None for the rest of this session.",)))
    sections += [unreached_section(u) for u in result.unreached]
    return Card(f"walkbot · {school.name}", tuple(sections))


def unreached_section(unreached: Unreached) -> Section:
    """Who walkbot has messages for but cannot reach yet, and what puts it right."""
    title, fix = UNREACHED[unreached.reach]
    who = unreached.names + (("the staff channel",) if unreached.channel else ())
    return Section(title, (f"  {', '.join(who)}",), notes=(fix,))



def state_line(school: School, visit: Visit) -> str:
    """Where a visit stands, for a question whose actions have been used."""
    match visit.status:
        case VisitStatus.AGREED:
            return f"✅ Agreed: {when_text(school, visit.start, visit.minutes)}"
        case VisitStatus.COUNTERED:
            return f"🕑 Another time suggested: {when_text(school, visit.suggested_start)}; waiting for the visitor"
        case VisitStatus.DECLINED:
            return f"Declined: “{visit.reason}”"
        case VisitStatus.WITHDRAWN:
            return "Withdrawn by the visitor"
        case VisitStatus.CANCELLED:
            return f"Cancelled: “{visit.reason}”"
        case VisitStatus.HELD:
            return "Held"
        case VisitStatus.PROPOSED:
            return "Waiting for the class teacher to answer"


def settled(school: School, visit: Visit, names) -> Card:
    """A question that has been answered: the visit and where it stands now, no actions left."""
    return Card(sections=(Section(lines=(visit_line(school, visit, names),), notes=(state_line(school, visit),)),))
