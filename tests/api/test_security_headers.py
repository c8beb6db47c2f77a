"""Security headers on every response; a strict CSP on the pages, which carry no inline script."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "hotline" / "web" / "templates"


def test_every_response_has_the_headers(client: TestClient) -> None:
    for url in ("/healthz", "/api/v1/tickets", "/portal", "/ui/login"):
        r = client.get(url)
        assert r.headers["x-content-type-options"] == "nosniff", url
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["referrer-policy"] == "same-origin"
    page = client.get("/portal")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp
    assert "content-security-policy" not in client.get("/healthz").headers  # the API's JSON needs none


def test_pages_have_no_inline_script() -> None:
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text(encoding="utf-8")
        for tag in re.findall(r"<script[^>]*>", text):
            assert "src=" in tag or 'type="application/json"' in tag, (template.name, tag)
        assert not re.search(r"\son[a-z]+=", text), template.name  # no onclick= and the like
