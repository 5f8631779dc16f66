"""Repositories: each maps rows to the domain's dataclasses for one part of bot.ports."""
from storage.repos.notices import SqlNoticeRepo
from storage.repos.people import SqlConcernRepo, SqlObjectionRepo
from storage.repos.schools import SqlSchoolRepo, SqlStaffRepo
from storage.repos.visits import SqlVisitRepo
from storage.repos.walks import SqlWalkRepo

__all__ = [
    "SqlConcernRepo",
    "SqlNoticeRepo",
    "SqlObjectionRepo",
    "SqlSchoolRepo",
    "SqlStaffRepo",
    "SqlVisitRepo",
    "SqlWalkRepo",
]
