"""Subscription validation and the YAML file: every problem named by id, field and reason."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from services.alerting.subscriptions import (
    AppriseChannel,
    EmailChannel,
    Subscription,
    SubscriptionError,
    WebhookChannel,
    load_file,
    validate,
)

ROOT = Path(__file__).resolve().parents[3]
SubDict = Callable[..., dict[str, Any]]


def test_valid_subscription_compiles_query(sub_dict: SubDict) -> None:
    sub = validate(sub_dict(query="@elon_musk AND @sam_altman", updates={"every_articles": 5}))
    assert isinstance(sub.channel, WebhookChannel)
    assert sub.compiled.entities == {"elon_musk", "sam_altman"}
    assert sub.compiled is sub.compiled
    assert sub.updates.every_articles == 5 and sub.updates.every_sources is None
    assert sub.mode == "realtime" and not sub.paused
    assert "whsec" not in repr(sub)  # the secret is not printed


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"id": "Musk"},
            "subscription 'Musk': field 'id': must be a slug: [a-z0-9][a-z0-9_-]{0,63}",
        ),
        (
            {"id": "a" * 65},
            f"subscription '{'a' * 65}': field 'id': must be a slug: [a-z0-9][a-z0-9_-]{{0,63}}",
        ),
        ({"query": "(@a"}, "subscription 's1': field 'query': expected ')' at position 3"),
        (
            {"mode": "digest"},
            "subscription 's1': field 'digest_minutes': required when mode is digest",
        ),
        (
            {"digest_minutes": 10},
            "subscription 's1': field 'digest_minutes': only allowed when mode is digest",
        ),
        (
            {"mode": "digest", "digest_minutes": 0},
            "subscription 's1': field 'digest_minutes': Input should be greater than or equal to 1",
        ),
        (
            {"updates": {"every_articles": 0}},
            "subscription 's1': field 'updates.every_articles': Input should be greater than or "
            "equal to 1",
        ),
        ({"colour": "red"}, "subscription 's1': field 'colour': Extra inputs are not permitted"),
        (
            {"channel": {"type": "webhook", "url": "ftp://x/y", "secret": "whsec_" + "A" * 44}},
            "subscription 's1': field 'channel.url': must be an http:// or https:// URL",
        ),
        (
            {
                "channel": {
                    "type": "webhook",
                    "url": "https://u:p@x/y",
                    "secret": "whsec_" + "A" * 44,
                }
            },
            "subscription 's1': field 'channel.url': must not contain credentials",
        ),
        (
            {"channel": {"type": "webhook", "url": "https://x/y", "secret": "s3cret"}},
            "subscription 's1': field 'channel.secret': must start with 'whsec_' "
            "(Standard Webhooks secret)",
        ),
        (
            {"channel": {"type": "webhook", "url": "https://x/y", "secret": "whsec_%%%"}},
            "subscription 's1': field 'channel.secret': is not valid base64 after 'whsec_'",
        ),
        (
            {"channel": {"type": "webhook", "url": "https://x/y", "secret": "whsec_AAAA"}},
            "subscription 's1': field 'channel.secret': must decode to 24-64 bytes, not 3",
        ),
        (
            {"channel": {"type": "email", "to": ["not an address"]}},
            "subscription 's1': field 'channel.to': 'not an address' is not an email address",
        ),
        (
            {"channel": {"type": "email", "to": ["a@b.example\r\nBcc: x@y.z"]}},
            "subscription 's1': field 'channel.to': 'a@b.example\\r\\nBcc: x@y.z' is not an "
            "email address",
        ),
        (
            {"channel": {"type": "apprise", "url": "mailto://u:p@gmail.com"}},
            "subscription 's1': field 'channel.url': schema 'mailto' is not allowed (allowed: "
            "discord, form, forms, gotify, gotifys, json, jsons, ntfy, ntfys, slack, tgram, xml, "
            "xmls)",
        ),
        (
            {"channel": {"type": "apprise", "url": "json:/x"}},
            "subscription 's1': field 'channel.url': must look like schema://…",
        ),
        (
            {"channel": {"type": "sms"}},
            "subscription 's1': field 'channel': Input tag 'sms' found using 'type' does not match "
            "any of the expected tags: 'webhook', 'email', 'apprise'",
        ),
    ],
)
def test_invalid(sub_dict: SubDict, change: dict[str, Any], message: str) -> None:
    with pytest.raises(SubscriptionError) as info:
        validate({**sub_dict(), **change})
    assert str(info.value) == message


def test_all_problems_reported_and_missing_id_named_by_position(sub_dict: SubDict) -> None:
    raw = sub_dict(query="a AND")
    del raw["id"]
    with pytest.raises(SubscriptionError) as info:
        validate(raw, 2)
    assert str(info.value).splitlines() == [
        "subscription #3: field 'id': Field required",
        "subscription #3: field 'query': expected a term, found end of query at position 5",
    ]


def test_channels_parse() -> None:
    email = validate({"id": "e", "query": "x", "channel": {"type": "email", "to": ["a@b.example"]}})
    apprise = validate(
        {"id": "a", "query": "x", "channel": {"type": "apprise", "url": "JSONS://hooks.example/x"}}
    )
    assert isinstance(email.channel, EmailChannel)
    assert isinstance(apprise.channel, AppriseChannel)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "subs.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_load_file(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
subscriptions:
  - id: musk-and-altman
    query: "@elon_musk AND @sam_altman"
    channel:
      type: webhook
      url: "https://hooks.example/a"
      secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    updates: {every_articles: 5, every_sources: 3}
  - id: de-digest
    query: 'lang:de "Künstliche Intelligenz"'
    channel: {type: email, to: [desk@news.example]}
    mode: digest
    digest_minutes: 60
    paused: true
""",
    )
    subs = load_file(path)
    assert [s.id for s in subs] == ["musk-and-altman", "de-digest"]
    assert subs[1].paused and subs[1].digest_minutes == 60
    assert subs[1].compiled.keywords == {"künstliche intelligenz"}


def test_load_file_reports_every_problem_and_duplicates(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
subscriptions:
  - {id: a, query: "x", channel: {type: email, to: [a@b.example]}}
  - {id: b, query: "x OR", channel: {type: email, to: [a@b.example]}}
  - {id: a, query: "y", channel: {type: email, to: [a@b.example]}}
  - just a string
""",
    )
    with pytest.raises(SubscriptionError) as info:
        load_file(path)
    assert str(info.value).splitlines() == [
        f"{path}:",
        "subscription 'b': field 'query': expected a term, found end of query at position 4",
        "subscription 'a': field 'id': duplicate (entries #1 and #3)",
        "subscription #4: expected a mapping",
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("subscriptions: {a: 1}\n", "'subscriptions' must be a list"),
        ("- a\n", "expected a mapping with one key, 'subscriptions'"),
        ("subscriptions: []\nextra: 1\n", "expected a mapping with one key, 'subscriptions'"),
        ("subscriptions: [\n", "cannot read: "),
    ],
)
def test_load_file_shape_errors(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(SubscriptionError) as info:
        load_file(path)
    assert str(info.value).startswith(f"{path}: {message}")


def test_empty_files_mean_no_subscriptions(tmp_path: Path) -> None:
    assert load_file(write(tmp_path, "")) == []
    assert load_file(write(tmp_path, "subscriptions: []\n")) == []


def test_default_config_file() -> None:
    subs = load_file(ROOT / "config" / "subscriptions.yaml")
    assert [s.id for s in subs] == ["musk-and-altman"]
    sub = subs[0]
    assert isinstance(sub.channel, WebhookChannel)
    assert sub.channel.url == "http://127.0.0.1:8099/alerts"
    assert sub.compiled.entities == {"elon_musk", "sam_altman"}


def test_subscription_is_frozen(sub_dict: SubDict) -> None:
    sub = Subscription.model_validate(sub_dict())
    with pytest.raises(ValueError, match="frozen"):
        sub.paused = True  # type: ignore[misc]
