"""ASGI middleware: refuse oversized request bodies before they are read into memory, and NUL
characters anywhere a database would choke on them; security headers on every response."""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hotline.http.errors import error_body
from hotline.i18n import pick_language, translate


class _TooLarge(Exception):
    pass


# bodies read as text (a NUL in them is refused); file uploads are bytes and may hold NULs
TEXT_BODIES = ("application/json", "application/x-www-form-urlencoded", "text/")
# file uploads (multipart forms, CSV bodies) may be as large as HOTLINE_MAX_UPLOAD_BYTES
UPLOAD_BODIES = ("multipart/form-data", "text/csv")
_NULS = (b"\x00", b"\\u0000", b"%00")


def _has_nul(data: bytes) -> bool:
    return any(n in data for n in _NULS)


class BodySizeLimit:
    """Answer 413 when a request body exceeds its limit (`limit` bytes; `upload_limit` for file
    uploads), by header or while streaming; 422 for a NUL character in the path, the query or a text
    body (no database stores one: PostgreSQL refuses it, and nothing a person writes holds one)."""

    def __init__(self, app: ASGIApp, limit: int, upload_limit: int | None = None) -> None:
        self.app = app
        self.limit = limit
        self.upload_limit = upload_limit or limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
        lang = pick_language(headers.get("accept-language"))
        kind = headers.get("content-type", "").lower()
        limit = self.upload_limit if kind.startswith(UPLOAD_BODIES) else self.limit
        if _has_nul(scope.get("raw_path") or b"") or _has_nul(scope.get("query_string") or b""):
            await self._refuse_nul(send, lang)
            return
        declared = headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            await self._refuse(send, lang, limit)
            return
        if kind.startswith(TEXT_BODIES) and not kind.startswith("text/csv") and scope["method"] != "GET":
            # a text body (at most `limit` bytes) is read whole and looked at before the app sees it
            chunks: list[bytes] = []
            seen = 0
            more = True
            while more:
                message = await receive()
                if message["type"] != "http.request":
                    return  # the client went away
                chunks.append(message.get("body", b""))
                seen += len(chunks[-1])
                if seen > limit:
                    await self._refuse(send, lang, limit)
                    return
                more = message.get("more_body", False)
            body = b"".join(chunks)
            if _has_nul(body):
                await self._refuse_nul(send, lang)
                return
            replayed = False

            async def replay() -> Message:
                nonlocal replayed
                if not replayed:
                    replayed = True
                    return {"type": "http.request", "body": body, "more_body": False}
                return await receive()

            await self.app(scope, replay, send)
            return
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self._refuse(send, lang, limit)

    async def _refuse(self, send: Send, lang: str, limit: int) -> None:
        await _answer(send, 413, error_body("body_too_large", translate("body_too_large", lang, limit=limit)))

    async def _refuse_nul(self, send: Send, lang: str) -> None:
        await _answer(send, 422, error_body("nul_character", translate("nul_character", lang)))


async def _answer(send: Send, status: int, body: dict[str, Any]) -> None:
    payload = json.dumps(body, ensure_ascii=False).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


PAGE_PREFIXES = (b"/ui", b"/portal", b"/s/")
# pages: scripts and everything else from this site only; inline styles allowed (style attributes)
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"
)


class SecurityHeaders:
    """Headers every response carries: no MIME sniffing, no framing, no referrer across sites, no
    powerful browser features; the web pages a strict Content-Security-Policy; HSTS in production."""

    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: bytes = scope.get("raw_path") or scope["path"].encode()
        page = path.startswith(PAGE_PREFIXES)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                extra = [
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"same-origin"),
                    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(self)"),
                    (b"cross-origin-opener-policy", b"same-origin"),
                ]
                if page:
                    extra.append((b"content-security-policy", PAGE_CSP.encode()))
                    extra.append((b"cache-control", b"no-store"))
                if self.hsts:
                    extra.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
                headers += [(k, v) for k, v in extra if k not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)
