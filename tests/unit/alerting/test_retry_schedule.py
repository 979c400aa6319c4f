"""The long-horizon schedule: fixed waits with jitter, Retry-After honoured up to a cap,
attempts counted; and which pending retries a tick must attempt."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from services.alerting.channels import Outcome
from services.alerting.delivery import RetryPolicy, due, next_step, pending_entry
from services.alerting.once_per_story import build_alert
from services.alerting.retry import attempts_left, scheduled_wait
from services.alerting.subscriptions import validate
from shared.records import RetryEnvelope
from shared.settings import Settings
from tests.support.records import make_sub_dict, make_update

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
SVIX = [5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0]


def test_default_schedule_is_svix_like_over_a_day() -> None:
    settings = Settings(kafka_bootstrap="x:1")
    assert settings.delivery_schedule_s == SVIX
    assert settings.delivery_attempts == 8
    total = sum(
        scheduled_wait(n, settings.delivery_schedule_s, jitter=0, rng=random.Random(0))
        for n in range(1, settings.delivery_attempts)
    )
    assert total == pytest.approx(sum(SVIX))  # about 27 hours
    assert 24 * 3600 < total < 30 * 3600


@pytest.mark.parametrize(("attempt", "base"), [(1, 5.0), (2, 300.0), (7, 36000.0), (20, 36000.0)])
def test_jitter_stays_within_its_fraction(attempt: int, base: float) -> None:
    rng = random.Random(7)
    waits = [scheduled_wait(attempt, SVIX, jitter=0.1, rng=rng) for _ in range(300)]
    assert all(0.9 * base <= w <= 1.1 * base for w in waits)
    assert max(waits) - min(waits) > 0.1 * base  # it does spread


def test_retry_after_is_honoured_up_to_the_cap() -> None:
    rng = random.Random(1)
    assert scheduled_wait(1, [5.0], jitter=0, rng=rng, retry_after=120) == 120
    assert scheduled_wait(1, [5.0], jitter=0, rng=rng, retry_after=1) == 5.0
    assert (
        scheduled_wait(1, [5.0], jitter=0, rng=rng, retry_after=99999, retry_after_cap=3600) == 3600
    )


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="attempt must be"):
        scheduled_wait(0, SVIX, jitter=0, rng=random.Random())
    with pytest.raises(ValueError, match="empty"):
        scheduled_wait(1, [], jitter=0, rng=random.Random())
    with pytest.raises(ValueError, match="every wait"):
        Settings(kafka_bootstrap="x:1", delivery_schedule_s=[1.0, 0.0])


def test_attempts_left() -> None:
    assert attempts_left(1, 8) and attempts_left(7, 8)
    assert not attempts_left(8, 8)


POLICY = RetryPolicy(
    schedule=(5.0, 300.0), jitter=0.0, attempts=3, retry_after_cap=3600, timeout=10
)


def alert():  # type: ignore[no-untyped-def]
    sub = validate(make_sub_dict("desk", query="@elon_musk"))
    return build_alert(sub, make_update(entities=("elon_musk",)), "new", NOW)


@pytest.mark.parametrize(
    ("number", "outcome", "action", "wait"),
    [
        (1, Outcome("ok", "HTTP 200"), "delivered", None),
        (1, Outcome("final", "HTTP 410"), "dead", None),
        (1, Outcome("retry", "HTTP 503"), "retry", 5.0),
        (2, Outcome("retry", "HTTP 503"), "retry", 300.0),
        (2, Outcome("retry", "HTTP 429", retry_after=900.0), "retry", 900.0),
        (3, Outcome("retry", "HTTP 503"), "dead", None),
    ],
)
def test_next_step(number: int, outcome: Outcome, action: str, wait: float | None) -> None:
    a = alert()
    step = next_step(a, number, outcome, policy=POLICY, now=NOW, rng=random.Random(0))
    assert step.action == action
    if wait is None:
        assert step.envelope is None
    else:
        assert step.envelope is not None
        assert step.envelope.attempt == number + 1
        assert step.envelope.not_before == NOW + timedelta(seconds=wait)
        assert step.envelope.alert.id == a.id  # the idempotency key never changes
        assert step.envelope.last_error == outcome.detail
    if action == "dead":
        assert outcome.detail in step.detail


def test_due_picks_this_partitions_entries_whose_time_has_come() -> None:
    a = alert()

    def env(seconds: float) -> RetryEnvelope:
        return RetryEnvelope(alert=a, attempt=2, not_before=NOW + timedelta(seconds=seconds))

    entries = [
        ("late", pending_entry(env(-10), 1)),
        ("now", pending_entry(env(0), 1)),
        ("future", pending_entry(env(1), 1)),
        ("other-partition", pending_entry(env(-5), 2)),
        ("deleted", None),
    ]
    assert [k for k, _ in due(entries, 1, NOW)] == ["late", "now"]
    assert [k for k, _ in due(entries, 2, NOW)] == ["other-partition"]
    envelope = due(entries, 1, NOW)[0][1]
    assert envelope == env(-10)  # round-trips through the table's JSON
