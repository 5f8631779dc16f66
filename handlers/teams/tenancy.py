"""Which school an activity is for: its Entra tenant, matched to the school whose school.yml names it.

    school:
      teams: {tenant_id: 6f1c...}   # the school's Entra tenant id (Microsoft Entra admin centre → Tenant ID)

An activity says its tenant in conversation.tenantId and channelData.tenant.id; when it says two, it is
refused. Every command then runs for that school alone, so nothing is read or written across tenants. A
single-tenant bot (TEAMS_TENANT_ID a GUID) also turns away every other tenant, whatever school.yml says.

For now the school is read from `School.config["school"]["teams"]`; the School model will carry it later.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable, Mapping

from bot.domain.school import School
from bot.ports import UnitOfWork

log = logging.getLogger("walkbot.teams")

TTL = 30.0  # seconds a tenant's school is remembered: a school.yml re-load is seen within it


def teams_tenant(school: School) -> str | None:
    """The Entra tenant school.yml links this school to, lower case; None when it names none."""
    section = (school.config or {}).get("school")
    teams = section.get("teams") if isinstance(section, Mapping) else None
    tenant = teams.get("tenant_id") if isinstance(teams, Mapping) else None
    return str(tenant).strip().lower() or None if tenant else None


def tenant_of(activity: Mapping[str, Any]) -> str | None:
    """The tenant an activity says it comes from, lower case; None when it says none, or two."""
    conversation = activity.get("conversation")
    channel_data = activity.get("channelData")
    tenant = channel_data.get("tenant") if isinstance(channel_data, Mapping) else None
    said = {value.strip().lower() for value in (
        conversation.get("tenantId") if isinstance(conversation, Mapping) else None,
        tenant.get("id") if isinstance(tenant, Mapping) else None) if isinstance(value, str) and value.strip()}
    return said.pop() if len(said) == 1 else None


class Tenancy:
    """Tenant → school, from the schools in walkbot's database, remembered for TTL seconds."""

    def __init__(self, uow_factory: Callable[[], UnitOfWork], *, only: str | None = None, ttl: float = TTL,
                 clock: Callable[[], float] = time.monotonic):
        self.uow_factory, self.only, self.ttl, self.clock = uow_factory, only, ttl, clock
        self._lock = threading.Lock()
        self._schools: dict[str, School] = {}
        self._until = float("-inf")

    def school_for(self, tenant: str | None) -> School | None:
        if not tenant or (self.only is not None and tenant != self.only):
            return None
        with self._lock:
            if self.clock() >= self._until:
                self._schools, self._until = self._load(), self.clock() + self.ttl
            return self._schools.get(tenant)

    def forget(self) -> None:
        with self._lock:
            self._until = float("-inf")

    def _load(self) -> dict[str, School]:
        with self.uow_factory() as uow:
            schools = uow.schools.all()
        found: dict[str, list[School]] = {}
        for school in schools:
            tenant = teams_tenant(school)
            if tenant:
                found.setdefault(tenant, []).append(school)
        for tenant, claimed in found.items():
            if len(claimed) > 1:  # which school's staff these are is unknowable: neither is answered
                log.error("schools %s all name the Teams tenant %s in school.yml: walkbot answers none of them "
                          "there until one does", ", ".join(s.key for s in claimed), tenant)
        return {tenant: claimed[0] for tenant, claimed in found.items() if len(claimed) == 1}
