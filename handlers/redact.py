"""No Slack token, configured secret, or what people wrote ever reaches a log.

Redaction happens as each log record is made (the record factory), not in one handler, so every
handler sees the clean text: stderr, files, a host's log collector, pytest's capture. slack_sdk
logs whole API responses at DEBUG, and oauth.v2.access answers with a fresh token.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable

# Bot, user, app-level, refresh and rotating tokens: xoxb-…, xoxp-…, xapp-…, xoxe-…, xoxe.xoxb-…
TOKEN = re.compile(r"\b(xox[a-z]|xapp)(?:[.-][A-Za-z0-9]+)+")
REDACTED = "[redacted]"
# Chat and HTTP libraries whose DEBUG and INFO records carry request and response bodies.
WITHHELD = frozenset({"slack_sdk", "slack_bolt", "urllib3", "httpx", "httpcore", "microsoft_teams"})
_SHORTEST_SECRET = 8  # masking a short common string would garble logs and hide nothing


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with every token, and every one of `secrets`, replaced; a token keeps its kind (xoxb-)."""
    text = TOKEN.sub(lambda m: f"{m.group(1)}-{REDACTED}", text)
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return text


class _RedactingFactory:
    def __init__(self, make: Callable[..., logging.LogRecord]):
        self.make = make
        self.secrets: set[str] = set()

    def __call__(self, *args, **kwargs) -> logging.LogRecord:
        record = self.make(*args, **kwargs)
        if record.levelno < logging.WARNING and _from_a_library(record):
            # These libraries log whole requests and responses below WARNING: message texts, names, tokens.
            record.msg, record.args = f"({record.name} {record.levelname.lower()} record withheld: it may carry " \
                                      "what people wrote)", None
            return record
        try:
            message = record.getMessage()
        except Exception:  # a broken format: logging reports it when the record is emitted
            return record
        clean = redact(message, self.secrets)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info:
            # Formatters reuse exc_text when it is set, so the traceback is printed redacted too.
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info), self.secrets)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self.secrets)
        return record


def _from_a_library(record: logging.LogRecord) -> bool:
    """Made by one of WITHHELD, under its own logger or one it was given (Bolt logs through the app's)."""
    if record.name.split(".")[0] in WITHHELD:
        return True
    parts = re.split(r"[\\/]", record.pathname or "")
    return any(part in WITHHELD for part in parts[-4:-1])


def install(*, secrets: Iterable[str | None] = ()) -> None:
    """Redact every log record from now on. Calling again only adds `secrets` (exact strings to mask)."""
    factory = logging.getLogRecordFactory()
    if not isinstance(factory, _RedactingFactory):
        factory = _RedactingFactory(factory)
        logging.setLogRecordFactory(factory)
    factory.secrets.update(s for s in secrets if s and len(s) >= _SHORTEST_SECRET)
