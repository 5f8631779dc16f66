"""The actions that answer a visit, the same wherever the question is shown (a notice, the Home overview)."""
from __future__ import annotations

from datetime import datetime

from bot.reply.card import Action, Confirm, Say, Style, Verb


def teacher_answers(visit_id: int, asked: datetime | None) -> tuple[Action, ...]:
    """The class teacher answers a proposal; `asked` is the time it shows, so an old card cannot agree a new one."""
    key = str(visit_id)
    return (Action(Verb.AGREE, "Agree", Say(f"visit agree {visit_id}"), visit_id, asked, Style.PRIMARY, key=key),
            Action(Verb.SUGGEST, "Suggest another time", Say(f"visit suggest {visit_id} DATE TIME"), visit_id, asked,
                   key=key),
            Action(Verb.DECLINE, "Decline", Say(f'visit decline {visit_id} "reason"'), visit_id, asked, Style.DANGER,
                   key=key))


def visitor_answers(visit_id: int, asked: datetime | None) -> tuple[Action, ...]:
    """A visitor answers the time the teacher suggested."""
    key = str(visit_id)
    return (Action(Verb.ACCEPT, "Accept this time", Say(f"visit accept {visit_id}"), visit_id, asked, Style.PRIMARY,
                   key=key),
            Action(Verb.WITHDRAW, "Withdraw", Say(f"visit withdraw {visit_id}"), visit_id, asked, Style.DANGER,
                   Confirm("Withdraw this visit?", f"Visit #{visit_id} will be called off.", "Withdraw", "Keep it"),
                   key=key))
