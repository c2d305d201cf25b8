"""Real HTTP peers on 127.0.0.1 for the connector tests: each test starts the servers it needs.

- `LocalServer`: a threaded HTTP server whose answers come from a function of the request;
  the requests it received are kept in `.requests`.
- `iati_file_routes`: files served with ETag / Last-Modified and conditional GETs (304).
- `CkanReplay`: CKAN's `package_search` over real HDX datasets, filtering by
  `metadata_modified`, sorting and paging (`rows`, `start`) as CKAN does, computed from the request.
- `oai_library_server`: a real OAI-PMH 2.0 repository built with the `oaipmh` library
  (`oaipmh.server.Server`, PyPI), holding the records of sickle's sample responses.
- `oai_replay_routes`: sickle's sample responses (token chain, deleted records, each error).
- hostile answers: `slowly`, `trickle`, `endless`.
"""

import datetime
import email.utils
import hashlib
import json
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml
from lxml import etree
from oaipmh import common, error, metadata
from oaipmh.server import Server, oai_dc_writer

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "partners"


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes = b""


@dataclass
class Reply:
    status: int = 200
    body: bytes | Iterable[bytes] = b""
    content_type: str = "application/xml"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # before the status line


Route = Callable[[Request], Reply]


class LocalServer:
    """`with LocalServer(route) as server:` serves `route` at `server.url` until the block ends."""

    def __init__(self, route: Route, *, tls: tuple[Path, Path] | None = None) -> None:
        """`tls`: (certificate, key) files to serve HTTPS with."""
        self.route = route
        self.requests: list[Request] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(
                    method=self.command,
                    path=parts.path,
                    query={k: v[-1] for k, v in parse_qs(parts.query, True).items()},
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=self.rfile.read(length) if length else b"",
                )
                owner.requests.append(request)
                reply = owner.route(request)
                if reply.delay:
                    time.sleep(reply.delay)
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", reply.content_type)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    if isinstance(reply.body, bytes):
                        self.send_header("Content-Length", str(len(reply.body)))
                        self.send_header("Connection", "close")
                        self.end_headers()
                        self.wfile.write(reply.body)
                    else:
                        self.send_header("Connection", "close")
                        self.end_headers()
                        for chunk in reply.body:
                            self.wfile.write(chunk)
                            self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up, as it should with hostile answers
                self.close_connection = True

            do_GET = _serve
            do_POST = _serve

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        scheme = "https" if tls else "http"
        self.url = f"{scheme}://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> "LocalServer":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def fixture(path: str) -> bytes:
    return (FIXTURES / path).read_bytes()


# Hostile answers ----------------------------------------------------------------------------


def trickle(data: bytes, *, every: float) -> Iterator[bytes]:
    """One byte at a time, `every` seconds apart: under any read timeout, never done."""
    for index in range(len(data)):
        time.sleep(every)
        yield data[index : index + 1]


def endless(chunk: bytes, *, times: int) -> Iterator[bytes]:
    """A gigantic body, made as it is sent (the server holds one chunk)."""
    for _ in range(times):
        yield chunk


# IATI ---------------------------------------------------------------------------------------


def iati_file_routes(files: dict[str, bytes]) -> Route:
    """Files at their paths with a strong ETag and a Last-Modified; conditional GETs get 304.
    Replace `files[path]` to publish a new version."""
    modified = email.utils.format_datetime(
        datetime.datetime(2026, 11, 1, 12, 0, tzinfo=datetime.UTC), usegmt=True
    )

    def route(request: Request) -> Reply:
        if request.path not in files:
            return Reply(404, b"not here", "text/plain")
        body = files[request.path]
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        headers = {"ETag": etag, "Last-Modified": modified}
        if request.headers.get("if-none-match") == etag:
            return Reply(304, b"", headers=headers)
        return Reply(200, body, "application/xml", headers)

    return route


# CKAN ---------------------------------------------------------------------------------------


def hdx_packages() -> list[dict[str, Any]]:
    """The ten HDX datasets of the package_search sample and the UNESCO package_show sample."""
    search = yaml.safe_load(fixture("ckan/dataset_search_results.yaml"))
    unesco = json.loads(fixture("ckan/unesco_dataset.json"))
    return [*search["results"], unesco]


class CkanReplay:
    """package_search over `packages` (a list the test may change between requests)."""

    def __init__(self, packages: list[dict[str, Any]]) -> None:
        self.packages = packages

    def __call__(self, request: Request) -> Reply:
        if request.path != "/api/3/action/package_search":
            body = {
                "success": False,
                "error": {"__type": "Not Found Error", "message": "Not found"},
            }
            return Reply(404, json.dumps(body).encode(), "application/json")
        query = request.query
        low = "*"
        for clause in query.get("fq", "").split(" AND "):
            if clause.startswith("metadata_modified:["):
                low = clause[len("metadata_modified:[") :].split(" TO ")[0]
        rows, start = int(query.get("rows", "10")), int(query.get("start", "0"))

        def modified(package: dict[str, Any]) -> str:
            return str(package["metadata_modified"])[:23]  # Solr keeps milliseconds

        chosen = [p for p in self.packages if low == "*" or modified(p) + "Z" >= low]
        if query.get("sort") != "metadata_modified asc, id asc":
            body = {"success": False, "error": {"message": "this replay sorts one way only"}}
            return Reply(409, json.dumps(body).encode(), "application/json")
        chosen.sort(key=lambda p: (modified(p), p["id"]))
        page = chosen[start : start + rows]
        body = {"success": True, "result": {"count": len(chosen), "results": page}}
        return Reply(200, json.dumps(body).encode(), "application/json")


# OAI-PMH ------------------------------------------------------------------------------------

OAI_NS = {"oai": "http://www.openarchives.org/OAI/2.0/", "dc": "http://purl.org/dc/elements/1.1/"}
DC_FIELDS = (
    "title creator subject description publisher contributor date type format identifier "
    "source language relation coverage rights"
).split()


@dataclass
class Stored:
    identifier: str
    datestamp: datetime.datetime
    deleted: bool
    sets: list[str]
    fields: dict[str, list[str]]


def sickle_records() -> list[Stored]:
    """The distinct records of sickle's ListRecords chain (ListRecords.xml ... 4)."""
    records: dict[str, Stored] = {}
    for name in ("ListRecords.xml", "ListRecords2.xml", "ListRecords3.xml", "ListRecords4.xml"):
        root = etree.fromstring(fixture(f"oai-pmh/{name}"))
        for record in root.iterfind(".//oai:record", OAI_NS):
            header = record.find("oai:header", OAI_NS)
            assert header is not None
            identifier = header.findtext("oai:identifier", "", OAI_NS)
            stamp = header.findtext("oai:datestamp", "", OAI_NS)
            if not identifier:
                continue  # ListRecords4.xml's deleted record lacks one, on purpose
            fields: dict[str, list[str]] = {}
            for name_ in DC_FIELDS:
                values = [
                    " ".join((e.text or "").split())
                    for e in record.iterfind(f".//dc:{name_}", OAI_NS)
                ]
                if values:
                    fields[name_] = values
            records[identifier] = Stored(
                identifier=identifier,
                # The oaipmh library works in naive UTC datetimes.
                datestamp=datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ"),  # noqa: DTZ007
                deleted=header.get("status") == "deleted",
                sets=[s.text or "" for s in header.iterfind("oai:setSpec", OAI_NS)],
                fields=fields,
            )
    return list(records.values())


class Repository:
    """The `oaipmh` library's IOAI interface over `records` (day granularity, as sickle's
    sample Identify says)."""

    def __init__(self, records: list[Stored], base_url: str = "http://127.0.0.1/oai") -> None:
        self.records = records
        self.base_url = base_url

    def identify(self) -> common.Identify:
        return common.Identify(
            repositoryName="Test repository (sickle's sample records)",
            baseURL=self.base_url,
            protocolVersion="2.0",
            adminEmails=["admin@example.org"],
            earliestDatestamp=datetime.datetime(2000, 1, 1),  # noqa: DTZ001 (naive UTC)
            deletedRecord="persistent",
            granularity="YYYY-MM-DD",
            compression=["identity"],
        )

    def listMetadataFormats(self, identifier: str | None = None) -> list[tuple[str, str, str]]:
        return [
            (
                "oai_dc",
                "http://www.openarchives.org/OAI/2.0/oai_dc.xsd",
                "http://www.openarchives.org/OAI/2.0/oai_dc/",
            )
        ]

    def listSets(self) -> list[tuple[str, str, None]]:
        return [("theses", "Theses", None)]

    def _matching(
        self,
        metadataPrefix: str,
        set: str | None = None,
        from_: datetime.datetime | None = None,
        until: datetime.datetime | None = None,
    ) -> list[Stored]:
        if metadataPrefix != "oai_dc":
            raise error.CannotDisseminateFormatError(f"{metadataPrefix} is not served here")
        chosen = [
            r
            for r in sorted(self.records, key=lambda r: (r.datestamp, r.identifier))
            if (from_ is None or r.datestamp >= from_)
            and (until is None or r.datestamp <= until)
            and (set is None or set in r.sets)
        ]
        if not chosen:
            raise error.NoRecordsMatchError("no records match")
        return chosen

    def listRecords(self, **kw: Any) -> list[tuple[Any, Any, None]]:
        return [
            (
                common.Header(None, r.identifier, r.datestamp, r.sets, r.deleted),
                None if r.deleted else common.Metadata(None, r.fields),
                None,
            )
            for r in self._matching(**kw)
        ]

    def listIdentifiers(self, **kw: Any) -> list[Any]:
        return [
            common.Header(None, r.identifier, r.datestamp, r.sets, r.deleted)
            for r in self._matching(**kw)
        ]

    def getRecord(self, metadataPrefix: str, identifier: str) -> tuple[Any, Any, None]:
        for r in self.records:
            if r.identifier == identifier:
                header = common.Header(None, r.identifier, r.datestamp, r.sets, r.deleted)
                return header, None if r.deleted else common.Metadata(None, r.fields), None
        raise error.IdDoesNotExistError(identifier)


def oai_library_routes(records: list[Stored], *, batch_size: int = 2) -> Route:
    registry = metadata.MetadataRegistry()
    registry.registerWriter("oai_dc", oai_dc_writer)
    server = Server(Repository(records), registry, resumption_batch_size=batch_size)

    def route(request: Request) -> Reply:
        if request.path != "/oai":
            return Reply(404, b"not here", "text/plain")
        return Reply(200, server.handleRequest(dict(request.query)), "text/xml; charset=utf-8")

    return route


def oai_replay_routes(
    list_records: str = "ListRecords.xml", *, files: dict[str, bytes] | None = None
) -> Route:
    """Sickle's samples: Identify, then `list_records` for a first ListRecords; a resumption
    token names the sample file that continues the chain."""
    overrides = files or {}

    def route(request: Request) -> Reply:
        verb = request.query.get("verb", "")
        if verb == "Identify":
            name = "Identify.xml"
        elif verb == "ListRecords":
            name = request.query.get("resumptionToken") or list_records
        else:
            name = "badArgument.xml"
        body = overrides[name] if name in overrides else fixture(f"oai-pmh/{name}")
        return Reply(200, body, "text/xml; charset=utf-8")

    return route
