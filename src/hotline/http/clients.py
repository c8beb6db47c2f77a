"""Who the client is: the peer address, or — only when the peer is one of the configured reverse
proxies (HOTLINE_TRUSTED_PROXIES) — the right-most X-Forwarded-For address that is not a proxy. A
client cannot choose its own address by sending the header: entries it wrote stand left of those the
proxies appended, and only the proxies' entries are believed. (`hotline serve` turns uvicorn's own
forwarded-header handling off, so the peer address is the TCP peer's.)"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from starlette.types import Scope

from hotline.config import get_settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(p.strip(), strict=False) for p in proxies if p.strip())


def _trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in n for n in networks)


def client_address(scope: Scope) -> str:
    """The address a request comes from, as far as it can be believed."""
    peer = scope.get("client")
    address = str(peer[0]) if peer else "unknown"
    networks = _networks(tuple(get_settings().trusted_proxies))
    if not networks or not _trusted(address, networks):
        return address
    forwarded: list[str] = []
    for k, v in scope.get("headers", []):
        if k == b"x-forwarded-for":
            forwarded += [p.strip() for p in v.decode("latin-1").split(",") if p.strip()]
    for hop in reversed(forwarded):
        if not _trusted(hop, networks):
            return hop
    return forwarded[0] if forwarded else address
