"""The floor to compare walkbot with: a Bolt app whose listeners only ack, served exactly as
`walkbot serve` serves walkbot (the same ASGI front, uvicorn, the same settings), so the difference
between the two is what walkbot itself does with a request.

    python -m bench.bare_bolt --port 3001   (SLACK_SIGNING_SECRET, SLACK_BOT_TOKEN, SLACK_API_URL)
"""
from __future__ import annotations

import argparse
import os
import re

import uvicorn
from slack_bolt import App
from slack_sdk import WebClient

from handlers.slack.server import SlackHttp


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    client = WebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"])
    app = bare_app(signing_secret=os.environ["SLACK_SIGNING_SECRET"], client=client)
    config = uvicorn.Config(SlackHttp(bolt=app), host="127.0.0.1",
                            port=args.port, lifespan="off", server_header=False)
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main()
