"""The App Home tab: my visits, what awaits my answer (with its buttons), my allowance, the next
learning walk; for SLT also every teacher's visit counts against the caps, and the walks planned."""
from __future__ import annotations

from slack_sdk.models.blocks import ActionsBlock, Block, DividerBlock, HeaderBlock
from slack_sdk.models.views import View

from bot.model import Visit, VisitStatus
from bot.notices import visit_line, when_text
from bot.overview import Overview
from bot.replies import walk_line
from handlers.slack.blocks import HEADER_MAX, answer_buttons, button, context, plain, sections

OPEN_PROPOSE, OPEN_WALK = "propose.open", "walk.open"
AWAITING_SHOWN = 10  # two blocks each; a view holds at most 100
LISTED = 25  # visits or walks per list before "and N more"
TEACHERS_LISTED = 150  # a large secondary school's teaching staff, in at most five sections


def _listing(title: str, lines: list[str], empty: str | None = None, *, limit: int = LISTED,
             most: int = 3) -> list[Block]:
    if not lines and empty is None:
        return []
    more = [f"… and {len(lines) - limit} more"] if len(lines) > limit else []
    body = "\n".join(f"• {line}" for line in lines[:limit] + more) or empty
    return sections(f"*{title}*\n{body}", most=most)


def _awaiting(o: Overview, visit: Visit) -> list[Block]:
    line = visit_line(o.school, visit, o.visits.names)
    if visit.status is VisitStatus.COUNTERED:
        line += f"\nThe teacher suggests {when_text(o.school, visit.suggested_start)} instead."
    to_teacher = visit.teacher == o.me.chat_id
    return [*sections(line, most=1), answer_buttons(
        visit.id, to_teacher=to_teacher, asked=visit.start if to_teacher else visit.suggested_start)]


def home_view(o: Overview, flash: str | None = None) -> View:
    """`flash`: something to say first, like why a button just pressed did nothing."""
    school, names = o.school, o.visits.names
    blocks: list[Block] = [HeaderBlock(text=plain(f"walkbot · {school.name}", HEADER_MAX))]
    if flash:
        blocks += sections(f"⚠️ {flash}", most=2)
    starts = [button("Propose a visit", OPEN_PROPOSE, "home", "primary")]
    if o.me.is_slt:
        starts.append(button("Plan a learning walk", OPEN_WALK, "home"))
    blocks.append(ActionsBlock(block_id="start", elements=starts))

    blocks += sections("*Awaiting your answer*", most=1)
    for visit in o.visits.awaiting_me[:AWAITING_SHOWN]:
        blocks += _awaiting(o, visit)
    if not o.visits.awaiting_me:
        blocks.append(context("Nothing awaits your answer."))
    elif len(o.visits.awaiting_me) > AWAITING_SHOWN:
        blocks.append(context(f"… and {len(o.visits.awaiting_me) - AWAITING_SHOWN} more: say /visit list"))

    def lines(visits) -> list[str]:
        return [visit_line(school, v, names) for v in visits]

    blocks += _listing("Coming up", lines(o.visits.upcoming), "Nothing agreed is coming up.")
    blocks += _listing("Waiting for someone else's answer", lines(o.visits.awaiting_others))
    blocks += _listing("Dialogue or record still to agree", lines(o.visits.follow_up))

    if o.is_teacher:
        a = o.allowance
        blocks.append(DividerBlock())
        blocks += _listing(f"Your allowance, session {a.session.name}", [str(line) for line in a.lines],
                           "Your agreement sets no cap on the number of visits.")
        if a.citations:
            blocks.append(context("\n".join(dict.fromkeys(a.citations))))
    blocks += _listing("Next learning walk", [walk_line(school, w) for w in o.walks[:1]],
                       "No learning walk is planned for the rest of this session.")

    if o.counts:
        blocks += [DividerBlock(), HeaderBlock(text=plain("The school this session", HEADER_MAX))]
        blocks += _listing("Visits per teacher against the caps",
                           [f"{row.teacher.name}: {' · '.join(map(str, row.lines)) or 'no caps'}" for row in o.counts],
                           "No one on the staff list teaches.", limit=TEACHERS_LISTED, most=5)
        blocks += _listing("Learning walks planned", [walk_line(school, w) for w in o.walks],
                           "None for the rest of this session.")
    return View(type="home", blocks=blocks[:100])


def notice_home(text: str) -> View:
    """The tab when there is nothing of one's own to show: a workspace not linked, someone not on the staff list."""
    return View(type="home", blocks=[HeaderBlock(text=plain("walkbot", HEADER_MAX)), *sections(text, most=5)])
