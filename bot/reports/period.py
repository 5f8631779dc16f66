"""Which session a report covers: the one under way, else the next, else the last."""
from __future__ import annotations

from datetime import datetime

from bot.domain.calendar import Session
from bot.domain.school import School


def report_session(school: School, now: datetime) -> Session:
    cal = school.calendar
    today = cal.local(now).date()
    return cal.session_of(today) or next((s for s in cal.sessions if s.start > today), cal.sessions[-1])
