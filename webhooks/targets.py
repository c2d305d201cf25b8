"""Where a webhook may point, and the one HTTP request each attempt makes.

No server-side request forgery: a webhook URL must be https (http only where
WEBHOOK_ALLOW_HTTP says so), carry no user name or password, and its host must resolve only to
public addresses: loopback, private, link-local, shared, multicast, reserved and unspecified
addresses are refused, also inside IPv4-mapped, 6to4, Teredo and NAT64 IPv6 forms. The host is
resolved at registration and again at each attempt, every address it resolves to is checked,
and the request goes to the very address that was checked, with the URL's host name in the
`Host` header and for TLS (certificate and SNI): a DNS answer that changes between the check
and the connection (rebinding) cannot send it elsewhere.

WEBHOOK_ALLOWED_PRIVATE_NETWORKS lists networks let through all the same (the tests' receiver
on 127.0.0.1; an intranet deployment). Redirects are never followed; at most
RESPONSE_EXCERPT_BYTES of the answer are read.
"""

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_URL_LENGTH = 500
RESPONSE_EXCERPT_BYTES = 4096
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class TargetRefused(Exception):
    """The URL may not be called; the message says why, for the person who registered it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # with the query string
    address: str  # the checked address to connect to


@dataclass(frozen=True)
class Answer:
    status: int
    excerpt: str


def _allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [
        ipaddress.ip_network(value, strict=False)
        for value in settings.WEBHOOK_ALLOWED_PRIVATE_NETWORKS
    ]


def _embedded(address: IPAddress) -> list[IPAddress]:
    """The address and the IPv4 addresses an IPv6 one carries (mapped, 6to4, Teredo, NAT64)."""
    found: list[IPAddress] = [address]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            found.append(address.ipv4_mapped)
        if address.sixtofour is not None:
            found.append(address.sixtofour)
        if address.teredo is not None:
            found.extend(address.teredo)
        if address in _NAT64:
            found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return found


def _is_public(address: IPAddress) -> bool:
    return not (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def address_refused(address: IPAddress) -> bool:
    """Whether the portal must not connect to `address`."""
    allowed = _allowed_networks()
    forms = _embedded(address)
    if any(
        form in network for form in forms for network in allowed if form.version == network.version
    ):
        return False
    return not all(_is_public(form) for form in forms)


def _parse(url: str) -> tuple[str, str, int, str]:
    if len(url) > MAX_URL_LENGTH:
        raise TargetRefused(
            _("The URL is longer than %(max)s characters.") % {"max": MAX_URL_LENGTH}
        )
    if not url.isascii() or any(ord(char) <= 32 or ord(char) == 127 for char in url):
        raise TargetRefused(_("The URL may not contain spaces, control or non-ASCII characters."))
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise TargetRefused(_("This is not a valid URL.")) from None
    scheme = parts.scheme.lower()
    allowed = ("https", "http") if settings.WEBHOOK_ALLOW_HTTP else ("https",)
    if scheme not in allowed:
        raise TargetRefused(
            _("The URL must start with https://.")
            if not settings.WEBHOOK_ALLOW_HTTP
            else _("The URL must start with https:// or http://.")
        )
    if parts.username is not None or parts.password is not None:
        raise TargetRefused(_("The URL may not contain a user name or password."))
    host = parts.hostname
    if not host:
        raise TargetRefused(_("The URL has no host."))
    if port == 0:
        raise TargetRefused(_("This is not a valid URL."))
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return scheme, host, port or (443 if scheme == "https" else 80), path


def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, OSError):
        raise TargetRefused(_("The host of the URL cannot be found.")) from None
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        # An IPv6 scope ("fe80::1%eth0") is not part of the address.
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise TargetRefused(_("The host of the URL cannot be found."))
    return addresses


def check_url(url: str) -> Target:
    """The URL's parts and the address to connect to; `TargetRefused` when it may not be
    called. Resolves the host name (every time it is called)."""
    scheme, host, port, path = _parse(url)
    addresses = _resolve(host, port)
    if any(address_refused(address) for address in addresses):
        raise TargetRefused(
            _(
                "The URL leads to a private, local or reserved network address: webhooks can "
                "only call public addresses."
            )
        )
    return Target(scheme=scheme, host=host, port=port, path=path, address=str(addresses[0]))


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the checked address rather than resolving `host` again."""

    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(
            target.host, target.port, timeout=timeout, context=ssl.create_default_context()
        )
        self._address = target.address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        # The certificate is checked against the URL's host name, not the address.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def post(url: str, *, body: bytes, headers: dict[str, str], timeout: float) -> Answer:
    """POST `body` to `url` after `check_url`; raises `TargetRefused` before any connection
    when the URL may not be called, `OSError` (timeouts included) or `http.client.HTTPException`
    when the request fails. The whole exchange, connection to excerpt, takes at most `timeout`
    seconds."""
    target = check_url(url)
    deadline = time.monotonic() + timeout
    connection: http.client.HTTPConnection = (
        _PinnedHTTPSConnection(target, timeout)
        if target.scheme == "https"
        else _PinnedHTTPConnection(target, timeout)
    )
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        if connection.sock is not None:
            connection.sock.settimeout(max(deadline - time.monotonic(), 0.001))
        response = connection.getresponse()
        chunks: list[bytes] = []
        size = 0
        while size < RESPONSE_EXCERPT_BYTES:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(_("The answer took longer than %(s)s s.") % {"s": timeout})
            if connection.sock is not None:
                connection.sock.settimeout(remaining)
            chunk = response.read1(RESPONSE_EXCERPT_BYTES - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        excerpt = b"".join(chunks).decode("utf-8", errors="replace")
        return Answer(status=response.status, excerpt=excerpt)
    finally:
        connection.close()
