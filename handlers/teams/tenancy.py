"""Which school an activity is for, and who sent it: its Entra tenant, then the school whose staff list has them.

    school:
      teams: {tenant_id: 6f1c...}   # the school's Entra tenant id (Microsoft Entra admin centre → Tenant ID)

An activity says its tenant in conversation.tenantId and channelData.tenant.id; when it says two, it is from
none. A single-tenant bot (TEAMS_TENANT_ID a GUID) turns away every other tenant, whatever school.yml says.

A tenant may hold several schools (a local authority's, such as Glow), so the school is decided by the sender,
found on a staff list in this order:

1. their personal chat with walkbot, stored and linked to a staff id (the usual case after their first message);
2. a staff entry whose id is their Entra object id (any case);
3. on first contact, their email: Teams' members API says it (email, else userPrincipalName), and a staff
   entry listing it is them. Asked only when 1 and 2 found no one, or when the tenant holds several schools and
   they are linked to none yet (someone on two lists must be told, not guessed at).

Found on one school's list: that school, and nothing of any other is read or written. On two, or on none: a
sentence, and nothing is done. Only the tenant's own schools are ever looked in, and a stored chat counts only
if Teams gave it in this tenant.
"""
from __future__ import annotations

import asyncio
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Mapping

from bot.domain.model import Staff
from bot.domain.school import School
from bot.ports import TeamsConversation, UnitOfWork

log = logging.getLogger("walkbot.teams")

TTL = 30.0  # seconds a tenant's schools are remembered: a school.yml load is seen within it
MOST_TENANTS = 1000  # tenants remembered at once: past it, those not asked about lately are forgotten

UNLINKED = ("This Microsoft 365 organisation isn't linked to a school in walkbot yet, so I can't help here. Your IT "
            "lead links it by adding your tenant id to school.yml (teams: {tenant_id: ...}) and loading it.")
NO_ONE = "walkbot can't tell who you are from this message (Teams did not say), so nothing was done."
TWO_SCHOOLS = ("You're on the staff lists of {schools}, which share this Microsoft 365 organisation, so walkbot "
               "can't tell which school you mean, and nothing was done. Ask SLT to keep you on one school's list.")
NOT_LISTED = "You're not on {school}'s staff list in walkbot, so nothing was done. Ask SLT to add you to it {how}."
NOT_LISTED_ANYWHERE = ("You're not on the staff list of any school walkbot serves in this Microsoft 365 "
                       "organisation, so nothing was done. Ask your school's SLT to add you {how}.")
WITH_EMAIL = "with your email, {email}"
WITH_SOME_EMAIL = "with the email you sign in to Teams with"
NOT_TOLD = ("Teams didn't tell walkbot your email just now, so walkbot couldn't find you on the staff list and "
            "nothing was done. Try again in a minute.")


@dataclass(frozen=True)
class Member:
    """What Teams' members API says of a person (GET .../conversations/{id}/members/{user id})."""

    aad: str | None
    emails: tuple[str, ...]  # their email and userPrincipalName, lower case, either missing


def member_of(answer: Any) -> Member:
    """The SDK's TeamsChannelAccount, or its JSON, as a Member."""
    said = answer if isinstance(answer, Mapping) else answer.model_dump(by_alias=True)
    emails = (said.get("email"), said.get("userPrincipalName"))
    return Member(aad=_lower(said.get("aadObjectId")),
                  emails=tuple(dict.fromkeys(e for e in map(_lower, emails) if e and "@" in e)))


@dataclass(frozen=True)
class Match:
    """The sender, found on one school's staff list."""

    school: School
    staff_id: str
    conversation: TeamsConversation | None  # their personal chat with walkbot there, as stored (linked or not)

    @property
    def linked(self) -> bool:
        return self.conversation is not None and self.conversation.chat_id == self.staff_id


Ask = Callable[[], Awaitable[Member | None]]  # the members API for the sender; None: Teams did not answer


def _lower(value: Any) -> str | None:
    return value.strip().lower() or None if isinstance(value, str) else None


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
    """Tenant → its schools (remembered for TTL seconds), and who in them sent an activity (never remembered:
    a staff list may change at any load)."""

    def __init__(self, uow_factory: Callable[[], UnitOfWork], *, only: str | None = None, ttl: float = TTL,
                 clock: Callable[[], float] = time.monotonic):
        self.uow_factory, self.only, self.ttl, self.clock = uow_factory, only, ttl, clock
        self._lock = threading.Lock()
        self._schools: dict[str, tuple[float, tuple[School, ...]]] = {}

    def schools(self, tenant: str | None) -> tuple[School, ...]:
        """The schools linked to this tenant; none for a tenant a single-tenant bot does not serve."""
        if not tenant or (self.only is not None and tenant != self.only):
            return ()
        now = self.clock()
        with self._lock:
            until, schools = self._schools.get(tenant, (float("-inf"), ()))
            if now < until:
                return schools
        with self.uow_factory() as uow:
            schools = tuple(uow.schools.by_teams_tenant(tenant))
        with self._lock:
            if len(self._schools) >= MOST_TENANTS:
                self._schools = {t: kept for t, kept in self._schools.items() if kept[0] > now}
            self._schools[tenant] = (now + self.ttl, schools)
        return schools

    def forget(self) -> None:
        with self._lock:
            self._schools.clear()

    # --- who sent it --------------------------------------------------------------------------------------------

    async def sender(self, tenant: str | None, aad: str | None, ask: Ask, *, private: bool) -> Match | str:
        """Who sent an activity of this tenant (`aad`: their Entra object id), and for which school; or the sentence
        saying why no one. `ask` is called at most once; `private`: the sentence may show their email."""
        schools = await asyncio.to_thread(self.schools, tenant)
        if not schools:
            return UNLINKED
        aad = _lower(aad)
        if aad is None:
            return NO_ONE
        known = await asyncio.to_thread(self._known, tenant, schools, aad)
        found = [m for m in known.values() if isinstance(m, Match)]
        member = None
        if not found or (len(schools) > 1 and not any(m.linked for m in found)):
            member = await ask()
            if member is not None and member.aad not in (None, aad):
                log.warning("Teams' members API described another user than the sender: not used")
                member = None
            if member is not None and member.emails:
                rest = {school.id: known[school.id] for school in schools if not isinstance(known[school.id], Match)}
                found += await asyncio.to_thread(self._by_email, schools, rest, member.emails)
        if len(found) == 1:
            return found[0]
        if found:
            return TWO_SCHOOLS.format(schools=" and ".join(sorted(m.school.name for m in found)))
        if member is None:
            return NOT_TOLD
        how = WITH_EMAIL.format(email=member.emails[0]) if private and member.emails else WITH_SOME_EMAIL
        return NOT_LISTED.format(school=schools[0].name, how=how) if len(schools) == 1 else \
            NOT_LISTED_ANYWHERE.format(how=how)

    def _known(self, tenant: str, schools: tuple[School, ...], aad: str) -> dict[int, Match | TeamsConversation | None]:
        """Per school: the sender found without asking Teams (by their linked chat, or their object id as staff id),
        else their stored chat there, if any."""
        found: dict[int, Match | TeamsConversation | None] = {}
        with self.uow_factory() as uow:
            for school in schools:
                chat = uow.teams.by_aad(school.id, aad)
                chat = chat if chat is not None and chat.tenant_id == tenant else None
                staff = _active(uow.staff.get(school.id, chat.chat_id)) if chat and chat.chat_id else None
                staff = staff or _by_object_id(uow, school, aad)
                found[school.id] = Match(school, staff.chat_id, chat) if staff else chat
        return found

    def _by_email(self, schools: tuple[School, ...], chats: Mapping[int, TeamsConversation | None],
                  emails: tuple[str, ...]) -> list[Match]:
        found = []
        with self.uow_factory() as uow:
            for school in schools:
                if school.id not in chats:
                    continue
                staff = next(filter(None, (uow.staff.by_email(school.id, email) for email in emails)), None)
                if staff is not None:
                    found.append(Match(school, staff.chat_id, chats[school.id]))
        return found

    # --- who is mentioned --------------------------------------------------------------------------------------

    def colleague(self, school: School, tenant: str, teams_id: str | None, aad: str | None) -> Staff | None:
        """Someone a message mentions, on this school's list, found without asking Teams: by their stored chat (by
        Teams id or object id), or their object id as staff id."""
        aad = _lower(aad)
        with self.uow_factory() as uow:
            chats = (uow.teams.by_teams_user(school.id, teams_id) if teams_id else None,
                     uow.teams.by_aad(school.id, aad) if aad else None)
            for chat in chats:
                if chat is not None and chat.tenant_id == tenant and chat.chat_id:
                    staff = _active(uow.staff.get(school.id, chat.chat_id))
                    if staff is not None:
                        return staff
            return _by_object_id(uow, school, aad) if aad else None

    def colleague_by_email(self, school: School, member: Member) -> Staff | None:
        """Someone a message mentions, by what Teams' members API said of them."""
        with self.uow_factory() as uow:
            staff = _by_object_id(uow, school, member.aad) if member.aad else None
            return staff or next(filter(None, (uow.staff.by_email(school.id, e) for e in member.emails)), None)


def _active(staff: Staff | None) -> Staff | None:
    return staff if staff is not None and staff.active else None


def _by_object_id(uow: UnitOfWork, school: School, aad: str) -> Staff | None:
    """The staff entry whose id is this Entra object id, as the list spells it (any case); never a handle."""
    staff = uow.staff.find(school.id, aad)
    return staff if staff is not None and staff.chat_id.lower() == aad else None
