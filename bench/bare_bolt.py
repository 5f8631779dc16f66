"""The floor to compare walkbot with: a Bolt app whose listeners only ack, served as `walkbot serve` serves
walkbot (uvicorn, the same settings, Bolt in worker threads behind a small ASGI front) and importing nothing of
walkbot, so the difference between the two is what walkbot itself does with a request, and what it loads.

    python -m bench.bare_bolt --port 3001   (SLACK_SIGNING_SECRET, SLACK_BOT_TOKEN, SLACK_API_URL)
"""
from __future__ import annotations

import argparse
import asyncio
import os
import re

import uvicorn
from slack_bolt import App, BoltRequest
from slack_sdk import WebClient

EVENTS_PATH, HEALTH_PATH = "/slack/events", "/healthz"


def bare_app(*, signing_secret: str, client: WebClient) -> App:
    # As walkbot's app is built (handlers.slack.app): one workspace's token, its client, no check at start.
    app = App(signing_secret=signing_secret, client=client, token_verification_enabled=False,
              process_before_response=True)
    anything = re.compile(".*")
    app.command(anything)(lambda ack: ack())
    app.action(anything)(lambda ack: ack())
    app.view(anything)(lambda ack: ack())
    app.event("app_home_opened")(lambda: None)
    return app


class BareHttp:
    """POST /slack/events into Bolt on a worker thread, GET /healthz; as walkbot's front does, without its checks
    of requests Slack would never send (they cost microseconds, and the benchmark sends none)."""

    def __init__(self, app: App):
        self.app = app

    async def __call__(self, scope: dict, receive, send) -> None:
        if scope["type"] != "http":
            return
        status, headers, body = 404, {}, b"Not Found"
        if scope["path"] == HEALTH_PATH:
            status, body = 200, b"ok"
        elif scope["path"] == EVENTS_PATH and scope["method"] == "POST":
            chunks, more = [], True
            while more:
                message = await receive()
                chunks.append(message.get("body", b""))
                more = message.get("more_body", False)
            request = BoltRequest(body=b"".join(chunks).decode(),
                                  headers={k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]})
            response = await asyncio.to_thread(self.app.dispatch, request)
            status, headers, body = response.status, response.headers, response.body.encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(name.encode(), value.encode()) for name, values in headers.items()
                                for value in values] + [(b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    client = WebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"])
    app = bare_app(signing_secret=os.environ["SLACK_SIGNING_SECRET"], client=client)
    config = uvicorn.Config(BareHttp(app), host="127.0.0.1", port=args.port, lifespan="off", server_header=False)
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main()
