"""The OpenAPI 3 document of alerting's HTTP API, generated from ``api.ROUTES`` and the
pydantic models (so it cannot drift from what the handlers accept)."""

from __future__ import annotations

from typing import Any

from services.alerting.api import MASK, ROUTES, Route
from services.alerting.subscriptions import Subscription

__all__ = ["OTHER_ROUTES", "document"]

REF = "#/components/schemas/{model}"

# Served by every wirewatch worker, documented here for completeness.
OTHER_ROUTES = (
    Route("GET", "/health", "health", "Process is alive", False),
    Route("GET", "/ready", "ready", "Ready: assigned, subscriptions topic read to its end", False),
    Route("GET", "/metrics", "metrics", "Prometheus metrics", False),
    Route("GET", "/openapi.json", "openapi", "This document", False),
)

_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {"type": "string", "description": "What is wrong, in one sentence."},
        "problems": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": ["string", "null"]},
                    "message": {"type": "string"},
                    "position": {
                        "type": "integer",
                        "description": "0-based position in the query (query errors only)",
                    },
                },
            },
        },
    },
}


def _schemas() -> dict[str, Any]:
    schema = Subscription.model_json_schema(ref_template=REF)
    defs = schema.pop("$defs", {})
    shown = {
        "allOf": [{"$ref": REF.format(model="Subscription")}],
        "type": "object",
        "properties": {
            "source": {"type": "string", "enum": ["file", "api"]},
            "applied": {
                "type": "boolean",
                "description": "writes only: this worker applied the change before answering",
            },
            "detail": {"type": "string"},
        },
        "description": f"Secrets, webhook query strings and Apprise URLs are shown as "
        f"{MASK!r}; sending that value back keeps the stored one.",
    }
    return {
        **defs,
        "Subscription": schema,
        "SubscriptionShown": shown,
        "SubscriptionList": {
            "type": "object",
            "properties": {
                "subscriptions": {
                    "type": "array",
                    "items": {"$ref": REF.format(model="SubscriptionShown")},
                }
            },
        },
        "Deleted": {
            "type": "object",
            "properties": {
                "id": {"type": "string"},
                "deleted": {"type": "boolean"},
                "applied": {"type": "boolean"},
            },
        },
        "Error": _ERROR,
        "PreviewRequest": {
            "type": "object",
            "required": ["query"],
            "description": "A subscription body (id and channel optional; nothing is "
            "stored or sent) and how far back to look.",
            "properties": {
                "query": {"type": "string"},
                "id": {"type": "string", "description": "alert ids depend on it"},
                "mode": {"type": "string", "enum": ["realtime", "digest"]},
                "digest_minutes": {"type": "integer", "minimum": 1, "maximum": 1440},
                "updates": {"$ref": REF.format(model="UpdatePolicy")},
                "hours": {"type": "number", "exclusiveMinimum": 0, "maximum": 24, "default": 24},
            },
        },
        "Preview": {
            "type": "object",
            "properties": {
                "errors": {"type": "array", "items": {"type": "object"}},
                "alerts": {
                    "type": "array",
                    "description": "alert bodies' data as webhooks get them, with 'at' "
                    "(when it would have been raised) and 'held' (why it fired)",
                    "items": {"type": "object"},
                },
                "summary": {"type": "object"},
                "misses": {
                    "type": "array",
                    "description": "stories that did not alert, with the first part of the "
                    "query that failed",
                    "items": {"type": "object"},
                },
            },
        },
    }


def _json(model: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": REF.format(model=model)}}},
    }


def _operation(route: Route) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": route.summary, "operationId": route.handler}
    if "{sub_id}" in route.path:
        op["parameters"] = [
            {"name": "sub_id", "in": "path", "required": True, "schema": {"type": "string"}}
        ]
    responses: dict[str, Any] = {}
    if route.handler == "list":
        responses["200"] = _json("SubscriptionList", "Every subscription")
    elif route.handler == "read":
        responses["200"] = _json("SubscriptionShown", "The subscription")
    elif route.handler == "delete":
        responses["200"] = _json("Deleted", "Deleted")
        responses["202"] = _json("Deleted", "Stored, not yet applied by this worker")
    elif route.handler == "preview":
        responses["200"] = _json("Preview", "What the subscription would have sent")
        responses["404"] = _json("Error", "This worker holds no story updates")
        responses["413"] = _json("Error", "Body too large")
        responses["422"] = _json("Error", "Invalid body; query errors: 'errors' with positions")
        op["requestBody"] = {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": REF.format(model="PreviewRequest")}}
            },
        }
    elif route.handler in ("health", "ready", "metrics", "openapi"):
        responses["200"] = {"description": route.summary}
        if route.handler == "ready":
            responses["503"] = {"description": "Not ready yet"}
    else:
        ok = "201" if route.handler == "create" else "200"
        responses[ok] = _json("SubscriptionShown", "Applied by this worker")
        responses["202"] = _json("SubscriptionShown", "Stored, not yet applied by this worker")
    if route.handler in ("create", "replace", "patch"):
        schema = (
            {"type": "object", "description": "JSON merge patch (RFC 7396) of a Subscription"}
            if route.handler == "patch"
            else {"$ref": REF.format(model="Subscription")}
        )
        content_type = "application/merge-patch+json" if route.handler == "patch" else None
        op["requestBody"] = {
            "required": True,
            "content": {content_type or "application/json": {"schema": schema}},
        }
    if "{sub_id}" in route.path:
        responses["404"] = _json("Error", "No such subscription")
    if route.write:
        op["security"] = [{"bearer": []}]
        responses["401"] = _json("Error", "Missing or invalid bearer token")
        responses["403"] = _json("Error", "Writes disabled: no tokens configured")
        responses["409"] = _json("Error", "Managed in the subscription file, or exists")
        responses["413"] = _json("Error", "Body too large")
        responses["422"] = _json("Error", "Invalid JSON or subscription (query errors: position)")
    op["responses"] = responses
    return op


def document() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for route in (*ROUTES, *OTHER_ROUTES):
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "wirewatch alerting",
            "version": "1",
            "description": "Subscriptions: the query language, channels and delivery are "
            "described in docs/alerting.md.",
        },
        "paths": paths,
        "components": {
            "schemas": _schemas(),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
