"""Which peers may tell us the client's address: X-Forwarded-* are believed only from the configured proxies.

The address lands in the audit trail and keys the login rate limit; a header anyone can send must not set it.
"""
from __future__ import annotations

import ipaddress

from werkzeug.middleware.proxy_fix import ProxyFix

_FORWARDED = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST", "HTTP_X_FORWARDED_PORT",
              "HTTP_X_FORWARDED_PREFIX")


def parse_networks(raw: str) -> tuple:
    """``QINGLIAN_TRUSTED_PROXIES``: the proxies' addresses or networks, comma-separated ("" or "0": none)."""
    raw = (raw or "").strip()
    if raw in ("", "0"):
        return ()
    try:
        return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in raw.split(",") if part.strip())
    except ValueError as exc:
        raise RuntimeError(f"QINGLIAN_TRUSTED_PROXIES lists proxy addresses or networks "
                           f"(e.g. 127.0.0.1,10.0.0.0/24), not {raw!r}: {exc}") from exc


class TrustedProxies:
    """One hop of X-Forwarded-* from a listed proxy (nginx appends the peer it saw); from anyone else, dropped."""

    def __init__(self, wsgi_app, networks: tuple):
        self.networks = networks
        self.direct = wsgi_app
        self.through_proxy = ProxyFix(wsgi_app, x_for=1, x_proto=1, x_host=1)

    def _trusted(self, address: str | None) -> bool:
        try:
            peer = ipaddress.ip_address(address or "")
        except ValueError:
            return False
        return any(peer in network for network in self.networks)

    def __call__(self, environ, start_response):
        if self._trusted(environ.get("REMOTE_ADDR")):
            return self.through_proxy(environ, start_response)
        for header in _FORWARDED:
            environ.pop(header, None)
        return self.direct(environ, start_response)
