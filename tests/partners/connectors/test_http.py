"""The fetcher every connector uses, against real servers on 127.0.0.1 that misbehave."""

import gzip
import shutil
import socket
import subprocess
import time

import pytest

from partners.connectors.base import FeedError
from partners.connectors.http import Fetcher, FetchLimits
from tests.partners.servers import LocalServer, Reply, Request, endless, trickle


def serve(reply: Reply) -> LocalServer:
    return LocalServer(lambda request: reply)


@pytest.mark.parametrize(
    ("status", "reason", "retryable"),
    [
        (500, "Internal Server Error", True),
        (503, "Service Unavailable", True),
        (429, "Too Many Requests", True),
        (404, "Not Found", False),
        (403, "Forbidden", False),
    ],
)
def test_http_errors_fail_and_only_server_side_ones_are_retried(
    fetcher: Fetcher, status: int, reason: str, retryable: bool
) -> None:
    with serve(Reply(status, b"<html>oops</html>", "text/html")) as server:
        with pytest.raises(FeedError) as caught:
            fetcher.get(server.url + "/feed.xml", expect="xml")
    assert str(caught.value) == f"HTTP {status} {reason} from {server.url}/feed.xml."
    assert caught.value.retryable is retryable


def test_a_server_that_does_not_answer_times_out_and_is_retried(limits: FetchLimits) -> None:
    fetcher = Fetcher(limits=FetchLimits(2, 0.5, 5, 1024))
    with serve(Reply(200, b"<a/>", delay=2)) as server:
        started = time.monotonic()
        with pytest.raises(FeedError) as caught:
            fetcher.get(server.url + "/slow", expect="xml")
    assert time.monotonic() - started < 1.5
    assert str(caught.value) == f"{server.url}/slow did not answer in time."
    assert caught.value.retryable


def test_a_trickling_server_is_cut_at_the_total_time_limit() -> None:
    fetcher = Fetcher(limits=FetchLimits(2, 1, 1, 1024 * 1024))
    # Each byte comes well within the read timeout; the whole would take 100 seconds.
    with serve(Reply(200, trickle(b"<a>" + b"x" * 1000 + b"</a>", every=0.1))) as server:
        started = time.monotonic()
        with pytest.raises(FeedError) as caught:
            fetcher.get(server.url + "/trickle", expect="xml")
    assert time.monotonic() - started < 2
    assert str(caught.value) == (
        f"{server.url}/trickle took longer than the limit for one response "
        "(PARTNER_FETCH_TOTAL_SECONDS=1)."
    )
    assert caught.value.retryable


def test_a_gigantic_streamed_body_is_stopped_at_the_size_limit(fetcher: Fetcher) -> None:
    # 64 MB announced by nothing: no Content-Length, sent as it is made.
    body = endless(b"<x>" + b"a" * 65_533, times=1024)
    with serve(Reply(200, body)) as server:
        with pytest.raises(FeedError) as caught:
            fetcher.get(server.url + "/huge.xml", expect="xml")
    assert str(caught.value) == (
        f"The response from {server.url}/huge.xml is larger than the limit of 1048576 bytes "
        "(PARTNER_FETCH_MAX_BYTES): download stopped."
    )
    assert not caught.value.retryable


def test_a_declared_length_beyond_the_limit_is_refused_before_reading(fetcher: Fetcher) -> None:
    with serve(Reply(200, b"x" * (2 * 1024 * 1024))) as server:
        with pytest.raises(FeedError, match="larger than the limit of 1048576 bytes"):
            fetcher.get(server.url + "/big.xml")


def test_a_gzip_bomb_is_stopped_after_inflating_the_limit(fetcher: Fetcher) -> None:
    bomb = gzip.compress(b"\0" * (50 * 1024 * 1024))
    assert len(bomb) < 100_000
    reply = Reply(200, bomb, headers={"Content-Encoding": "gzip"})
    with serve(reply) as server:
        with pytest.raises(FeedError, match="larger than the limit of 1048576 bytes"):
            fetcher.get(server.url + "/bomb.xml")


def test_a_gzip_body_within_the_limit_is_inflated(fetcher: Fetcher) -> None:
    reply = Reply(200, gzip.compress(b"<ok/>"), headers={"Content-Encoding": "gzip"})
    with serve(reply) as server, fetcher.get(server.url + "/small.xml", expect="xml") as got:
        assert got.read() == b"<ok/>"


def test_json_where_xml_was_promised_is_refused_by_its_content_type(fetcher: Fetcher) -> None:
    with serve(Reply(200, b'{"records": []}', "application/json")) as server:
        with pytest.raises(FeedError) as caught:
            fetcher.get(server.url + "/oai", expect="xml")
    assert str(caught.value) == (
        f"{server.url}/oai sent JSON (application/json) where XML was expected."
    )


def test_json_labelled_as_xml_is_refused_by_its_content(fetcher: Fetcher) -> None:
    with serve(Reply(200, b'  [{"id": 1}]', "text/xml")) as server:
        with pytest.raises(FeedError) as caught:
            fetcher.get(server.url + "/oai", expect="xml")
    assert str(caught.value) == f"{server.url}/oai sent JSON where XML was expected."


def test_html_where_json_was_promised_is_refused(fetcher: Fetcher) -> None:
    with serve(Reply(200, b"<html>login</html>", "text/html")) as server:
        with pytest.raises(FeedError) as caught:
            fetcher.get_json(server.url + "/api/3/action/package_search")
    assert str(caught.value) == (
        f"{server.url}/api/3/action/package_search sent text/html where JSON was expected."
    )


def test_redirects_on_the_same_host_are_followed_a_few_times(fetcher: Fetcher) -> None:
    def route(request: Request) -> Reply:
        hops = int(request.path.strip("/") or 0)
        if hops < 3:
            return Reply(302, b"", headers={"Location": f"/{hops + 1}"})
        return Reply(200, b"<arrived/>")

    with LocalServer(route) as server, fetcher.get(server.url + "/0") as response:
        assert response.read() == b"<arrived/>"
        assert response.url == server.url + "/3"


def test_endless_redirects_stop(fetcher: Fetcher) -> None:
    def route(request: Request) -> Reply:
        return Reply(302, b"", headers={"Location": f"/{int(request.path.strip('/')) + 1}"})

    with LocalServer(route) as server:
        with pytest.raises(FeedError) as caught:
            fetcher.get(server.url + "/0")
    assert str(caught.value) == f"Too many redirects (more than 3) from {server.url}/0."
    assert len(server.requests) == 4


def test_a_redirect_to_another_host_is_refused(fetcher: Fetcher) -> None:
    with serve(Reply(301, b"", headers={"Location": "http://localhost:9/elsewhere"})) as server:
        with pytest.raises(FeedError) as caught:
            fetcher.get(server.url + "/feed")
    assert (
        str(caught.value) == f"{server.url}/feed redirects to another host (localhost:9): refused."
    )


def test_a_closed_port_is_a_retryable_connection_error(fetcher: Fetcher) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(FeedError) as caught:
        fetcher.get(f"http://127.0.0.1:{port}/feed")
    assert str(caught.value).startswith(f"Could not read http://127.0.0.1:{port}/feed: ")
    assert caught.value.retryable


def test_only_http_addresses_are_fetched(fetcher: Fetcher) -> None:
    with pytest.raises(FeedError) as caught:
        fetcher.get("file:///etc/passwd")
    assert (
        str(caught.value)
        == "Only http and https addresses can be harvested, not 'file:///etc/passwd'."
    )


def test_credentials_and_query_go_with_the_request(fetcher: Fetcher) -> None:
    fetcher.headers["Authorization"] = "secret-key"
    with serve(Reply(200, b'{"ok": true}', "application/json")) as server:
        assert fetcher.get_json(server.url + "/api?x=1", params={"q": "a b"}) == {"ok": True}
    (request,) = server.requests
    assert request.query == {"x": "1", "q": "a b"}
    assert request.headers["authorization"] == "secret-key"


def test_a_json_post_sends_its_body(fetcher: Fetcher) -> None:
    with serve(Reply(200, b'{"success": true}', "application/json")) as server:
        with fetcher.post_json(server.url + "/api/3/action/package_search", {"rows": 2}) as got:
            assert got.json() == {"success": True}
    (request,) = server.requests
    assert (request.method, request.body) == ("POST", b'{"rows": 2}')
    assert request.headers["content-type"] == "application/json"


def test_a_certificate_that_cannot_be_verified_is_refused(fetcher: Fetcher, tmp_path) -> None:
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(  # noqa: S603 (fixed arguments)
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        + ["-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    with LocalServer(lambda request: Reply(200, b"<a/>"), tls=(cert, key)) as server:
        with pytest.raises(FeedError) as caught:
            fetcher.get(server.url + "/feed.xml")
    assert str(caught.value) == (
        f"The TLS certificate of {server.url}/feed.xml is not valid: self-signed certificate."
    )
    assert not caught.value.retryable
