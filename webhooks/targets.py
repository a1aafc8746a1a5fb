"""Where a webhook may be sent, and sending it there.

A target must be http(s) and resolve only to public addresses: private, loopback, link-local,
shared, reserved, multicast and unspecified addresses are refused (server-side request forgery
into our own network) unless WATCHPOST_WEBHOOK_ALLOW_PRIVATE is on (the tests, a lab). The host is
resolved again at each delivery and the connection is made to the address just checked, so a name
that later resolves somewhere private (DNS rebinding) is refused too. Redirects are never followed:
a 3xx answer is a failed delivery.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

__all__ = ["TargetRefused", "TargetResponse", "target_post", "target_resolve"]

EXCERPT_CHARS = 1000
_READ_LIMIT = 64 * 1024  # never read more of an answer than this


class TargetRefused(Exception):
    """The URL is not one we send to; the message says why. `retryable`: a name that does not
    resolve now may resolve later; a private address or a bad URL will not change."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True)
class TargetResponse:
    """What a target answered."""

    status: int
    excerpt: str
    duration_ms: int


@dataclass(frozen=True)
class _Target:
    scheme: str
    host: str
    port: int
    path: str


def _parse(url: str) -> _Target:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise TargetRefused(f"Not a URL: {exc}.") from exc
    if parts.scheme not in ("http", "https"):
        raise TargetRefused("Only http and https URLs are allowed.")
    if not parts.hostname:
        raise TargetRefused("The URL has no host.")
    if parts.username or parts.password:
        raise TargetRefused("Credentials in the URL are not allowed: use the signature.")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    default = 443 if parts.scheme == "https" else 80
    return _Target(parts.scheme, parts.hostname, port or default, path)


# IPv6 prefixes whose addresses carry an IPv4 address in their last 32 bits: IPv4-compatible
# (::/96, deprecated), SIIT's IPv4-translated (::ffff:0:0:0/96, RFC 2765), NAT64's well-known prefix
# (64:ff9b::/96, RFC 6052) and its local-use prefix (64:ff9b:1::/48, RFC 8215). A translator or
# an old stack turns them into the IPv4 address, so that address is what is judged.
_EMBEDDING_LAST_32 = tuple(
    ipaddress.IPv6Network(net)
    for net in ("::/96", "::ffff:0:0:0/96", "64:ff9b::/96", "64:ff9b:1::/48")
)


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address stands for: mapped (::ffff:a.b.c.d), 6to4 (2002::/16),
    Teredo (2001::/32: server and client) and the prefixes of _EMBEDDING_LAST_32."""
    if ip.ipv4_mapped is not None:
        return [ip.ipv4_mapped]
    if ip.sixtofour is not None:
        return [ip.sixtofour]
    if ip.teredo is not None:
        return list(ip.teredo)
    if int(ip) >> 32 == 0 and int(ip) <= 1:
        return []  # :: and ::1 are judged as IPv6 (unspecified, loopback)
    if any(ip in net for net in _EMBEDDING_LAST_32):
        return [ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)]
    return []


def _allowed_one(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if getattr(settings, "WATCHPOST_WEBHOOK_ALLOW_PRIVATE", False):
        return not ip.is_unspecified and not ip.is_multicast
    return ip.is_global and not ip.is_multicast


def _allowed(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded:
            return all(_allowed_one(v4) for v4 in embedded)
    return _allowed_one(ip)


def target_resolve(url: str) -> str:
    """The address to connect to for `url`, checked; raises TargetRefused naming the reason.

    Every address the name resolves to must be allowed (a name with one private address among
    public ones is refused: which one a client picks is not ours to know).
    """
    target = _parse(url)
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise TargetRefused(f"{target.host[:100]} does not resolve.", retryable=True) from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    refused = [a for a in addresses if not _allowed(a)]
    if refused or not addresses:
        raise TargetRefused(
            f"{target.host[:100]} resolves to a private, loopback or reserved address "
            f"({', '.join(refused[:3])}); such targets are refused."
        )
    return addresses[0]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """HTTP to `address`, with the URL's host in the Host header."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to `address`, the certificate checked against the URL's host (SNI too)."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self.address = address

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def target_post(
    url: str, *, body: bytes, headers: dict[str, str], timeout: float
) -> TargetResponse:
    """POST `body` to `url` after resolving and checking it; one attempt, no redirect followed.

    Raises TargetRefused for a target we do not send to, OSError (and http.client's errors) for
    network failures.
    """
    target = _parse(url)
    address = target_resolve(url)
    cls = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = cls(target.host, target.port, address=address, timeout=timeout)
    started = time.monotonic()
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read(_READ_LIMIT).decode("utf-8", errors="replace")
    finally:
        connection.close()
    return TargetResponse(
        status=response.status,
        excerpt=text[:EXCERPT_CHARS],
        duration_ms=int((time.monotonic() - started) * 1000),
    )
