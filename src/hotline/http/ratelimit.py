"""Rate limits on what anyone may call without signing in (submitting requests, supports, surveys,
tracking look-ups, sign-in): per client address (hotline.http.clients), a moving window, counted in
memory by default or in Redis when several API processes must share the count
(HOTLINE_RATE_LIMIT_STORAGE=redis://127.0.0.1:6379). Sign-in counts only failed attempts, so a whole
shift signing in behind one NAT address is never locked out; the account itself is locked after
HOTLINE_LOGIN_MAX_FAILURES failures (accounts.service)."""

from __future__ import annotations

import ipaddress
import json
import logging
import time

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hotline.config import get_settings
from hotline.http.clients import client_address
from hotline.i18n import pick_language, translate

log = logging.getLogger(__name__)

# (method, path prefix, limit kind); the first that matches
LIMITED: list[tuple[str, str, str]] = [
    ("GET", "/open311/v2/requests", "open311"),  # each public read redacts up to a page of texts
    ("GET", "/open311/v2/tokens", "open311"),
    ("POST", "/api/v1/public/tickets/", "track"),  # …/{number}/track and …/supports
    ("GET", "/api/v1/public/tickets/", "track"),
    ("POST", "/portal/track", "track"),
    ("POST", "/api/v1/public/", "public"),
    ("POST", "/portal/submit", "public"),
    ("POST", "/open311/v2/requests", "public"),
    ("POST", "/s/", "public"),
    ("POST", "/api/v1/auth/token", "login"),
    ("POST", "/ui/login", "login"),
]
# statuses that mean a sign-in failed (counted); anything else is not
FAILED_LOGIN = {401, 403, 422}


class RateLimit:
    """Answer 429 (with Retry-After and a message) when a client goes over its limit."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        s = get_settings()
        self.limits = {
            "public": parse(s.rate_limit_public),
            "track": parse(s.rate_limit_track),
            "open311": parse(s.rate_limit_open311),
            "login": parse(s.rate_limit_login),
        }
        self.limiter = MovingWindowRateLimiter(storage_from_string(s.rate_limit_storage))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        kind = next((k for m, prefix, k in LIMITED if method == m and path.startswith(prefix)), None)
        if kind is not None:
            item = self.limits[kind]
            who = limit_key(client_address(scope))
            try:
                # sign-in: only failures count, so look first and count after the answer
                allowed = (
                    self.limiter.test(item, kind, who)
                    if kind == "login"
                    else self.limiter.hit(item, kind, who)
                )
            except Exception:  # the shared store is down: serve rather than refuse everyone
                log.exception("rate-limit store unavailable; request let through")
                allowed = True
            if allowed and kind == "login":
                await self.app(scope, receive, self._count_failure(send, item, who))
                return
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

    def _count_failure(self, send: Send, item: RateLimitItem, who: str) -> Send:
        async def counting(message: Message) -> None:
            if message["type"] == "http.response.start" and _failed_login(message):
                try:
                    self.limiter.hit(item, "login", who)
                except Exception:
                    log.exception("rate-limit store unavailable; failed sign-in not counted")
            await send(message)

        return counting


def limit_key(address: str) -> str:
    """What a limit counts by: the address, or for IPv6 its /64 (one subscriber's whole network —
    counting each of its 2^64 addresses apart would limit nobody)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _failed_login(message: Message) -> bool:
    """A failed sign-in: refused credentials (401), a refused form (403), or invalid input (422)."""
    return int(message["status"]) in FAILED_LOGIN
