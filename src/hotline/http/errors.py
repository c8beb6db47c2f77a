"""Map domain errors and bad input to HTTP responses with a clear, translated message."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from sqlalchemy.exc import DataError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as SATimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from hotline.config import get_settings
from hotline.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    ServiceUnavailable,
    Unauthenticated,
)
from hotline.i18n import pick_language, translate

log = logging.getLogger(__name__)

STATUS_CODES: list[tuple[type[DomainError], int]] = [
    (NotFound, 404),
    (Unauthenticated, 401),
    (PermissionDenied, 403),
    (Conflict, 409),
    (InvalidInput, 422),
    (ServiceUnavailable, 503),
]


def _lang(request: Request) -> str:
    return pick_language(request.headers.get("accept-language"), get_settings().default_language)


def error_body(code: str, message: str, details: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Return the JSON body of every error: a code, a message a person can act on, optional details."""
    body: dict[str, Any] = {"error": {"code": code, "message": message}}
    if details:
        body["error"]["details"] = details
    return body


PagePainter = Callable[[Request, DomainError, int], Response]
PAGE_PATHS = ("/ui", "/portal")  # the web console and the portal answer with a page


def _page(request: Request) -> PagePainter | None:
    """The painter of error pages, when the request is for a page (set by install())."""
    if not request.url.path.startswith(PAGE_PATHS):
        return None
    return getattr(request.app.state, "error_page", None)


async def _domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    status = next((s for cls, s in STATUS_CODES if isinstance(exc, cls)), 400)
    if (paint := _page(request)) is not None:
        return paint(request, exc, status)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    message = translate(exc.message_key, _lang(request), **exc.params)
    return JSONResponse(error_body(exc.code, message), status_code=status, headers=headers)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    lang = _lang(request)
    if (paint := _page(request)) is not None:
        return paint(request, InvalidInput("validation_error"), 422)
    details = []
    for err in exc.errors():
        if err.get("type") == "json_invalid":
            return JSONResponse(
                error_body("malformed_json", translate("malformed_json", lang), [{"msg": err.get("msg")}]),
                status_code=400,
            )
        loc = [str(p) for p in err.get("loc", ()) if p != "body"]
        details.append({"field": ".".join(loc), "msg": err.get("msg"), "type": err.get("type")})
    summary = "; ".join(f"{d['field']}: {d['msg']}" for d in details)
    return JSONResponse(
        error_body("validation_error", f"{translate('validation_error', lang)}: {summary}", details),
        status_code=422,
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return JSONResponse(
        error_body(f"http_{exc.status_code}", str(exc.detail)),
        status_code=exc.status_code,
        headers=exc.headers,
    )


async def _unhandled(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return JSONResponse(
        error_body("internal_error", translate("internal_error", _lang(request))), status_code=500
    )


async def _model_error(request: Request, exc: Exception) -> Response:
    """A model built inside a handler refused its data: the client's input, a 422, never a 500."""
    assert isinstance(exc, ValidationError)
    return await _validation_error(request, RequestValidationError(exc.errors()))


async def _data_error(request: Request, exc: Exception) -> Response:
    """The database refused a value the request carried (an id beyond the integer range, say): the
    client's input, a 422 — found by the fuzz run on PostgreSQL."""
    log.info("value refused by the database on %s %s: %s", request.method, request.url.path, exc)
    if (paint := _page(request)) is not None:
        return paint(request, InvalidInput("value_out_of_range"), 422)
    return JSONResponse(
        error_body("invalid_input", translate("value_out_of_range", _lang(request))), status_code=422
    )


async def _database_unavailable(request: Request, exc: Exception) -> Response:
    """The database did not answer in time, refused a connection, or cannot be written to: 503 with
    Retry-After and a message a person can act on — never a hang, never a bare 500."""
    log.error("database unavailable on %s %s: %s", request.method, request.url.path, exc)
    message = translate("database_unavailable", _lang(request))
    response: Response
    if (paint := _page(request)) is not None:
        response = paint(request, ServiceUnavailable("database_unavailable"), 503)
    else:
        response = JSONResponse(error_body("database_unavailable", message), status_code=503)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


RETRY_AFTER_SECONDS = 10


def install(app: FastAPI, *, page: PagePainter | None = None) -> None:
    """Register the error handlers on an app; `page` paints the error page of the console and the
    portal (JSON everywhere else)."""
    app.state.error_page = page
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(DataError, _data_error)
    app.add_exception_handler(OverflowError, _data_error)  # SQLite: an integer beyond 64 bits
    app.add_exception_handler(OperationalError, _database_unavailable)
    app.add_exception_handler(InterfaceError, _database_unavailable)
    app.add_exception_handler(SATimeoutError, _database_unavailable)
    app.add_exception_handler(ValidationError, _model_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unhandled)
