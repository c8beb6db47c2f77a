"""Rate limits on what anyone may call without signing in (submitting requests, supports, surveys,
sign-in): per client address, a moving window, counted in memory by default or in Redis when several
API processes must share the count (HOTLINE_RATE_LIMIT_STORAGE=redis://127.0.0.1:6379)."""

from __future__ import annotations

import json
import logging
import time

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from starlette.types import ASGIApp, Receive, Scope, Send

from hotline.config import get_settings
from hotline.i18n import pick_language, translate

log = logging.getLogger(__name__)

# (method, path prefix, limit kind)
LIMITED: list[tuple[str, str, str]] = [
    ("POST", "/api/v1/public/", "public"),
    ("POST", "/portal/submit", "public"),
    ("POST", "/open311/v2/requests", "public"),
    ("POST", "/s/", "public"),
    ("POST", "/api/v1/auth/token", "login"),
    ("POST", "/ui/login", "login"),
]


class RateLimit:
    """Answer 429 (with Retry-After and a message) when a client goes over its limit."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        s = get_settings()
        self.limits = {"public": parse(s.rate_limit_public), "login": parse(s.rate_limit_login)}
        self.limiter = MovingWindowRateLimiter(storage_from_string(s.rate_limit_storage))
        self.trust_forwarded = s.trust_forwarded_for

    def _client(self, scope: Scope) -> str:
        if self.trust_forwarded:
            for k, v in scope.get("headers", []):
                if k == b"x-forwarded-for":
                    return v.decode("latin-1").split(",")[0].strip()
        client = scope.get("client")
        return str(client[0]) if client else "unknown"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        kind = next((k for m, prefix, k in LIMITED if method == m and path.startswith(prefix)), None)
        if kind is not None:
            item = self.limits[kind]
            who = self._client(scope)
            try:
                allowed = self.limiter.hit(item, kind, who)
            except Exception:  # the shared store is down: serve rather than refuse everyone
                log.exception("rate-limit store unavailable; request let through")
                allowed = True
            if not allowed:
                reset = self.limiter.get_window_stats(item, kind, who).reset_time
                retry = max(1, int(reset - time.time()))
                headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
                lang = pick_language(headers.get("accept-language"))
                message = translate("rate_limited", lang, seconds=retry)
                body = json.dumps(
                    {"error": {"code": "rate_limited", "message": message}}, ensure_ascii=False
                ).encode()
                await send(
                    {
                        "type": "http.response.start",
                        "status": 429,
                        "headers": [
                            (b"content-type", b"application/json; charset=utf-8"),
                            (b"retry-after", str(retry).encode()),
                            (b"content-length", str(len(body)).encode()),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)
