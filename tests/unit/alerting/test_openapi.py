"""Every route the alerting worker serves is in its OpenAPI document, and every
documented route is served (the app is built, not run: no broker needed)."""

from __future__ import annotations

from pathlib import Path

from services.alerting.app import build
from services.alerting.openapi import document
from shared.settings import ROOT, Settings


def test_served_routes_and_documented_routes_are_the_same(tmp_path: Path) -> None:
    settings = Settings(
        kafka_bootstrap="127.0.0.1:9",
        data_dir=tmp_path,
        subscriptions_file=ROOT / "config" / "subscriptions.yaml",
        allow_hosts=["127.0.0.1"],  # the shipped console subscriber listens on loopback
    )
    app = build(settings)
    served = {
        (route.method.lower(), route.resource.canonical)
        for route in app.web.web_app.router.routes()
        if route.method not in ("HEAD", "OPTIONS") and route.resource is not None
    }
    doc = document()
    documented = {(m, path) for path, ops in doc["paths"].items() for m in ops}
    assert served == documented
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            assert op["responses"], (method, path)
            if path == "/subscriptions/preview":  # stores and sends nothing: no token
                assert "security" not in op
                assert {"200", "422"} <= set(op["responses"])
                assert op["requestBody"]["content"]["application/json"]
            elif method in ("post", "put", "patch", "delete"):
                assert op["security"] == [{"bearer": []}], (method, path)
                assert {"401", "403", "409", "422"} <= set(op["responses"])
    schemas = doc["components"]["schemas"]
    assert {"Subscription", "WebhookChannel", "EmailChannel", "AppriseChannel", "Error"} <= set(
        schemas
    )
    secret = schemas["WebhookChannel"]["properties"]["secret"]
    assert secret.get("writeOnly") is True
