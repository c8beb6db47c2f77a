"""The documents of Open311 GeoReport v2 (field names as the spec gives them)."""

from __future__ import annotations

from pydantic import BaseModel


class Service(BaseModel):
    service_code: str
    service_name: str
    description: str
    metadata: bool = True
    type: str = "realtime"
    keywords: list[str]
    group: str


class ServiceRequest(BaseModel):
    """One request as Open311 shows it; to the public: redacted, placed at the street."""

    service_request_id: str
    status: str  # open | closed
    status_notes: str
    service_name: str | None
    service_code: str | None
    description: str
    agency_responsible: str | None
    service_notice: str | None = None
    requested_datetime: str | None
    updated_datetime: str | None
    expected_datetime: str | None
    address: str | None
    address_id: str | None = None
    zipcode: str | None = None
    lat: float | None
    long: float | None
    media_url: str | None = None
