"""Request-scoped dependencies: the database session (the request owns the commit) and the principal."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from hotline.accounts import service as accounts_service
from hotline.accounts.enums import Role
from hotline.accounts.principal import Principal
from hotline.db import session_factory
from hotline.errors import Conflict, PermissionDenied, Unauthenticated


def _session(request: Request) -> Iterator[Session]:
    """Yield a session; commit when the handler returns, before the response is sent."""
    factory = getattr(request.app.state, "session_factory", None) or session_factory()
    session = factory()
    try:
        yield session
        try:
            session.commit()
        except StaleDataError as exc:
            session.rollback()
            raise Conflict("concurrent_update") from exc
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# scope="function": the commit runs before the response, so nothing is acknowledged unless stored
DbSession = Annotated[Session, Depends(_session, scope="function")]

_bearer = HTTPBearer(auto_error=False)


def _principal(
    session: DbSession, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    if credentials is None:
        raise Unauthenticated("auth_required")
    return accounts_service.principal_from_token(session, token=credentials.credentials)


CurrentPrincipal = Annotated[Principal, Depends(_principal)]


def require(*roles: Role) -> Callable[[Principal], Principal]:
    """Return a dependency that admits only these roles."""

    def dependency(principal: CurrentPrincipal) -> Principal:
        if principal.role not in roles:
            raise PermissionDenied("forbidden")
        return principal

    return dependency


AdminPrincipal = Annotated[Principal, Depends(require(Role.admin))]
