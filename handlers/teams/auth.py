"""Authentication with the Bot Framework, both ways.

Inbound, the Teams SDK validates every activity's token (handlers.teams.app gives it walkbot's cloud): RS256,
signed by a key from the JWKS found from the cloud's `openid_metadata_url`, audience the app id, issuer the
Bot Framework, expiry with 5 minutes' skew, and the token's `serviceurl` claim the activity's serviceUrl.
Before it does, `screen` turns away what the SDK would let through walkbot has no use for: its second path,
for Agent 365's Entra tokens, does not bind the serviceUrl the reply goes to (and walkbot is no agent), and
PyJWT takes a token without an expiry as one that never expires. Screening reads the token unverified, so it
only ever refuses more; the SDK's check is what lets a request in.

Outbound, walkbot gets its own app token by the OAuth client-credentials grant at the cloud's login endpoint
(`ClientCredentialsToken`, given to the SDK as its `token=`): for a multi-tenant bot in the botframework.com
tenant, for a single-tenant bot in its own. It is MSAL's request, written out so that the endpoint is the
cloud's (a test points it at a loopback stand-in; MSAL insists on https and asks login.microsoftonline.com
where an authority is), and so that the secret stays in this object.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Mapping

import httpx
import jwt

log = logging.getLogger("walkbot.teams")

EARLY = 300  # seconds: a cached token is renewed this long before it expires
TIMEOUT = 10.0


@dataclass(frozen=True)
class Refusal:
    reason: str  # for the log: never the token


def screen(headers: Mapping[str, str], body: Mapping[str, Any], *, issuer: str) -> Refusal | None:
    """Why a request is turned away before the SDK validates it, or None to let the SDK decide."""
    authorization = headers.get("authorization", "")
    if not authorization.startswith("Bearer "):
        return Refusal("no Bearer token")
    raw = authorization.removeprefix("Bearer ").strip()
    try:
        header = jwt.get_unverified_header(raw)
        claims = jwt.decode(raw, options={"verify_signature": False})
    except jwt.PyJWTError:
        return Refusal("not a JWT")
    if header.get("alg") != "RS256":
        return Refusal(f"signed with {str(header.get('alg'))[:20]!r}, not RS256")
    if claims.get("iss") != issuer:
        return Refusal("not issued by the Bot Framework")
    if not isinstance(claims.get("exp"), (int, float)):
        return Refusal("no expiry")
    if not isinstance(claims.get("serviceurl"), str) or not isinstance(body.get("serviceUrl"), str):
        return Refusal("no serviceUrl to hold the token to")
    return None


@dataclass
class ClientCredentialsToken:
    """The SDK's `token=` callable: (scope, tenant) -> an access token for walkbot itself, cached until near expiry."""

    client_id: str
    client_secret: str = field(repr=False)
    login_endpoint: str  # the cloud's, e.g. https://login.microsoftonline.com
    default_tenant: str  # the bot's own tenant, or botframework.com for a multi-tenant bot
    _cache: dict[tuple[str, str], tuple[str, float]] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    async def __call__(self, scope: str | list[str], tenant_id: str | None = None) -> str:
        scopes = " ".join(scope) if isinstance(scope, list) else scope
        tenant = tenant_id or self.default_tenant
        with self._lock:
            cached = self._cache.get((scopes, tenant))
        if cached and cached[1] - EARLY > time.time():
            return cached[0]
        url = f"{self.login_endpoint.rstrip('/')}/{tenant}/oauth2/v2.0/token"
        form = {"grant_type": "client_credentials", "client_id": self.client_id, "client_secret": self.client_secret,
                "scope": scopes}
        async with httpx.AsyncClient(timeout=TIMEOUT) as client:
            answer = await client.post(url, data=form, headers={"Accept": "application/json"})
        try:
            got = answer.json()
        except ValueError:
            got = {}
        token = got.get("access_token") if isinstance(got, dict) else None
        if answer.status_code != 200 or not isinstance(token, str):
            error = got.get("error") if isinstance(got, dict) else None
            raise TokenError(f"the Microsoft login endpoint refused walkbot a token for {scopes} "
                             f"(HTTP {answer.status_code}, {str(error or 'no error given')[:100]}): check TEAMS_APP_ID, "
                             "TEAMS_APP_SECRET (has it expired?) and TEAMS_TENANT_ID")
        try:
            lifetime = min(max(float(got.get("expires_in", 3600)), 0.0), 86400.0)
        except (TypeError, ValueError):
            lifetime = 3600.0
        expires = time.time() + lifetime
        with self._lock:
            self._cache[(scopes, tenant)] = (token, expires)
        return token


class TokenError(RuntimeError):
    """walkbot could not get its own token: it cannot send anything to Teams until it can."""
