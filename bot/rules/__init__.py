"""The agreement as pure functions, one module per subject; this package is their one front door.

verdict (what rules return and judge) · visit (a booking's rules, all at once) · focus · allowance
(caps) · slots (the nearest allowed times) · walk (a learning walk's programme) · records (dialogue,
notes and records).
"""
from bot.rules.allowance import Usage, cap_violations, counted_kinds, usage
from bot.rules.focus import feedback_violations, focus_violations
from bot.rules.records import check_dialogue, check_note
from bot.rules.slots import nearest_slots, search_window, start_times
from bot.rules.verdict import Context, Facts, Slot, Subject, Violation, VisitPlan
from bot.rules.visit import (
                             calendar_violations,
                             check_visit,
                             clash_violations,
                             duration_violations,
                             notice_violations,
)
from bot.rules.walk import check_walk, walk_announcement_due

__all__ = [
    "Context", "Facts", "Slot", "Subject", "Usage", "Violation", "VisitPlan",
    "calendar_violations", "cap_violations", "check_dialogue", "check_note", "check_visit", "check_walk",
    "clash_violations", "counted_kinds", "duration_violations", "feedback_violations", "focus_violations",
    "nearest_slots", "notice_violations", "search_window", "start_times", "usage", "walk_announcement_due",
]
