"""GeoReport v2 endpoints under /open311/v2/.

Services are the category tree's first two levels (service_code = category code). Posting a request
needs an `api_key`: an API token of an integration user (`hotline users token …`). Reads without a key
list only the requests the public may see (the citizen chose to publish, the type allows it: see
hotline.publication), their text redacted and their place generalised to the street; reads with an
`api_key` (query parameter or `Authorization: Bearer`) list what that user may see, in full. No read
ever shows the citizen's name, phone or ID number. Status is open/closed; our richer status is in
`status_notes`."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError

from hotline import texts
from hotline.accounts.principal import Principal
from hotline.db import utcnow
from hotline.errors import DomainError, NotFound, PermissionDenied, Unauthenticated
from hotline.http.deps import DbSession
from hotline.i18n import translate
from hotline.intake import flows as intake
from hotline.open311 import service
from hotline.spreadsheets import xml_text
from hotline.tickets.enums import Channel, RequestType, Urgency
from hotline.tickets.schemas import AttachmentIn, CitizenIn, TicketCreate

router = APIRouter(prefix="/open311/v2", tags=["open311"])

MAX_DESCRIPTION = 4000
DEFAULT_DAYS = 90
ATTRIBUTES = [
    {
        "variable": True,
        "code": "request_type",
        "datatype": "singlevaluelist",
        "required": False,
        "order": 1,
        "datatype_description": "诉求类型",
        "description": "诉求类型 (request type); 不填则由平台按内容识别 (omitted: read from the request)",
        "values": [
            {"key": k.value, "name": n}
            for k, n in (
                (RequestType.consult, "咨询"),
                (RequestType.help, "求助"),
                (RequestType.complaint, "投诉"),
                (RequestType.report, "举报"),
                (RequestType.suggestion, "建议"),
                (RequestType.praise, "表扬"),
            )
        ],
    },
    {
        "variable": True,
        "code": "urgency",
        "datatype": "singlevaluelist",
        "required": False,
        "order": 2,
        "datatype_description": "紧急程度",
        "description": "紧急程度 (urgency)",
        "values": [
            {"key": Urgency.normal.value, "name": "一般"},
            {"key": Urgency.urgent.value, "name": "紧急"},
        ],
    },
    {
        "variable": True,
        "code": "public",
        "datatype": "singlevaluelist",
        "required": False,
        "order": 3,
        "datatype_description": "是否公开",
        "description": "是否同意公开（隐去个人信息后公示；举报件不公开） (publish the request, redacted)",
        "values": [{"key": "false", "name": "不公开"}, {"key": "true", "name": "公开"}],
    },
]


class Open311Error(Exception):
    def __init__(self, status: int, code: str | int, description: str) -> None:
        self.status, self.code, self.description = status, code, description


def _fmt(fmt: str) -> str:
    if fmt not in ("json", "xml"):
        raise Open311Error(404, 404, f"format '{fmt}' not supported: use json or xml")
    return fmt


def _xml(root_name: str, item_name: str, items: list[dict[str, Any]]) -> bytes:
    root = ET.Element(root_name)
    for item in items:
        root.append(_element(item_name, item))
    return b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(root, encoding="utf-8")


def _element(name: str, value: Any) -> ET.Element:
    el = ET.Element(name)
    if isinstance(value, dict):
        for k, v in value.items():
            el.append(_element(k, v))
    elif isinstance(value, list):
        singular = {"attributes": "attribute", "values": "value", "keywords": "keyword"}.get(name, "item")
        for v in value:
            el.append(_element(singular, v))
    elif value is None:
        pass
    elif isinstance(value, bool):
        el.text = "true" if value else "false"
    else:
        el.text = xml_text(str(value))  # a control character in a citizen's text breaks no feed
    return el


def _respond(fmt: str, root: str, item: str, items: list[dict[str, Any]], status: int = 200) -> Response:
    if fmt == "xml":
        return Response(_xml(root, item, items), media_type="text/xml; charset=utf-8", status_code=status)
    return JSONResponse(items, status_code=status)


def error_response(fmt: str, exc: Open311Error) -> Response:
    return _respond(
        fmt if fmt in ("json", "xml") else "json",
        "errors",
        "error",
        [{"code": exc.code, "description": exc.description}],
        exc.status,
    )


def _wrap(call: Any, fmt: str) -> Response:
    try:
        return call()
    except Open311Error as exc:
        return error_response(fmt, exc)
    except NotFound as exc:
        return error_response(fmt, Open311Error(404, 404, translate(exc.message_key, "en", **exc.params)))
    except (Unauthenticated, PermissionDenied) as exc:
        return error_response(fmt, Open311Error(403, 403, translate(exc.message_key, "en", **exc.params)))
    except DomainError as exc:
        return error_response(fmt, Open311Error(400, 400, translate(exc.message_key, "en", **exc.params)))
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in exc.errors())
        return error_response(fmt, Open311Error(400, 400, problems))


@router.get("/services.{fmt}")
def services(fmt: str, db: DbSession) -> Response:
    """All services (the first two levels of the category tree)."""
    return _wrap(
        lambda: _respond(_fmt(fmt), "services", "service", [x.model_dump() for x in service.services(db)]),
        fmt,
    )


@router.get("/services/{code}.{fmt}")
def service_definition(code: str, fmt: str, db: DbSession) -> Response:
    """A service's definition: its attributes."""

    def run() -> Response:
        _fmt(fmt)
        cat = service.service_category(db, code)
        if cat is None:
            raise Open311Error(404, 404, f"service_code {code} not found")
        body = {"service_code": cat.code, "attributes": ATTRIBUTES}
        if fmt == "xml":
            xml = b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(
                _element("service_definition", body), encoding="utf-8"
            )
            return Response(xml, media_type="text/xml; charset=utf-8")
        return JSONResponse(body)

    return _wrap(run, fmt)


@router.post("/requests.{fmt}")
async def create_request(fmt: str, request: Request, db: DbSession) -> Response:
    """Create a service request (form-encoded, as the spec says; JSON bodies are accepted too)."""
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            form: dict[str, Any] = await request.json()
        except ValueError:
            return error_response(
                fmt if fmt in ("json", "xml") else "json", Open311Error(400, 400, "malformed JSON body")
            )
    else:
        form = dict((await request.form()).items())

    def run() -> Response:
        _fmt(fmt)
        key = str(form.get("api_key") or "")
        if not key:
            raise Open311Error(403, 403, "api_key is required")
        principal = _principal(db, key)
        if principal is None:
            raise Open311Error(403, 403, "api_key is required")
        code = str(form.get("service_code") or "")
        if not code:
            raise Open311Error(400, 400, "service_code is required")
        cat = service.service_category(db, code)
        if cat is None:
            raise Open311Error(404, 404, f"service_code {code} not found")
        lat, lon = form.get("lat"), form.get("long")
        address = str(form.get("address_string") or "").strip()
        address_id = str(form.get("address_id") or "").strip()
        if not ((lat not in (None, "") and lon not in (None, "")) or address or address_id):
            raise Open311Error(
                400, 400, "a location is required: lat and long, address_string, or address_id"
            )
        try:
            latitude = float(lat) if lat not in (None, "") else None
            longitude = float(lon) if lon not in (None, "") else None
        except (TypeError, ValueError) as exc:
            raise Open311Error(400, 400, "lat and long must be numbers") from exc
        if (latitude is not None and not -90 <= latitude <= 90) or (
            longitude is not None and not -180 <= longitude <= 180
        ):
            raise Open311Error(400, 400, "lat or long out of range")
        description = str(form.get("description") or "").strip()
        if len(description) > MAX_DESCRIPTION:
            raise Open311Error(400, 400, f"description is longer than {MAX_DESCRIPTION} characters")
        if not description:
            raise Open311Error(400, 400, "description is required")
        attributes = {
            k[len("attribute[") : -1]: v
            for k, v in form.items()
            if k.startswith("attribute[") and k.endswith("]")
        }
        if isinstance(form.get("attribute"), dict):
            attributes.update(form["attribute"])
        try:
            said = attributes.get("request_type")
            request_type = RequestType(said) if said else None
            urgency = Urgency(attributes.get("urgency", Urgency.normal.value))
        except ValueError as exc:
            raise Open311Error(400, 400, f"attribute value not allowed: {exc}") from exc
        public = str(attributes.get("public", "false")).lower()
        if public not in ("true", "false"):
            raise Open311Error(400, 400, "attribute public must be true or false")
        name = " ".join(str(form.get(k) or "").strip() for k in ("last_name", "first_name")).strip() or None
        media = str(form.get("media_url") or "").strip()
        data = TicketCreate(
            channel=Channel.open311,
            title=description[:30],
            content=description,
            request_type=request_type,
            urgency=urgency,
            category_code=cat.code,
            citizen=CitizenIn(name=name, phone=str(form.get("phone") or "").strip() or None),
            address=address or (f"address_id:{address_id}" if address_id else None),
            latitude=latitude,
            longitude=longitude,
            attachments=[AttachmentIn(filename=media.rsplit("/", 1)[-1] or "media", url=media, size_bytes=0)]
            if media
            else [],
            public=public == "true",
        )
        ticket, _ = intake.register(db, data=data, principal=principal)
        item = {
            "service_request_id": ticket.number,
            "service_notice": texts.acknowledgement("open311").format(number=ticket.number),
            "account_id": None,
        }
        return _respond(fmt, "service_requests", "request", [item], 201)

    return _wrap(run, fmt)


@router.get("/tokens/{token}.{fmt}")
def token_lookup(token: str, fmt: str, db: DbSession) -> Response:
    """Requests are created at once, so a token is the request id itself."""

    def run() -> Response:
        _fmt(fmt)
        ticket = service.created_request(db, token)
        if ticket is None:
            raise Open311Error(404, 404, f"token {token} not found")
        return _respond(
            fmt, "service_requests", "request", [{"service_request_id": ticket.number, "token": token}]
        )

    return _wrap(run, fmt)


def _principal(db: DbSession, key: str) -> Principal | None:
    try:
        return service.reader(db, key)
    except DomainError as exc:
        raise Open311Error(403, 403, "api_key is not valid") from exc


def _reader(db: DbSession, request: Request, api_key: str | None) -> Principal | None:
    """Who reads: the user of a valid API key (query parameter or bearer token), or None (the public)."""
    key = api_key or ""
    auth = request.headers.get("authorization", "")
    if not key and auth.lower().startswith("bearer "):
        key = auth[7:].strip()
    return _principal(db, key)


def _parse_date(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise Open311Error(400, 400, f"{name} must be a W3C (ISO 8601) date-time") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@router.get("/requests.{fmt}")
def list_requests(
    fmt: str,
    db: DbSession,
    request: Request,
    api_key: str | None = None,
    service_request_id: str | None = None,
    service_code: str | None = None,
    start_date: str | None = None,
    end_date: str | None = None,
    status: str | None = None,
) -> Response:
    """Service requests: by id list, or by service, date range (90 days by default) and status. Without
    an api_key only public requests, redacted."""

    def run() -> Response:
        _fmt(fmt)
        who = _reader(db, request, api_key)
        if service_request_id:  # by id: the other filters do not apply
            numbers = [i.strip() for i in service_request_id.split(",") if i.strip()]
            found = service.list_requests(db, who=who, numbers=numbers)
            return _respond(fmt, "service_requests", "request", [r.model_dump() for r in found])
        end = _parse_date(end_date, "end_date") or utcnow()
        start = _parse_date(start_date, "start_date") or end - timedelta(days=DEFAULT_DAYS)
        if start > end:
            raise Open311Error(400, 400, "start_date is later than end_date")
        wanted = {s.strip() for s in status.split(",")} if status else {"open", "closed"}
        if not wanted <= {"open", "closed"}:
            raise Open311Error(400, 400, "status must be open or closed")
        found = service.list_requests(
            db,
            who=who,
            service_codes=[c.strip() for c in service_code.split(",") if c.strip()] if service_code else None,
            start=start,
            end=end,
            closed=None if wanted == {"open", "closed"} else wanted == {"closed"},
        )
        return _respond(fmt, "service_requests", "request", [r.model_dump() for r in found])

    return _wrap(run, fmt)


@router.get("/requests/{request_id}.{fmt}")
def get_request(
    request_id: str, fmt: str, db: DbSession, request: Request, api_key: str | None = None
) -> Response:
    """One service request (a public one, redacted, without an api_key)."""

    def run() -> Response:
        _fmt(fmt)
        found = service.get_request(db, who=_reader(db, request, api_key), number=request_id)
        if found is None:
            raise Open311Error(404, 404, f"service_request_id {request_id} not found")
        return _respond(fmt, "service_requests", "request", [found.model_dump()])

    return _wrap(run, fmt)
