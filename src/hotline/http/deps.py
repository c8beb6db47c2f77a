"""Request-scoped dependencies: the database session (the request owns the commit) and the principal."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable, Coroutine
from datetime import datetime
from typing import Annotated, Any, cast

from cachetools import TTLCache
from fastapi import Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from hotline.accounts import policy
from hotline.accounts import service as accounts_service
from hotline.accounts.policy import Permission
from hotline.accounts.principal import Principal
from hotline.accounts.security import token_digest
from hotline.config import get_settings
from hotline.db import session_factory, utcnow
from hotline.errors import Conflict, Unauthenticated


async def _session(request: Request) -> AsyncIterator[Session]:
    """Yield a session; commit when the handler returns, before the response is sent.

    Opening a session does no I/O, so it happens on the event loop; the commit and rollback run in
    the thread pool. (A plain generator dependency would cost two thread-pool hops a request.)"""
    factory = getattr(request.app.state, "session_factory", None) or session_factory()
    session = factory()
    try:
        yield session
    except BaseException:
        await run_in_threadpool(_end, session, commit=False)
        raise
    if session.in_transaction() or session.new or session.dirty or session.deleted:
        await run_in_threadpool(_end, session, commit=True)
    else:
        session.close()  # the handler committed and nothing is open: no I/O left, no thread needed


def _end(session: Session, *, commit: bool) -> None:
    try:
        if commit:
            try:
                session.commit()
            except StaleDataError as exc:
                session.rollback()
                raise Conflict("concurrent_update") from exc
        else:
            session.rollback()
    finally:
        session.close()


# scope="function": the commit runs before the response, so nothing is acknowledged unless stored
DbSession = Annotated[Session, Depends(_session, scope="function")]

_bearer = HTTPBearer(auto_error=False)


class PrincipalCache:
    """Who a bearer token is, remembered for HOTLINE_TOKEN_CACHE_SECONDS (never past the token's
    expiry), so most API requests skip the token query and a thread-pool hop. The price: a token
    revoked, or a user deactivated or given another role, is seen by other API processes after at
    most that many seconds. Keyed by the token's digest; bounded in size."""

    def __init__(self, seconds: float, size: int = 10_000) -> None:
        self.seconds = seconds
        self._entries: TTLCache[str, tuple[Principal, datetime | None]] = TTLCache(size, seconds)
        self._lock = threading.Lock()

    def get(self, digest: str, now: datetime) -> Principal | None:
        with self._lock:
            hit = self._entries.get(digest)
        if hit is None or (hit[1] is not None and hit[1] <= now):
            return None
        return hit[0]

    def put(self, digest: str, principal: Principal, expires_at: datetime | None) -> None:
        with self._lock:
            self._entries[digest] = (principal, expires_at)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def principal_cache(app: Any) -> PrincipalCache | None:
    """The app's cache of token principals (None when HOTLINE_TOKEN_CACHE_SECONDS is 0)."""
    cache = getattr(app.state, "principal_cache", None)
    if cache is None:
        seconds = get_settings().token_cache_seconds
        if seconds <= 0:
            return None
        cache = app.state.principal_cache = PrincipalCache(seconds)
    return cast(PrincipalCache, cache)


async def _principal(
    request: Request,
    session: DbSession,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None:
        raise Unauthenticated("auth_required")
    token = credentials.credentials
    cache = principal_cache(request.app)
    digest = token_digest(token)
    if cache is not None and (hit := cache.get(digest, utcnow())) is not None:
        return hit
    principal, expires_at = await run_in_threadpool(accounts_service.resolve_token, session, token=token)
    if cache is not None:
        cache.put(digest, principal, expires_at)
    return principal


CurrentPrincipal = Annotated[Principal, Depends(_principal)]


def forget_principals(app: Any) -> None:
    """Forget this process's remembered token principals (after a revocation, so it holds at once
    here; other processes follow within HOTLINE_TOKEN_CACHE_SECONDS)."""
    cache = principal_cache(app)
    if cache is not None:
        cache.clear()


def require(permission: Permission) -> Callable[[Principal], Coroutine[Any, Any, Principal]]:
    """Return a dependency that admits only principals with this permission (accounts.policy)."""

    async def dependency(principal: CurrentPrincipal) -> Principal:  # no I/O: stays on the event loop
        policy.check(principal, permission)
        return principal

    return dependency


AdminPrincipal = Annotated[Principal, Depends(require(Permission.administer))]

# the size of one page of a list, and of a log (read once, at start)
PageSize = Annotated[
    int, Query(ge=1, le=get_settings().page_size_max, description="at most HOTLINE_PAGE_SIZE_MAX")
]
LogPageSize = Annotated[
    int, Query(ge=1, le=get_settings().log_page_size_max, description="at most HOTLINE_LOG_PAGE_SIZE_MAX")
]
