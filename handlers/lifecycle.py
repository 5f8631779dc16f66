"""How a served process ends: SIGTERM (how a deployment stops a process) as Ctrl-C does."""
from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def until_stopped() -> Iterator[None]:
    """Run the body until Ctrl-C or SIGTERM: clean-up runs, exit 0.

    uvicorn shuts down gracefully on either signal and then raises it again, which lands here.
    """
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt
