"""The pace walkbot keeps in a Slack workspace once it has answered 429 (handlers.slack.transport.Pacing): one post
a second a channel from the first 429 (which may be a channel's); from the next, which is then the workspace's, a
little under the rate that drew it, cut again at each, rising slowly while none comes. On a clock of the test's
own: the waits are what the pace asks the senders to sleep, not timings."""
from __future__ import annotations

import pytest

from bot.notices.delivery import RateLimited
from handlers.slack.transport import CHANNEL_BURST, CUT, LONGEST_WAIT, RISE, Pacing


class Clock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


def limited(pacing: Pacing, clock: Clock) -> None:
    """A first 429, a second ago: the channels' limits bind from then on."""
    clock.now -= 1.0
    pacing.refused()
    clock.now += 1.0


def post(pacing: Pacing, clock: Clock, channels: list[str], every: float = 0.0) -> None:
    for channel in channels:
        pacing.take(channel)
        pacing.posted()
        clock.now += every


def test_until_a_workspace_answers_429_its_notices_go_as_fast_as_they_come(clock):
    pacing = Pacing(clock=clock, sleep=clock.sleep)
    post(pacing, clock, ["D1"] * 5 + [f"D{n}" for n in range(200)])  # one person's five at once, then everyone
    assert clock.slept == [] and not pacing.limited


def test_a_first_429_keeps_each_channel_to_a_post_a_second_after_a_burst_and_the_workspace_unpaced(clock):
    pacing = Pacing(clock=clock, sleep=clock.sleep)
    pacing.refused()
    assert pacing.limited and pacing.rate is None
    post(pacing, clock, ["D1"] * CHANNEL_BURST)  # a burst, then one a second
    with pytest.raises(RateLimited):
        pacing.take("D1")
    clock.now += 1.0
    post(pacing, clock, ["D1"])
    post(pacing, clock, [f"E{n}" for n in range(200)])
    assert clock.slept == []


def test_after_a_later_429_the_workspace_is_kept_a_little_under_the_rate_that_drew_it(clock):
    pacing = Pacing(clock=clock, sleep=clock.sleep)
    limited(pacing, clock)
    post(pacing, clock, [f"D{n}" for n in range(500)], every=0.005)  # 200 a second
    pacing.refused()
    assert pacing.rate == pytest.approx(200 * CUT, rel=0.01)
    clock.slept.clear()
    post(pacing, clock, [f"E{n}" for n in range(10)])  # asked all at once: each waits its turn
    gaps = clock.slept
    assert len(gaps) == 9 and all(gap == pytest.approx(1 / pacing.rate, rel=0.01) for gap in gaps)


def test_the_senders_already_asking_when_a_429_came_cut_the_pace_once(clock):
    pacing = Pacing(clock=clock, sleep=clock.sleep)
    limited(pacing, clock)
    post(pacing, clock, [f"D{n}" for n in range(100)], every=0.01)
    pacing.refused()
    first = pacing.rate
    clock.now += 0.01
    pacing.refused()
    assert pacing.rate == first
    clock.now += 1.0  # a second later, after Retry-After: a new 429 cuts again
    pacing.refused()
    assert pacing.rate < first


def test_the_pace_rises_while_no_429_comes(clock):
    pacing = Pacing(clock=clock, sleep=clock.sleep)
    limited(pacing, clock)
    post(pacing, clock, [f"D{n}" for n in range(50)], every=0.02)  # a slow start: 50 a second
    pacing.refused()
    cut = pacing.rate
    clock.now += 60
    post(pacing, clock, ["E1"])
    assert pacing.rate == pytest.approx(cut * (1 + RISE) ** 60, rel=0.01)


def test_once_limited_a_channel_past_its_burst_is_held_back_and_so_is_a_long_turn_at_the_pace(clock):
    pacing = Pacing(clock=clock, sleep=clock.sleep)
    limited(pacing, clock)
    post(pacing, clock, [f"D{n}" for n in range(10)], every=0.1)
    pacing.refused()  # ten a second: nine a second from now
    post(pacing, clock, ["F1"] * CHANNEL_BURST)
    with pytest.raises(RateLimited) as held:
        pacing.take("F1")
    assert 0 < held.value.retry_after <= 1.0 and not held.value.whole_installation
    pacing.rate = 0.5  # a turn two seconds off is not waited for in a sender
    post(pacing, clock, ["F3"])
    with pytest.raises(RateLimited) as later:
        pacing.take("F2")
    assert later.value.retry_after > LONGEST_WAIT
