"""A local stand-in for Microsoft's side of a Teams bot: the Bot Framework connector, the login endpoint walkbot
gets its own token from, and the OpenID metadata and keys that inbound tokens are checked against.

It listens on 127.0.0.1, port 0, and records every call. `cloud` is the Teams SDK CloudEnvironment that points
walkbot at it: its login endpoint (the client-credentials grant), its OpenID metadata URL (the SDK derives the
JWKS address from it, .../keys) and a token issuer as the Bot Framework's. Inbound tokens are signed with
`key` (tests/support/teams_support.mint); the stand-in publishes its public half.

What the connector takes (the calls the SDK makes):

    POST /v3/conversations                                   a new 1:1 conversation (a proactive message)
    POST /v3/conversations/{id}/activities                   a message
    POST /v3/conversations/{id}/activities/{activity id}     a reply to one
    PUT  /v3/conversations/{id}/activities/{activity id}     a message updated in place
    GET  /v3/conversations/{id}/members/{user id}            who someone in a conversation (or a team) is

Each must carry a token the login endpoint gave (401 otherwise). Every activity is checked by Teams' rules
(tests/support/teams_limits.activity_problems): one Teams would refuse gets a 400 and is kept in `refused`.
Teams' per-conversation limits hold (7 a second, 8 in 2 s, 60 in 30 s, 1,800 an hour): a send beyond them
gets a 429 with Retry-After, is kept in `throttled`, and counts for nothing. A conversation walkbot was removed
from (`remove_bot`) answers as Teams does, 403 (or 404 once the conversation is gone), kept in `undelivered`.
"""
from __future__ import annotations

import base64
import collections
import itertools
import json
import math
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from microsoft_teams.api.auth.cloud_environment import PUBLIC, CloudEnvironment, with_overrides
from teams_limits import activity_problems

ISSUER = PUBLIC.token_issuer  # the Bot Framework's, "https://api.botframework.com"
KID = "walkbot-test-key"
# Teams' limits on a bot's sends into one conversation (learn.microsoft.com: "Rate limiting for bots").
LIMITS = ((1.0, 7), (2.0, 8), (30.0, 60), (3600.0, 1800))


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwk(key: rsa.RSAPrivateKey, kid: str = KID) -> dict:
    public = key.public_key().public_numbers()
    return {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": _b64(public.n), "e": _b64(public.e),
            "endorsements": ["msteams"]}


@dataclass
class Sent:
    """An activity walkbot sent to a conversation (or updated there)."""

    method: str  # POST or PUT
    conversation: str
    activity_id: str
    activity: dict
    reply_to: str | None = None


class RateLimits:
    """Teams' sliding windows, per conversation."""

    def __init__(self, limits=LIMITS, clock=time.monotonic):
        self.limits, self.clock = limits, clock
        self.sent: dict[str, collections.deque] = collections.defaultdict(collections.deque)
        self.lock = threading.Lock()

    def take(self, conversation: str) -> float | None:
        """Count a send now, or the seconds to wait before one would be taken (nothing counted)."""
        with self.lock:
            now, times = self.clock(), self.sent[conversation]
            longest = max(window for window, _ in self.limits)
            while times and times[0] <= now - longest:
                times.popleft()
            wait = 0.0
            for window, most in self.limits:
                inside = [t for t in times if t > now - window]
                if len(inside) >= most:
                    wait = max(wait, inside[-most] + window - now)
            if wait > 0:
                return wait
            times.append(now)
            return None


@dataclass
class ConnectorStandIn:
    key: rsa.RSAPrivateKey
    client_id: str
    client_secret: str
    limits: RateLimits = field(default_factory=RateLimits)
    sent: list[Sent] = field(default_factory=list)
    refused: list[tuple[dict, list[str]]] = field(default_factory=list)
    throttled: list[dict] = field(default_factory=list)
    undelivered: list[tuple[str, dict]] = field(default_factory=list)  # (conversation, activity) refused as gone
    gone: dict[str, tuple[int, str]] = field(default_factory=dict)  # conversation -> the status and code it answers
    created: list[dict] = field(default_factory=list)  # POST /v3/conversations bodies
    members: dict[tuple[str, str], dict] = field(default_factory=dict)  # (conversation, Teams or object id) → member
    member_lookups: list[tuple[str, str]] = field(default_factory=list)  # every GET .../members/{id} asked
    token_requests: list[dict] = field(default_factory=list)
    key_fetches: int = 0
    unauthorised: int = 0
    tokens: set[str] = field(default_factory=set)
    _ids: Any = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # --- running ---------------------------------------------------------------------------------------------

    def __enter__(self) -> "ConnectorStandIn":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def service_url(self) -> str:
        """What activities from this 'Teams' give as their serviceUrl (and their tokens as serviceurl)."""
        return f"{self.url}/teams/"

    @property
    def cloud(self) -> CloudEnvironment:
        return with_overrides(PUBLIC, login_endpoint=f"{self.url}/login",
                              openid_metadata_url=f"{self.url}/v1/.well-known/openidconfiguration",
                              token_service_url=f"{self.url}/token", token_issuer=ISSUER)

    # --- what walkbot did ------------------------------------------------------------------------------------

    def to(self, conversation: str) -> list[Sent]:
        return [s for s in self.sent if s.conversation == conversation]

    def last(self, conversation: str) -> Sent:
        found = self.to(conversation)
        assert found, f"walkbot sent nothing to {conversation}; it sent to {sorted({s.conversation for s in self.sent})}"
        return found[-1]

    def add_member(self, conversation: str, **member: str) -> None:
        """Someone in a conversation (a team's id is one too), as the members API answers for them: id (29:...),
        name, aadObjectId, email, userPrincipalName, tenantId. Asked about by Teams id or object id."""
        for said in (member["id"], member.get("aadObjectId")):
            if said:
                self.members[(conversation, said)] = dict(member)

    def remove_bot(self, conversation: str, *, status: int = 403, code: str = "BotNotInConversationRoster") -> None:
        """walkbot uninstalled (or blocked) there: what the connector answers a send from then on."""
        self.gone[conversation] = (status, code)

    def clear(self) -> None:
        with self._lock:
            self.sent.clear()
            self.created.clear()

    # --- answering -------------------------------------------------------------------------------------------

    def tenant_of(self, form: dict) -> str:
        return form.get("_tenant", "")

    def _token(self, form: dict) -> tuple[int, dict]:
        self.token_requests.append({k: v for k, v in form.items() if k != "client_secret"})
        if (form.get("grant_type") != "client_credentials" or form.get("client_id") != self.client_id
                or form.get("client_secret") != self.client_secret):
            return 401, {"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret."}
        now = int(time.time())  # an Entra access token's shape: the SDK reads its claims (unverified)
        token = jwt.encode({"aud": form.get("scope", "").removesuffix("/.default"), "iss": f"{self.url}/login",
                            "appid": self.client_id, "tid": self.tenant_of(form), "iat": now, "nbf": now,
                            "exp": now + 3599, "jti": str(next(self._ids))}, self.key, algorithm="RS256",
                           headers={"kid": "standin-login"})
        self.tokens.add(token)
        return 200, {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token}

    def _activity(self, method: str, conversation: str, activity_id: str | None, body: Any,
                  authorization: str) -> tuple[int, dict, dict]:
        if authorization.removeprefix("Bearer ") not in self.tokens:
            self.unauthorised += 1
            return 401, {"error": {"code": "Unauthorized", "message": "no valid token"}}, {}
        if conversation in self.gone:
            status, code = self.gone[conversation]
            self.undelivered.append((conversation, body))
            return status, {"error": {"code": code, "message": "The bot is not part of the conversation roster."}}, {}
        problems = activity_problems(body)
        if problems:
            self.refused.append((body, problems))
            return 400, {"error": {"code": "BadArgument", "message": "; ".join(problems)[:500]}}, {}
        wait = self.limits.take(conversation)
        if wait is not None:
            self.throttled.append(body)
            return 429, {"error": {"code": "Throttled", "message": "too many requests"}}, {
                "Retry-After": str(max(1, math.ceil(wait)))}
        with self._lock:
            new_id = activity_id if method == "PUT" else f"1{next(self._ids):012d}"
            self.sent.append(Sent(method, conversation, new_id, body,
                                  reply_to=activity_id if method == "POST" else None))
        return (200 if method == "PUT" else 201), {"id": new_id}, {}

    def _member(self, conversation: str, member_id: str, authorization: str) -> tuple[int, dict]:
        if authorization.removeprefix("Bearer ") not in self.tokens:
            self.unauthorised += 1
            return 401, {"error": {"code": "Unauthorized", "message": "no valid token"}}
        with self._lock:
            self.member_lookups.append((conversation, member_id))
        found = self.members.get((conversation, member_id))
        if found is None:
            return 404, {"error": {"code": "MemberNotFoundInConversation", "message": "The member is not found."}}
        return 200, found

    def _create(self, body: Any, authorization: str) -> tuple[int, dict]:
        if authorization.removeprefix("Bearer ") not in self.tokens:
            self.unauthorised += 1
            return 401, {"error": {"code": "Unauthorized", "message": "no valid token"}}
        members = body.get("members") if isinstance(body, dict) else None
        if not isinstance(members, list) or len(members) != 1 or not isinstance(members[0], dict):
            return 400, {"error": {"code": "BadArgument", "message": "one member, for a 1:1 conversation"}}
        with self._lock:
            self.created.append(body)
            conversation = f"a:standin-{members[0].get('id')}"
        answer = {"id": conversation, "serviceUrl": self.service_url}
        activity = body.get("activity")
        if isinstance(activity, dict):
            status, sent, _ = self._activity("POST", conversation, None, activity, authorization)
            if status >= 300:
                return status, sent
            answer["activityId"] = sent["id"]
        return 201, answer


_ACTIVITIES = re.compile(r"/teams/v3/conversations/([^/]+)/activities(?:/([^/]+))?")
_MEMBER = re.compile(r"/teams/v3/conversations/([^/]+)/members/([^/?]+)")


def _handler(standin: ConnectorStandIn):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def _answer(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def do_GET(self) -> None:
            if self.path == "/v1/.well-known/openidconfiguration":
                return self._answer(200, {"issuer": ISSUER, "jwks_uri": f"{standin.url}/v1/.well-known/keys",
                                          "id_token_signing_alg_values_supported": ["RS256"],
                                          "token_endpoint_auth_methods_supported": ["private_key_jwt"]})
            if self.path == "/v1/.well-known/keys":
                standin.key_fetches += 1
                return self._answer(200, {"keys": [jwk(standin.key)]})
            found = _MEMBER.fullmatch(self.path)
            if found:
                return self._answer(*standin._member(unquote(found.group(1)), unquote(found.group(2)),
                                                     self.headers.get("Authorization", "")))
            self._answer(404, {"error": "not found"})

        def do_POST(self) -> None:
            raw, authorization = self._body(), self.headers.get("Authorization", "")
            if re.fullmatch(r"/login/[^/]+/oauth2/v2\.0/token", self.path):
                form = dict(parse_qsl(raw.decode())) | {"_tenant": self.path.split("/")[2]}
                return self._answer(*standin._token(form))
            try:
                body = json.loads(raw or b"null")
            except ValueError:
                return self._answer(400, {"error": {"code": "BadSyntax", "message": "not JSON"}})
            if self.path.rstrip("/") == "/teams/v3/conversations":
                return self._answer(*standin._create(body, authorization))
            found = _ACTIVITIES.fullmatch(self.path)
            if found:
                return self._answer(*standin._activity("POST", unquote(found.group(1)), found.group(2), body,
                                                       authorization))
            self._answer(404, {"error": "not found"})

        def do_PUT(self) -> None:
            raw, authorization = self._body(), self.headers.get("Authorization", "")
            found = _ACTIVITIES.fullmatch(self.path)
            if not found or not found.group(2):
                return self._answer(404, {"error": "not found"})
            try:
                body = json.loads(raw or b"null")
            except ValueError:
                return self._answer(400, {"error": {"code": "BadSyntax", "message": "not JSON"}})
            self._answer(*standin._activity("PUT", unquote(found.group(1)), found.group(2), body, authorization))

    return Handler
