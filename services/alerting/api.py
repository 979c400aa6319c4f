"""The subscriptions API, as plain request → response functions over a store and a
publish callable (no HTTP framework here; ``app.py`` adapts Faust's web views to it).

Routes (``ROUTES``; ``openapi.document()`` describes the same list):

- ``GET /subscriptions``, ``GET /subscriptions/{sub_id}``: read, secrets masked;
- ``POST /subscriptions/preview``: the alerts a subscription body would have sent over
  the story updates this worker holds (no token: it stores and sends nothing);
- ``POST /subscriptions`` (create), ``PUT …/{sub_id}`` (replace), ``PATCH …/{sub_id}``
  (JSON merge patch, RFC 7396), ``DELETE …/{sub_id}``, ``POST …/{sub_id}/pause`` and
  ``…/resume``: writes, each needing ``Authorization: Bearer <token>`` (one of
  ``WIREWATCH_API_TOKENS``, compared in constant time; none configured: writes refused).

A write is checked (auth → JSON → validation → ownership → existence → the channel's
URL, resolved, against the delivery guard and ``WIREWATCH_ALLOW_HOSTS``), then published to
the compacted subscriptions topic; ``publish`` returns whether this worker applied it
within its wait (read-your-writes: 200/201), or not yet (202, ``"applied": false``).
Errors are JSON ``{"error": message, "problems": [...]}``; a query error names its
``position``. Ids in the subscription file are read-only here (409 naming the file).
A masked value sent back unchanged (``"********"``) keeps the stored secret.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from pydantic import SecretStr, ValidationError

from services.alerting.channelcheck import channel_problem
from services.alerting.query import QueryError
from services.alerting.store import SubscriptionStore, to_wire
from services.alerting.subscriptions import Subscription
from shared.records import SubscriptionChange

__all__ = [
    "MASK",
    "MAX_BODY",
    "PREVIEW_CHANNEL",
    "PREVIEW_ID",
    "ROUTES",
    "ApiRequest",
    "ApiResponse",
    "Preview",
    "Publish",
    "Route",
    "SubscriptionsApi",
    "mask",
]

MASK = "********"
MAX_BODY = 64 * 1024

Publish = Callable[[str, SubscriptionChange | None], Awaitable[bool]]
# (subscription to try, hours) -> the preview's answer (``preview.run_preview``)
Preview = Callable[[Subscription, float], dict[str, Any]]
PREVIEW_ID = "preview"  # the id a previewed body without one is tried under
PREVIEW_CHANNEL = {"type": "email", "to": ["preview@wirewatch.invalid"]}  # never sent to


@dataclass(frozen=True)
class ApiRequest:
    method: str
    params: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes = b""


@dataclass(frozen=True)
class ApiResponse:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: str
    summary: str
    write: bool


ROUTES = (
    Route("GET", "/subscriptions", "list", "List every subscription", False),
    Route("POST", "/subscriptions", "create", "Create a subscription", True),
    # before /subscriptions/{sub_id}: the first route whose path matches answers
    Route(
        "POST",
        "/subscriptions/preview",
        "preview",
        "Preview the alerts a subscription would have sent lately (stores and sends nothing)",
        False,
    ),
    Route("GET", "/subscriptions/{sub_id}", "read", "Read one subscription", False),
    Route("PUT", "/subscriptions/{sub_id}", "replace", "Replace a subscription", True),
    Route("PATCH", "/subscriptions/{sub_id}", "patch", "Change fields (JSON merge patch)", True),
    Route("DELETE", "/subscriptions/{sub_id}", "delete", "Delete a subscription", True),
    Route("POST", "/subscriptions/{sub_id}/pause", "pause", "Pause: no alerts", True),
    Route("POST", "/subscriptions/{sub_id}/resume", "resume", "Resume alerts", True),
)


def _error(status: int, message: str, **extra: Any) -> ApiResponse:
    headers = {}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="wirewatch"'
    return ApiResponse(status, {"error": message, **extra}, headers)


def _mask_url_query(url: str) -> str:
    parts = urlsplit(url)
    if not parts.query:
        return url
    return urlunsplit(parts._replace(query=MASK))


def mask(sub: Subscription) -> dict[str, Any]:
    """``sub`` as the API shows it: webhook secrets, webhook query strings and Apprise
    URLs (which carry tokens) replaced by ``MASK``."""
    data = sub.model_dump(mode="json")
    channel = sub.channel
    if channel.type == "webhook":
        data["channel"]["secret"] = MASK
        data["channel"]["url"] = _mask_url_query(channel.url)
    elif channel.type == "apprise":
        data["channel"]["url"] = channel.url.partition("://")[0] + "://" + MASK
    return data


def _unmask(raw: dict[str, Any], old: Subscription) -> dict[str, Any]:
    """Put back stored secrets where the client sent the masked value unchanged."""
    channel = raw.get("channel")
    if not isinstance(channel, dict) or channel.get("type") != old.channel.type:
        return raw
    shown = mask(old)["channel"]
    stored = to_wire(old)["channel"]
    merged = dict(channel)
    for key in ("secret", "url"):
        if key in shown and merged.get(key) == shown[key] and shown[key] != stored[key]:
            merged[key] = stored[key]
    return {**raw, "channel": merged}


def _merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON merge patch."""
    if not isinstance(patch, dict):
        return patch
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = _merge_patch(out.get(key), value)
    return out


def _problems(exc: ValidationError) -> list[dict[str, Any]]:
    out = []
    for err in exc.errors():
        loc = list(err["loc"])
        if len(loc) > 1 and loc[0] == "channel" and loc[1] in ("webhook", "email", "apprise"):
            del loc[1]  # the discriminator tag pydantic adds
        cause = (err.get("ctx") or {}).get("error")
        problem: dict[str, Any] = {
            "field": ".".join(str(p) for p in loc) or None,
            "message": err["msg"].removeprefix("Value error, "),
        }
        if isinstance(cause, QueryError):
            problem["message"] = cause.message
            problem["position"] = cause.position
        out.append(problem)
    return out


def _describe(problems: list[dict[str, Any]]) -> str:
    parts = []
    for p in problems:
        where = f"field {p['field']!r}: " if p["field"] else ""
        at = f" at position {p['position']}" if "position" in p else ""
        parts.append(f"{where}{p['message']}{at}")
    return "invalid subscription: " + "; ".join(parts)


class SubscriptionsApi:
    def __init__(
        self,
        store: SubscriptionStore,
        publish: Publish,
        tokens: Sequence[SecretStr],
        now: Callable[[], datetime],
        preview: Preview | None = None,
        *,
        allow_hosts: Sequence[str] = (),
    ) -> None:
        self._preview = preview
        self._allow_hosts = tuple(allow_hosts)
        self._store = store
        self._publish = publish
        self._tokens = [t.get_secret_value().encode() for t in tokens if t.get_secret_value()]
        self._now = now

    async def handle(self, route: Route, request: ApiRequest) -> ApiResponse:
        """Answer ``request`` on ``route``: authentication first for writes."""
        if route.write:
            refused = self._authenticate(request.headers)
            if refused is not None:
                return refused
        handler: Callable[[ApiRequest], Awaitable[ApiResponse]] = getattr(self, route.handler)
        return await handler(request)

    # --- authentication --------------------------------------------------------------------

    def _authenticate(self, headers: Mapping[str, str]) -> ApiResponse | None:
        if not self._tokens:
            return _error(
                403,
                "writes are disabled: no API tokens are configured "
                "(set WIREWATCH_API_TOKENS to a JSON list of tokens)",
            )
        value = next((v for k, v in headers.items() if k.lower() == "authorization"), None)
        if value is None:
            return _error(401, "authentication required: send 'Authorization: Bearer <token>'")
        scheme, _, token = value.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return _error(401, "authentication required: use the Bearer scheme with a token")
        given = token.strip().encode()
        ok = False
        for known in self._tokens:  # compare with every token: timing says nothing
            ok |= hmac.compare_digest(given, known)
        return None if ok else _error(401, "invalid token")

    # --- reads -----------------------------------------------------------------------------

    def _shown(self, sub: Subscription) -> dict[str, Any]:
        return {**mask(sub), "source": self._store.source(sub.id)}

    async def list(self, request: ApiRequest) -> ApiResponse:
        return ApiResponse(200, {"subscriptions": [self._shown(s) for s in self._store]})

    async def read(self, request: ApiRequest) -> ApiResponse:
        sub = self._store.get(request.params["sub_id"])
        if sub is None:
            return _error(404, f"no subscription {request.params['sub_id']!r}")
        return ApiResponse(200, self._shown(sub))

    # --- writes ----------------------------------------------------------------------------

    def _body(self, request: ApiRequest) -> dict[str, Any] | ApiResponse:
        if len(request.body) > MAX_BODY:
            return _error(413, f"body larger than {MAX_BODY} bytes")
        try:
            doc = json.loads(request.body or b"null")
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            return _error(422, f"body is not valid JSON: {exc}")
        if not isinstance(doc, dict):
            return _error(422, "body must be a JSON object (a subscription)")
        return doc

    def _validate(self, raw: dict[str, Any]) -> Subscription | ApiResponse:
        try:
            return Subscription.model_validate(raw)
        except ValidationError as exc:
            problems = _problems(exc)
            return _error(422, _describe(problems), problems=problems)

    def _file_managed(self, sub_id: str) -> ApiResponse | None:
        if self._store.source(sub_id) != "file":
            return None
        return _error(
            409,
            f"subscription {sub_id!r} is managed in {self._store.file_path}; "
            "change it there (the API cannot)",
        )

    async def _channel_refused(self, sub: Subscription) -> ApiResponse | None:
        """422 when the channel's URL is refused by the delivery guard, resolved now."""
        problem = await channel_problem(sub.channel, self._allow_hosts)
        if problem is None:
            return None
        problems = [{"field": problem.field, "message": problem.message}]
        return _error(422, _describe(problems), problems=problems)

    async def _write(self, sub_id: str, sub: Subscription | None, status: int) -> ApiResponse:
        if sub is not None:
            refused = await self._channel_refused(sub)
            if refused is not None:
                return refused
        change = (
            None
            if sub is None
            else SubscriptionChange(id=sub_id, subscription=to_wire(sub), changed=self._now())
        )
        applied = await self._publish(sub_id, change)
        if sub is None:
            body: dict[str, Any] = {"id": sub_id, "deleted": True}
        else:
            current = self._store.get(sub_id) if applied else None
            body = self._shown(current) if current is not None else {**mask(sub), "source": "api"}
        body["applied"] = applied
        if not applied:
            body["detail"] = (
                "accepted and stored durably; this worker has not applied it yet, "
                "so a read right now may not show it"
            )
            status = 202
        return ApiResponse(status, body)

    async def create(self, request: ApiRequest) -> ApiResponse:
        doc = self._body(request)
        if isinstance(doc, ApiResponse):
            return doc
        sub = self._validate(doc)
        if isinstance(sub, ApiResponse):
            return sub
        refused = self._file_managed(sub.id)
        if refused is not None:
            return refused
        if self._store.get(sub.id) is not None:
            return _error(409, f"subscription {sub.id!r} exists; use PUT or PATCH to change it")
        return await self._write(sub.id, sub, 201)

    async def _change(
        self, request: ApiRequest, build: Callable[[Subscription], dict[str, Any] | ApiResponse]
    ) -> ApiResponse:
        sub_id = request.params["sub_id"]
        refused = self._file_managed(sub_id)
        if refused is not None:
            return refused
        old = self._store.get(sub_id)
        if old is None:
            return _error(404, f"no subscription {sub_id!r}")
        raw = build(old)
        if isinstance(raw, ApiResponse):
            return raw
        if raw.get("id", sub_id) != sub_id:
            return _error(422, f"the body's id {raw.get('id')!r} differs from the URL's")
        sub = self._validate(_unmask({**raw, "id": sub_id}, old))
        if isinstance(sub, ApiResponse):
            return sub
        return await self._write(sub_id, sub, 200)

    async def replace(self, request: ApiRequest) -> ApiResponse:
        return await self._change(request, lambda old: self._body(request))

    async def patch(self, request: ApiRequest) -> ApiResponse:
        def merged(old: Subscription) -> dict[str, Any] | ApiResponse:
            doc = self._body(request)
            if isinstance(doc, ApiResponse):
                return doc
            result = _merge_patch(mask(old), doc)
            assert isinstance(result, dict)  # a dict patched with a dict is a dict
            return result

        return await self._change(request, merged)

    async def pause(self, request: ApiRequest) -> ApiResponse:
        return await self._change(request, lambda old: {**mask(old), "paused": True})

    async def resume(self, request: ApiRequest) -> ApiResponse:
        return await self._change(request, lambda old: {**mask(old), "paused": False})

    async def preview(self, request: ApiRequest) -> ApiResponse:
        """The alerts a subscription body would have sent over the updates this worker
        holds (``hours``, default and at most 24); the id and channel are optional. Query
        errors answer 422 with each problem's ``position``, also listed as ``errors``."""
        doc = self._body(request)
        if isinstance(doc, ApiResponse):
            return doc
        if self._preview is None:
            return _error(404, "this worker holds no story updates to preview")
        hours = doc.pop("hours", 24)
        if not isinstance(hours, int | float) or isinstance(hours, bool) or not 0 < hours <= 24:
            problem = {"field": "hours", "message": "must be a number of hours, 0 < hours <= 24"}
            return _error(422, _describe([problem]), problems=[problem], errors=[])
        raw = {"id": PREVIEW_ID, "channel": PREVIEW_CHANNEL, **doc}
        try:
            sub = Subscription.model_validate(raw)
        except ValidationError as exc:
            problems = _problems(exc)
            errors = [p for p in problems if "position" in p]
            return _error(422, _describe(problems), problems=problems, errors=errors)
        return ApiResponse(200, {"errors": [], **self._preview(sub, float(hours))})

    async def delete(self, request: ApiRequest) -> ApiResponse:
        sub_id = request.params["sub_id"]
        refused = self._file_managed(sub_id)
        if refused is not None:
            return refused
        if self._store.get(sub_id) is None:
            return _error(404, f"no subscription {sub_id!r}")
        return await self._write(sub_id, None, 200)
