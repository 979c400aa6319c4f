"""The schedule is pure: clock and jitter are passed in."""

from __future__ import annotations

import pytest

from services.ingest.schedule import FeedSchedule, PollPolicy, after_error, after_success, initial

P = PollPolicy(min_interval_s=60, max_interval_s=3600, default_interval_s=300, backoff_base_s=10,
           park_after=4, park_interval_s=86400)  # fmt: skip
NOW = 1_000_000.0


def test_a_new_feed_is_due_now():
    s = initial(P, NOW)
    assert (s.next_poll, s.interval_s, s.failures, s.parked) == (NOW, 300, 0, False)
    assert initial(P, NOW, fixed_interval_s=42).interval_s == 42


def test_interval_shrinks_when_the_feed_changes_and_grows_when_it_does_not():
    s = initial(P, NOW)
    changed = after_success(s, P, NOW, changed=True, rand=0.5)
    assert changed.interval_s == 150 and changed.next_poll == NOW + 150
    quiet = after_success(s, P, NOW, changed=False, rand=0.5)
    assert quiet.interval_s == 450 and quiet.next_poll == NOW + 450


def test_interval_stays_within_bounds():
    s = initial(P, NOW)
    for _ in range(20):
        s = after_success(s, P, NOW, changed=True, rand=0.5)
    assert s.interval_s == P.min_interval_s
    for _ in range(40):
        s = after_success(s, P, NOW, changed=False, rand=0.5)
    assert s.interval_s == P.max_interval_s


@pytest.mark.parametrize("rand", [0.0, 0.999])
def test_jitter_is_bounded(rand):
    s = after_success(initial(P, NOW), P, NOW, changed=False, rand=rand)
    assert 0.9 * 450 <= s.next_poll - NOW <= 1.1 * 450


def test_fixed_interval_does_not_adapt():
    s = initial(P, NOW, fixed_interval_s=30)
    for changed in (True, False, False):
        s = after_success(s, P, NOW, changed=changed, rand=0.9, fixed_interval_s=30)
        assert (s.interval_s, s.next_poll) == (30, NOW + 30)


def test_max_age_is_a_floor_capped_at_the_maximum_interval():
    s = initial(P, NOW)
    assert after_success(s, P, NOW, changed=True, rand=0.5, max_age_s=1800).next_poll == NOW + 1800
    assert after_success(s, P, NOW, changed=True, rand=0.5, max_age_s=10**7).next_poll == NOW + 3600
    assert after_success(s, P, NOW, changed=True, rand=0.5, max_age_s=5).next_poll == NOW + 150


def test_errors_back_off_exponentially_with_jitter():
    s = initial(P, NOW)
    waits = []
    for _ in range(3):
        s = after_error(s, P, NOW, rand=1.0)
        waits.append(s.next_poll - NOW)
    assert waits == [10, 20, 40]
    low = after_error(FeedSchedule(300, NOW, failures=2), P, NOW, rand=0.0)
    assert low.next_poll - NOW == 20  # equal jitter: half of the 40 s backoff


def test_retry_after_is_honoured():
    s = after_error(initial(P, NOW), P, NOW, rand=0.5, retry_after_s=900)
    assert s.next_poll == NOW + 900 and s.failures == 1
    short = after_error(initial(P, NOW), P, NOW, rand=1.0, retry_after_s=1)
    assert short.next_poll == NOW + 10  # backoff still applies


def test_a_feed_that_keeps_failing_is_parked_and_one_success_unparks_it():
    s = initial(P, NOW)
    for _ in range(P.park_after - 1):
        s = after_error(s, P, NOW, rand=0.5)
        assert not s.parked
    s = after_error(s, P, NOW, rand=0.5)
    assert s.parked and s.next_poll == NOW + P.park_interval_s
    s = after_error(s, P, NOW + 86400, rand=0.5)
    assert s.parked and s.next_poll == NOW + 2 * 86400
    s = after_success(s, P, NOW, changed=False, rand=0.5)
    assert not s.parked and s.failures == 0
