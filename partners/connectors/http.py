"""The one way connectors read a partner's server: bounded in time and size, refusing surprises.

Built on the standard library's `http.client` rather than `requests` because it gives the socket
itself: every read waits at most until the response's deadline (`PARTNER_FETCH_TOTAL_SECONDS`),
so that a server trickling one byte a second cannot hold a worker for ever, and `read1` returns
what one read brought instead of waiting for a full chunk.

- `PARTNER_FETCH_CONNECT_TIMEOUT` / `PARTNER_FETCH_TIMEOUT`: seconds to connect / between reads;
- `PARTNER_FETCH_MAX_BYTES`: the largest body, after gzip decoding; the download stops there;
- redirects: a few (3), to the same host only, http(s) only;
- the body is spooled to a temporary file (memory stays flat for a large IATI file);
- HTTP 5xx and 429, time-outs and connection errors are `FeedError(retryable=True)`; other
  4xx, a body too large, the wrong content type are `FeedError(retryable=False)`.
"""

import contextlib
import http.client
import json
import socket
import ssl
import tempfile
import time
import zlib
from dataclasses import dataclass, field
from typing import IO, Any, Literal
from urllib.parse import urlencode, urljoin, urlsplit

from django.conf import settings

from partners.connectors.base import FeedError

Expect = Literal["xml", "json", "any"]

MAX_REDIRECTS = 3
CHUNK_SIZE = 64 * 1024
# Bodies smaller than this stay in memory; larger ones go to a temporary file.
SPOOL_IN_MEMORY_BYTES = 1024 * 1024
USER_AGENT = "South-South-Exchange-harvester/1.0"


@dataclass(frozen=True)
class FetchLimits:
    connect_timeout: float
    read_timeout: float
    total_seconds: float
    max_bytes: int

    @classmethod
    def from_settings(cls) -> "FetchLimits":
        return cls(
            connect_timeout=settings.PARTNER_FETCH_CONNECT_TIMEOUT,
            read_timeout=settings.PARTNER_FETCH_TIMEOUT,
            total_seconds=settings.PARTNER_FETCH_TOTAL_SECONDS,
            max_bytes=settings.PARTNER_FETCH_MAX_BYTES,
        )


@dataclass
class Response:
    """A complete body, read within the limits. `body` is positioned at its start."""

    url: str
    status: int
    headers: dict[str, str]  # lower-case names
    body: IO[bytes]
    size: int

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    def read(self) -> bytes:
        self.body.seek(0)
        data = self.body.read()
        self.body.seek(0)
        return data

    def json(self) -> Any:
        try:
            return json.loads(self.read())
        except (ValueError, UnicodeDecodeError) as exc:
            raise FeedError(f"The response from {self.url} is not valid JSON: {exc}") from exc

    def close(self) -> None:
        self.body.close()

    def __enter__(self) -> "Response":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class Fetcher:
    """Shared by the connectors of one run. `headers` go with every request (credentials)."""

    limits: FetchLimits = field(default_factory=FetchLimits.from_settings)
    headers: dict[str, str] = field(default_factory=dict)

    def get(
        self,
        url: str,
        *,
        params: dict[str, str] | None = None,
        expect: Expect = "any",
        headers: dict[str, str] | None = None,
    ) -> Response:
        if params:
            url = f"{url}{'&' if urlsplit(url).query else '?'}{urlencode(params)}"
        return self._request("GET", url, None, expect, headers or {})

    def post_json(self, url: str, data: Any, *, headers: dict[str, str] | None = None) -> Response:
        body = json.dumps(data).encode()
        extra = {"Content-Type": "application/json", **(headers or {})}
        return self._request("POST", url, body, "json", extra)

    def get_json(self, url: str, *, params: dict[str, str] | None = None) -> Any:
        with self.get(url, params=params, expect="json") as response:
            return response.json()

    # -- one request ----------------------------------------------------------------------

    def _request(
        self, method: str, url: str, body: bytes | None, expect: Expect, headers: dict[str, str]
    ) -> Response:
        deadline = time.monotonic() + self.limits.total_seconds
        origin, first_url = _origin(url), url
        for _hop in range(MAX_REDIRECTS + 1):
            response = self._once(method, url, body, expect, headers, deadline)
            if isinstance(response, Response):
                return response
            location = urljoin(url, response)
            target = _origin(location)
            # http → https on the same host is the one change of origin allowed.
            upgrade = origin[0] == "http" and target[0] == "https" and target[1] == origin[1]
            if target != origin and not upgrade:
                raise FeedError(
                    f"{url} redirects to another host ({urlsplit(location).netloc}): refused."
                )
            url = location
        raise FeedError(f"Too many redirects (more than {MAX_REDIRECTS}) from {first_url}.")

    def _once(
        self,
        method: str,
        url: str,
        body: bytes | None,
        expect: Expect,
        extra_headers: dict[str, str],
        deadline: float,
    ) -> Response | str:
        """The response, or the location it redirects to."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FeedError(f"Only http and https addresses can be harvested, not {url!r}.")
        connection: http.client.HTTPConnection
        if parts.scheme == "https":
            connection = http.client.HTTPSConnection(
                parts.hostname,
                parts.port,
                timeout=self.limits.connect_timeout,
                context=ssl.create_default_context(),
            )
        else:
            connection = http.client.HTTPConnection(
                parts.hostname, parts.port, timeout=self.limits.connect_timeout
            )
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        headers = {
            "User-Agent": USER_AGENT,
            "Accept-Encoding": "gzip",
            "Accept": {
                "xml": "application/xml, text/xml;q=0.9, */*;q=0.1",
                "json": "application/json",
                "any": "*/*",
            }[expect],
            **self.headers,
            **extra_headers,
        }
        sock: socket.socket | None = None
        try:
            try:
                connection.connect()
                # Kept: http.client forgets the socket once a response that closes it starts.
                sock = connection.sock
                _wait_at_most(sock, self.limits, deadline, url)
                connection.request(method, path, body=body, headers=headers)
                raw = connection.getresponse()
                status = raw.status
                response_headers = {name.lower(): value for name, value in raw.getheaders()}
                if status in (301, 302, 303, 307, 308) and "location" in response_headers:
                    return response_headers["location"]
                _check_status(status, raw.reason, url)
                if status == 304:
                    return Response(
                        url, status, response_headers, tempfile.SpooledTemporaryFile(), 0
                    )
                _check_content_type(response_headers.get("content-type", ""), expect, url)
                declared = response_headers.get("content-length", "")
                if declared.isdigit() and int(declared) > self.limits.max_bytes:
                    raise _too_large(url, self.limits.max_bytes)
                spool, size = self._read_body(sock, raw, response_headers, url, deadline)
            except TimeoutError as exc:
                raise _timed_out(url, deadline, self.limits.total_seconds) from exc
            except ssl.SSLCertVerificationError as exc:
                raise FeedError(
                    f"The TLS certificate of {url} is not valid: {exc.verify_message}."
                ) from exc
            except (OSError, http.client.HTTPException) as exc:
                if time.monotonic() >= deadline:
                    raise _timed_out(url, deadline, self.limits.total_seconds) from exc
                raise FeedError(
                    f"Could not read {url}: {exc or type(exc).__name__}", retryable=True
                ) from exc
        finally:
            # Shut down, not only closed: a response object still referring to the socket
            # would keep it open, and the server sending.
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            connection.close()
        response = Response(url, status, response_headers, spool, size)
        if expect == "xml" and _looks_like_json(spool):
            response.close()
            raise FeedError(f"{url} sent JSON where XML was expected.")
        return response

    def _read_body(
        self,
        sock: socket.socket,
        raw: http.client.HTTPResponse,
        headers: dict[str, str],
        url: str,
        deadline: float,
    ) -> tuple[IO[bytes], int]:
        encoding = headers.get("content-encoding", "identity").lower()
        if encoding not in ("identity", "gzip", "x-gzip"):
            raise FeedError(f"{url} sent a body encoded as {encoding!r}, which is not supported.")
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS) if encoding != "identity" else None
        limit = self.limits.max_bytes
        spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES)
        size = 0
        try:
            while True:
                _wait_at_most(sock, self.limits, deadline, url)
                chunk = raw.read1(CHUNK_SIZE)
                if not chunk:
                    break
                if inflater is not None:
                    # At most one byte beyond the limit is inflated: a gzip bomb stops here.
                    chunk = inflater.decompress(chunk, limit - size + 1)
                    if inflater.unconsumed_tail:
                        raise _too_large(url, limit)
                size += len(chunk)
                if size > limit:
                    raise _too_large(url, limit)
                spool.write(chunk)
            if inflater is not None:
                tail = inflater.flush()
                size += len(tail)
                if size > limit:
                    raise _too_large(url, limit)
                spool.write(tail)
        except zlib.error as exc:
            spool.close()
            raise FeedError(f"{url} sent a gzip body that does not decompress: {exc}") from exc
        except BaseException:
            spool.close()
            raise
        spool.seek(0)
        return spool, size


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return (parts.scheme, (parts.hostname or "").lower(), port)


def _wait_at_most(
    sock: socket.socket | None, limits: FetchLimits, deadline: float, url: str
) -> None:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise _timed_out(url, deadline, limits.total_seconds)
    if sock is not None:
        sock.settimeout(min(limits.read_timeout, remaining))


def _timed_out(url: str, deadline: float, total_seconds: float) -> FeedError:
    if time.monotonic() >= deadline:
        return FeedError(
            f"{url} took longer than the limit for one response "
            f"(PARTNER_FETCH_TOTAL_SECONDS={total_seconds:g}).",
            retryable=True,
        )
    return FeedError(f"{url} did not answer in time.", retryable=True)


def _too_large(url: str, limit: int) -> FeedError:
    return FeedError(
        f"The response from {url} is larger than the limit of {limit} bytes "
        "(PARTNER_FETCH_MAX_BYTES): download stopped."
    )


def _check_status(status: int, reason: str, url: str) -> None:
    if status < 300 or status == 304:
        return
    if status < 400:
        raise FeedError(f"HTTP {status} {reason} from {url} without a usable Location.")
    retryable = status == 429 or status >= 500
    raise FeedError(f"HTTP {status} {reason} from {url}.".replace("  ", " "), retryable=retryable)


def _check_content_type(declared: str, expect: Expect, url: str) -> None:
    kind = declared.split(";")[0].strip().lower()
    if expect == "xml" and ("json" in kind or kind == "text/html"):
        what = "JSON" if "json" in kind else "an HTML page"
        raise FeedError(f"{url} sent {what} ({kind}) where XML was expected.")
    if expect == "json" and kind and "json" not in kind and kind != "text/plain":
        raise FeedError(f"{url} sent {kind} where JSON was expected.")


def _looks_like_json(body: IO[bytes]) -> bool:
    start = body.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    body.seek(0)
    return start[:1] in (b"{", b"[")
