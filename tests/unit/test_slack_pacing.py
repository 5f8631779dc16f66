"""The pace walkbot keeps in a Slack workspace once it has answered 429 (handlers.slack.transport.Pacing): one post
a second a channel from the first 429 (which may be a channel's); from the next, which is then the workspace's, a
little under the rate Slack took since the one before, rising to it but not past it until a quiet spell has gone
by. On a clock of the test's own: the waits are what the pace asks the senders to sleep, not timings."""
from __future__ import annotations

import pytest

from bot.notices.delivery import RateLimited
from handlers.slack.transport import CATCH_UP, CHANNEL_BURST, CUT, FEW, LEARN_OVER, LONGEST_WAIT, QUIET, RISE, Pacing


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
    pacing.refused(1.0)
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
    pacing.refused(1.0)
    assert pacing.limited and pacing.rate is None
    post(pacing, clock, ["D1"] * CHANNEL_BURST)  # a burst, then one a second
    with pytest.raises(RateLimited):
        pacing.take("D1")
    clock.now += 1.0
    post(pacing, clock, ["D1"])
    post(pacing, clock, [f"E{n}" for n in range(200)])
    assert clock.slept == []


def test_after_a_later_429_the_workspace_is_kept_a_little_under_the_rate_slack_took_since_the_one_before(clock):
    pacing = Pacing(clock=clock, sleep=clock.sleep)
    limited(pacing, clock)  # a second ago, and nothing posted since while its Retry-After ran
    post(pacing, clock, [f"D{n}" for n in range(200)], every=0.005)  # 200 in the second after it
    pacing.refused(1.0)
    assert pacing.limit == pytest.approx(100, rel=0.01)  # 200 over the two seconds since the first 429
    assert pacing.rate == pytest.approx(100 * CUT, rel=0.01)
    clock.slept.clear()
    post(pacing, clock, [f"E{n}" for n in range(10)])  # asked all at once: each waits its turn
    gaps = clock.slept
    assert len(gaps) == 9 and all(gap == pytest.approx(1 / pacing.rate, rel=0.01) for gap in gaps)


def test_time_walkbot_was_away_past_a_retry_after_is_not_counted_as_slack_taking_nothing(clock):
    pacing = Pacing(clock=clock, sleep=clock.sleep)
    clock.now -= 1.5
    pacing.refused(1.0)  # Retry-After a second; walkbot asks again half a second after it ran out
    clock.now += 1.5
    post(pacing, clock, [f"D{n}" for n in range(200)], every=0.005)
    pacing.refused(1.0)
    assert pacing.limit == pytest.approx(100, rel=0.01)  # 200 over its Retry-After and the second it sent in


def test_what_slack_took_is_counted_over_the_last_seconds_only(clock):
    pacing = Pacing(clock=clock, sleep=clock.sleep)
    limited(pacing, clock)
    clock.now += 3_600  # a quiet hour: no slow limit to learn from it
    post(pacing, clock, [f"D{n}" for n in range(500)], every=0.02)  # then 50 a second for ten seconds
    pacing.refused(1.0)
    assert pacing.limit == pytest.approx(50 * 10 / LEARN_OVER, rel=0.02)


def test_the_senders_already_asking_when_a_429_came_cut_the_pace_once(clock):
    pacing = Pacing(clock=clock, sleep=clock.sleep)
    limited(pacing, clock)
    post(pacing, clock, [f"D{n}" for n in range(100)], every=0.01)
    pacing.refused(1.0)
    first = pacing.rate
    clock.now += 0.01
    pacing.refused(1.0)
    assert pacing.rate == first
    clock.now += 1.0  # after Retry-After, and 50 posts later: a new 429 cuts again
    post(pacing, clock, [f"E{n}" for n in range(50)], every=0.01)
    pacing.refused(1.0)
    assert pacing.rate < first


def test_a_429_after_only_a_few_posts_since_the_one_before_learns_no_pace(clock):
    pacing = Pacing(clock=clock, sleep=clock.sleep)
    limited(pacing, clock)
    post(pacing, clock, [f"D{n}" for n in range(FEW - 1)], every=0.01)  # Slack refusing, not a limit's bucket empty
    pacing.refused(1.0)
    assert pacing.limited and pacing.rate is None
    clock.now += 1.0
    post(pacing, clock, [f"E{n}" for n in range(200)], every=0.005)
    pacing.refused(1.0)  # a limit's: learnt as before
    assert pacing.rate == pytest.approx(100 * CUT, rel=0.02)
    clock.now += 1.0
    post(pacing, clock, [f"F{n}" for n in range(3)])
    pacing.refused(1.0)  # once paced, a refusal after a few posts leaves the pace as it was
    assert pacing.rate == pytest.approx(100 * CUT, rel=0.02)


def test_the_pace_rises_while_no_429_comes_to_what_slack_took_and_no_further_until_a_quiet_spell(clock):
    pacing = Pacing(clock=clock, sleep=clock.sleep)
    limited(pacing, clock)
    post(pacing, clock, [f"D{n}" for n in range(100)], every=0.01)  # 100 in the second after it: 50 a second
    pacing.refused(1.0)
    cut, cut_at = pacing.rate, clock.now
    clock.now += 5
    post(pacing, clock, ["E1"])
    assert pacing.rate == pytest.approx(cut * (1 + RISE) ** 5, rel=0.01)
    clock.now += 60
    post(pacing, clock, ["E2"])
    assert pacing.rate == pytest.approx(pacing.limit)  # risen to what drew the 429, and kept there
    clock.now += QUIET
    post(pacing, clock, ["E3"])
    clock.now += 60
    post(pacing, clock, ["E4"])
    risen_for = clock.now - (cut_at + QUIET)  # looking for a limit raised, from the end of the quiet spell
    assert pacing.rate == pytest.approx(pacing.limit * (1 + RISE) ** risen_for, rel=0.01)


def test_once_limited_a_channel_past_its_burst_is_held_back_and_so_is_a_long_turn_at_the_pace(clock):
    pacing = Pacing(clock=clock, sleep=clock.sleep)
    limited(pacing, clock)
    post(pacing, clock, [f"D{n}" for n in range(20)], every=0.05)
    pacing.refused(1.0)  # twenty in the two seconds since the first: a little under ten a second from now
    post(pacing, clock, ["F1"] * CHANNEL_BURST)
    with pytest.raises(RateLimited) as held:
        pacing.take("F1")
    assert 0 < held.value.retry_after <= 1.0 and not held.value.whole_installation
    pacing.rate = 0.5  # a turn two seconds off is not waited for in a sender
    post(pacing, clock, ["F3"])
    with pytest.raises(RateLimited) as later:
        pacing.take("F2")
    assert later.value.retry_after > LONGEST_WAIT


def test_a_sender_late_for_its_turn_at_the_pace_keeps_it_so_the_pace_is_kept_and_no_more(clock):
    pacing = Pacing(clock=clock, sleep=clock.sleep)
    limited(pacing, clock)
    post(pacing, clock, [f"D{n}" for n in range(200)], every=0.005)
    pacing.refused(1.0)
    gap = 1 / pacing.rate
    post(pacing, clock, ["E0"])
    clock.now += 3.5 * gap  # the senders come late: the turns of three posts went by
    clock.slept.clear()
    post(pacing, clock, ["E1", "E2", "E3", "E4"])
    # Three taken at once (the pace over it all kept), then its turn.
    assert clock.slept == [pytest.approx(0.5 * gap, rel=0.01)]
    clock.now += 60  # a long while with nothing to send: a few turns' worth taken at once, no more
    clock.slept.clear()
    post(pacing, clock, [f"F{n}" for n in range(20)])
    assert len(clock.slept) == 20 - round(CATCH_UP / gap) - 1
