"""Alerting: match story updates against subscriptions and deliver one alert per story.

Pure cores: ``query`` (the subscription query language), ``subscriptions`` (the
subscription file and the anchor index that matches an update against 100,000 of them),
``policy`` (once-per-story de-duplication, alert ids, rendering), ``signing`` (Standard
Webhooks), ``retry`` (delivery schedule). ``channels`` holds the thin I/O senders
(webhook, email, Apprise). The Faust shell in ``app.py`` wires them to Kafka.
"""
