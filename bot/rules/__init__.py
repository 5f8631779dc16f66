"""The agreement as pure functions, one module per subject; this package is their one front door.

verdict (what rules return and judge) · visit (a booking's rules, all at once) · focus · allowance
(caps) · lesson (the timetable) · slots (the nearest allowed times) · walk (a learning walk's programme) ·
records (dialogue, notes and records).
"""
from bot.rules.allowance import Usage, cap_violations, counted_kinds, usage
from bot.rules.focus import (
                             About,
                             Reading,
                             about_people_violations,
                             feedback_violations,
                             focus_area_violations,
                             focus_violations,
                             names_staff,
                             read_text,
)
from bot.rules.lesson import cover_citation, covered_lessons, lesson_citation, lesson_of, lesson_violations
from bot.rules.records import check_dialogue, check_note, check_record, findings_violations, grading_in
from bot.rules.slots import nearest_dialogue_times, nearest_slots, search_window, start_times
from bot.rules.verdict import Context, Facts, Slot, Subject, Violation, VisitPlan
from bot.rules.visit import (
                             calendar_violations,
                             check_visit,
                             clash_violations,
                             duration_violations,
                             inspection_violations,
                             notice_violations,
)
from bot.rules.walk import check_walk, walk_announcement_due

__all__ = [
    "About", "Context", "Facts", "Reading", "Slot", "Subject", "Usage", "Violation", "VisitPlan",
    "about_people_violations", "calendar_violations", "cap_violations", "check_dialogue", "check_note", "check_record",
    "check_visit", "check_walk", "clash_violations", "counted_kinds", "cover_citation", "covered_lessons",
    "duration_violations", "feedback_violations", "findings_violations", "focus_area_violations", "focus_violations",
    "grading_in", "inspection_violations", "lesson_citation", "lesson_of", "lesson_violations", "names_staff",
    "nearest_dialogue_times", "nearest_slots", "notice_violations", "read_text", "search_window", "start_times",
    "usage", "walk_announcement_due",
]
