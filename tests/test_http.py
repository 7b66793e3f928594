"""The shared HTTP client: provenance, retries, politeness, size cap, conditional GET, secrets.

All HTTP is mocked with respx; sleeping goes through a fake that records the delays and
advances a fake monotonic clock, so no test waits (except the concurrency test, whose mocked
server holds each request for a few milliseconds of real time).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import socket
import threading
import time
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from unittest.mock import ANY

import httpx
import pytest
import respx

from compliance.errors import SourceError
from compliance.http import (
    FetchResult,
    HostPolicy,
    HttpClient,
    HttpSettings,
    PreviousFetch,
    build_user_agent,
)
from compliance.http_reply import parse_retry_after
from compliance.redaction import REDACTED
from compliance.store.archive import Archive

URL = "https://eur-lex.example/search"


class FakeTime:
    """A monotonic clock that only moves when something sleeps; records every sleep."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def clock(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds


@pytest.fixture
def fake() -> FakeTime:
    return FakeTime()


@pytest.fixture
def archive(tmp_path: Path) -> Archive:
    return Archive(tmp_path / "archive")


def make_client(
    archive: Archive, fake: FakeTime, validators: Any = None, **settings: Any
) -> HttpClient:
    settings.setdefault("default_host", HostPolicy(concurrency=4, min_interval=0.0))
    settings.setdefault("user_agent", build_user_agent("ops@example.org"))
    return HttpClient(
        HttpSettings(**settings), archive, validators, sleep=fake.sleep, clock=fake.clock
    )


@pytest.fixture
def make(archive: Archive, fake: FakeTime) -> Iterator[Any]:
    """A factory of clients with test settings; every client made is closed after the test."""
    clients: list[HttpClient] = []

    def factory(validators: Any = None, **settings: Any) -> HttpClient:
        clients.append(make_client(archive, fake, validators, **settings))
        return clients[-1]

    yield factory
    for client in clients:
        client.close()


def sent_header(route: respx.Route, name: str, call: int = -1) -> str | None:
    return route.calls[call].request.headers.get(name)


# --- success and provenance --------------------------------------------------------------------


def test_success_records_provenance(respx_mock: respx.MockRouter, make, archive, fake) -> None:
    body = "<p>Loi n° 2024-1 transposant la directive</p>".encode("iso-8859-1")
    route = respx_mock.get(URL, params={"q": "2011/36"}).respond(
        200,
        content=body,
        headers={
            "Content-Type": "text/html; charset=ISO-8859-1",
            "ETag": '"v1"',
            "Last-Modified": "Wed, 21 Oct 2015 07:28:00 GMT",
        },
    )
    client = make()
    result = client.get("fr-legifrance", URL, params={"q": "2011/36"})
    stats = client.stats

    assert isinstance(result, FetchResult)
    assert result.sha256 == hashlib.sha256(body).hexdigest()
    assert result.body == body and result.size == len(body)
    assert (archive.root / result.archive_path).read_bytes() == body
    assert archive.verify(result.sha256)
    assert result.retrieved_at.tzinfo is not None
    assert result.retrieved_at.utcoffset() == timedelta(0)
    assert result.url == f"{URL}?q=2011%2F36"
    assert result.final_url == result.url
    assert (result.source, result.method, result.status_code) == ("fr-legifrance", "GET", 200)
    assert result.not_modified is False
    assert (result.etag, result.last_modified) == ('"v1"', "Wed, 21 Oct 2015 07:28:00 GMT")
    assert result.content_type == "text/html; charset=ISO-8859-1"
    assert result.text() == "<p>Loi n° 2024-1 transposant la directive</p>"
    assert result.request == {"method": "GET", "url": result.url, "params": {"q": "2011/36"}}
    json.dumps(result.request)  # JSON-able
    assert len(result.request_key) == 64
    assert stats == {
        "requests": 1,
        "retries": 0,
        "not_modified": 0,
        "errors": 0,
        "bytes": len(body),
        "answered": 1,
    }
    ua = sent_header(route, "user-agent")
    assert ua.startswith("compliance/") and "contact: ops@example.org" in ua
    assert fake.sleeps == []


def test_text_is_strict_by_default(respx_mock, make) -> None:
    respx_mock.get(URL).respond(200, content=b"caf\xe9", headers={"Content-Type": "text/plain"})
    client = make()
    result = client.get("s", URL)

    with pytest.raises(UnicodeDecodeError):
        result.text()
    assert result.text(errors="replace") == "caf\ufffd"


def test_redirect_is_followed_and_final_url_recorded(respx_mock, make) -> None:
    respx_mock.get(URL).respond(301, headers={"Location": "https://eur-lex.example/new"})
    respx_mock.get("https://eur-lex.example/new").respond(200, content=b"moved")
    client = make()
    result = client.get("s", URL)

    assert (result.url, result.final_url) == (URL, "https://eur-lex.example/new")
    assert result.body == b"moved"


def test_default_user_agent_asks_for_a_contact() -> None:
    assert "contact: set COMPLIANCE_CONTACT" in HttpSettings().user_agent
    assert build_user_agent("https://example.org/contact").endswith(
        "contact: https://example.org/contact)"
    )


# --- retries -------------------------------------------------------------------------------------


def test_retry_on_503_then_success(respx_mock, make, fake) -> None:
    route = respx_mock.get(URL).mock(
        side_effect=[httpx.Response(503), httpx.Response(503), httpx.Response(200, content=b"ok")]
    )
    client = make(backoff_base=1.0)
    result = client.get("s", URL)
    stats = client.stats

    assert result.body == b"ok" and result.status_code == 200
    assert route.call_count == 3
    assert len(fake.sleeps) == 2
    assert 1.0 <= fake.sleeps[0] <= 1.1  # base * 2**0 plus at most 10 % jitter
    assert 2.0 <= fake.sleeps[1] <= 2.2  # base * 2**1
    assert stats["requests"] == 3 and stats["retries"] == 2 and stats["errors"] == 0


def test_backoff_is_capped(respx_mock, make, fake) -> None:
    respx_mock.get(URL).respond(500)
    client = make(max_retries=4, backoff_base=10.0, backoff_max=25.0)
    with pytest.raises(SourceError):
        client.get("s", URL)

    assert 10.0 <= fake.sleeps[0] <= 11.0
    assert 20.0 <= fake.sleeps[1] <= 22.0
    assert fake.sleeps[2:] == [25.0, 25.0]


@pytest.mark.parametrize("status", [408, 425, 429, 500, 502, 503, 504])
def test_retryable_statuses(respx_mock, make, fake, status: int) -> None:
    route = respx_mock.get(URL).mock(
        side_effect=[httpx.Response(status), httpx.Response(200, content=b"ok")]
    )
    client = make()
    assert client.get("s", URL).body == b"ok"

    assert route.call_count == 2 and len(fake.sleeps) == 1


def test_retry_after_seconds_is_honoured(respx_mock, make, fake) -> None:
    respx_mock.get(URL).mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "7"}),
            httpx.Response(200, content=b"ok"),
        ]
    )
    client = make()
    assert client.get("s", URL).body == b"ok"

    assert fake.sleeps == [7.0]


def test_retry_after_http_date_is_honoured(respx_mock, make, fake) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)
    respx_mock.get(URL).mock(
        side_effect=[
            httpx.Response(503, headers={"Retry-After": when}),
            httpx.Response(200, content=b"ok"),
        ]
    )
    client = make()
    assert client.get("s", URL).body == b"ok"

    assert len(fake.sleeps) == 1
    assert 115.0 <= fake.sleeps[0] <= 120.0  # the HTTP-date has whole seconds


def test_retry_after_longer_than_limit_gives_up(respx_mock, make, fake) -> None:
    route = respx_mock.get(URL).respond(429, headers={"Retry-After": "3600"})
    client = make(max_retry_after=300.0)
    with pytest.raises(SourceError) as info:
        client.get("s", URL)
    assert client.stats["errors"] == 1

    assert info.value.status == "failed"
    assert "Retry-After of 3600 s" in str(info.value) and "300 s limit" in str(info.value)
    assert "HTTP 429" in str(info.value)
    assert route.call_count == 1 and fake.sleeps == []


def test_retry_after_with_a_superscript_digit_is_invalid_not_a_crash() -> None:
    # "\u00b2".isdigit() is True but float("\u00b2") raises; headers arrive as latin-1 text
    assert parse_retry_after("\u00b2") is None
    assert parse_retry_after(" 7 ") == 7.0


def test_retries_exhausted_names_url_status_and_attempts(respx_mock, make, archive, fake) -> None:
    route = respx_mock.get(URL).respond(500)
    client = make(max_retries=2)
    with pytest.raises(SourceError) as info:
        client.get("eurlex", URL)
    stats = client.stats

    message = str(info.value)
    assert info.value.status == "failed"
    assert message == "HTTP 500 Internal Server Error from eur-lex.example (3 attempts)"  # short: no URL
    assert info.value.request == f"GET {URL}" and not info.value.network  # the full request beside it
    assert client.failures("eurlex") == [{"request": f"GET {URL}", "reason": message, "at": ANY}]
    assert route.call_count == 3 and len(fake.sleeps) == 2
    assert stats["errors"] == 1 and stats["retries"] == 2
    assert not archive.root.exists()  # errors are not archived


@pytest.mark.parametrize(
    "error",
    [
        httpx.ConnectTimeout("connect timed out"),
        httpx.ReadTimeout("read timed out"),
        httpx.ReadError("[Errno 104] Connection reset by peer"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
    ],
    ids=lambda e: type(e).__name__,
)
def test_transport_errors_are_retried(respx_mock, make, fake, error) -> None:
    route = respx_mock.get(URL).mock(side_effect=[error, httpx.Response(200, content=b"ok")])
    client = make()
    assert client.get("s", URL).body == b"ok"

    assert route.call_count == 2 and len(fake.sleeps) == 1


def test_transport_errors_exhausted(respx_mock, make) -> None:
    respx_mock.get(URL).mock(side_effect=httpx.ConnectTimeout("timed out"))
    client = make(max_retries=1)
    with pytest.raises(SourceError) as info:
        client.get("s", URL)

    assert str(info.value) == "no connection to eur-lex.example within 60 s (ConnectTimeout, 2 attempts)"


class _Unreachable(httpx.BaseTransport):
    """Raises what httpcore raises for `cause` (an httpx.ConnectError from the OS error) for
    one host, and answers 200 for the others."""

    def __init__(self, host: str, cause: OSError) -> None:
        self.host, self.cause, self.calls = host, cause, 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host != self.host:
            return httpx.Response(200, stream=httpx.ByteStream(b"ok"))
        self.calls += 1
        raise httpx.ConnectError(str(self.cause)) from self.cause


@pytest.mark.parametrize(("cause", "message"), [
    (socket.gaierror(-2, "Name or service not known"), "cannot resolve eur-lex.example (ConnectError, 1 attempt)"),
    (socket.gaierror(-3, "Temporary failure in name resolution"),
     "cannot resolve eur-lex.example (ConnectError, 1 attempt)"),
    (ConnectionRefusedError(111, "Connection refused"),
     "connection refused by eur-lex.example (ConnectError, 1 attempt)"),
    (OSError(101, "Network is unreachable"), "no route to eur-lex.example (ENETUNREACH) (ConnectError, 1 attempt)"),
], ids=["nxdomain", "no-resolver", "refused", "unreachable"])
def test_an_unreachable_host_fails_at_once_and_is_not_asked_again(archive, fake, cause, message) -> None:
    transport = _Unreachable("eur-lex.example", cause)
    client = HttpClient(HttpSettings(max_retries=3, default_host=HostPolicy(concurrency=4, min_interval=0.0)),
                        archive, sleep=fake.sleep, clock=fake.clock, transport=transport)
    with pytest.raises(SourceError) as info:
        client.get("eurlex", URL)
    assert str(info.value) == message and info.value.network and info.value.request == f"GET {URL}"
    assert transport.calls == 1 and fake.sleeps == []  # no backoff ladder
    with pytest.raises(SourceError) as again:
        client.get("eurlex", f"{URL}?q=2")
    assert str(again.value) == message and transport.calls == 1  # not asked again in this run
    assert client.unreachable == {"eur-lex.example:443": message}
    assert client.get("eurlex", "https://other.example/x").body == b"ok"  # other hosts are asked
    assert [f["request"] for f in client.failures("eurlex")] == [f"GET {URL}", f"GET {URL}?q=2"]
    assert client.stats["answered"] == 1
    client.close()


def test_a_closed_port_is_refused_at_once_and_the_others_of_its_host_are_still_asked(archive, fake) -> None:
    with socket.socket() as probe, socket.socket() as other:  # two ports nothing listens on
        probe.bind(("127.0.0.1", 0))
        other.bind(("127.0.0.1", 0))
        port, port2 = probe.getsockname()[1], other.getsockname()[1]
    client = HttpClient(HttpSettings(max_retries=3), archive, sleep=fake.sleep, clock=fake.clock)
    with pytest.raises(SourceError) as info:
        client.get("s", f"http://127.0.0.1:{port}/x")
    assert str(info.value) == "connection refused by 127.0.0.1 (ConnectError, 1 attempt)" and fake.sleeps == []
    assert client.unreachable == {f"127.0.0.1:{port}": str(info.value)}
    with pytest.raises(SourceError, match="connection refused"):
        client.get("s", f"http://127.0.0.1:{port2}/x")
    assert client.stats["requests"] == 2  # another port is another origin: it was asked
    client.close()


def test_requests_queued_for_a_host_found_unreachable_give_up_without_waiting_their_turn(archive) -> None:
    """Many requests to one host at once (min_interval 0.5 s): when the first finds the host
    refusing connections, the queued ones fail at once instead of each waiting its 0.5 s."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = HttpClient(HttpSettings(max_retries=3, default_host=HostPolicy(concurrency=2, min_interval=0.5)),
                        archive)
    errors: list[str] = []

    def one(i: int) -> None:
        try:
            client.get("s", f"http://127.0.0.1:{port}/{i}")
        except SourceError as exc:
            errors.append(str(exc))

    started = time.monotonic()
    threads = [threading.Thread(target=one, args=(i,)) for i in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.monotonic() - started
    assert len(errors) == 40 and all("connection refused by 127.0.0.1" in e for e in errors)
    assert took < 3.0, f"{took:.1f} s"  # not 40 x 0.5 s / 2
    assert client.stats["requests"] <= 3  # the first ones, not the queue
    client.close()


def test_404_fails_at_once(respx_mock, make, archive, fake) -> None:
    route = respx_mock.get(URL).respond(404, content=b"not here")
    client = make()
    with pytest.raises(SourceError) as info:
        client.get("s", URL)

    assert str(info.value) == "HTTP 404 Not Found from eur-lex.example" and info.value.request == f"GET {URL}"
    assert route.call_count == 1 and fake.sleeps == []
    assert not archive.root.exists()


def test_403_fails_at_once_with_status_in_message(respx_mock, make) -> None:
    respx_mock.get(URL).respond(403)
    client = make()
    with pytest.raises(SourceError, match="HTTP 403") as info:
        client.get("s", URL)

    assert info.value.status == "failed"


def test_ok_statuses_returns_and_archives_a_non_2xx_answer(respx_mock, make, archive) -> None:
    # CELLAR answers 300 Multiple Choices with a list of documents a source wants to read.
    respx_mock.get(URL).respond(300, content=b"<choices/>")
    client = make()
    result = client.get("s", URL, ok_statuses={300})

    assert result.status_code == 300
    assert archive.get(result.sha256) == b"<choices/>"


# --- size cap ------------------------------------------------------------------------------------


def test_size_cap_by_content_length(respx_mock, make, archive) -> None:
    respx_mock.get(URL).respond(200, content=b"x" * 200)
    client = make(max_bytes=100)
    with pytest.raises(SourceError, match="exceeds the size cap of 100 bytes") as info:
        client.get("s", URL)

    assert "Content-Length: 200" in str(info.value)
    assert not archive.root.exists()


def test_size_cap_on_streamed_body_without_content_length(respx_mock, make) -> None:
    pulled: list[int] = []

    def chunks() -> Iterator[bytes]:
        for i in range(100):
            pulled.append(i)
            yield b"y" * 10

    def respond(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=chunks())

    respx_mock.get(URL).mock(side_effect=respond)
    client = make(max_bytes=95)
    with pytest.raises(SourceError, match="exceeds the size cap of 95 bytes") as info:
        client.get("s", URL)

    assert "Content-Length" not in str(info.value)
    assert len(pulled) == 10  # stopped as soon as the cap was crossed, not at the end


def test_body_at_the_cap_is_accepted(respx_mock, make) -> None:
    respx_mock.get(URL).respond(200, content=b"z" * 100)
    client = make(max_bytes=100)
    assert client.get("s", URL).size == 100


def test_gzip_bomb_is_stopped_by_decoded_size(respx_mock, make) -> None:
    bomb = gzip.compress(b"\0" * 5_000_000)
    assert len(bomb) < 100_000  # its Content-Length alone would pass
    respx_mock.get(URL).respond(200, content=bomb, headers={"Content-Encoding": "gzip"})
    client = make(max_bytes=1_000_000)
    with pytest.raises(SourceError, match="exceeds the size cap of 1000000 bytes"):
        client.get("s", URL)


@pytest.mark.parametrize(
    ("coding", "compress"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda b: zlib.compress(b, wbits=-zlib.MAX_WBITS)),  # raw deflate
    ],
    ids=["gzip", "deflate-zlib", "deflate-raw"],
)
def test_compressed_body_is_decoded_and_hashed_decoded(respx_mock, make, coding, compress) -> None:
    plain = b"<xml>" + b"Directive 2011/36/EU " * 10_000 + b"</xml>"
    route = respx_mock.get(URL).respond(
        200, content=compress(plain), headers={"Content-Encoding": coding}
    )
    client = make()
    result = client.get("s", URL)

    assert result.body == plain
    assert result.sha256 == hashlib.sha256(plain).hexdigest()
    assert sent_header(route, "accept-encoding") == "gzip, deflate"


def test_truncated_gzip_is_an_error(respx_mock, make) -> None:
    respx_mock.get(URL).respond(
        200, content=gzip.compress(b"a" * 10_000)[:-12], headers={"Content-Encoding": "gzip"}
    )
    client = make()
    with pytest.raises(SourceError, match="cannot decode the gzip body"):
        client.get("s", URL)


def test_unsupported_content_encoding_is_an_error(respx_mock, make) -> None:
    # "compress" (LZW): neither httpx nor this client decodes it, whatever extras are installed
    respx_mock.get(URL).respond(200, content=b"??", headers={"Content-Encoding": "compress"})
    client = make()
    with pytest.raises(SourceError, match="unsupported Content-Encoding compress"):
        client.get("s", URL)


# --- conditional GET -----------------------------------------------------------------------------


class Validators:
    """A ValidatorLookup that remembers how it was called."""

    def __init__(self, previous: PreviousFetch | None) -> None:
        self.previous = previous
        self.calls: list[tuple[str, str, str]] = []

    def __call__(self, source: str, url: str, request_key: str) -> PreviousFetch | None:
        self.calls.append((source, url, request_key))
        return self.previous


LAST_MODIFIED = "Wed, 21 Oct 2015 07:28:00 GMT"


def test_conditional_get_304_reuses_archived_body(respx_mock, make, archive) -> None:
    old_body = b"<feed>unchanged</feed>"
    sha, rel = archive.put(old_body)
    validators = Validators(PreviousFetch('"v1"', LAST_MODIFIED, sha, "application/atom+xml"))
    route = respx_mock.get(URL).respond(304, headers={"ETag": '"v1"'})

    client = make(validators)
    result = client.get("oeil", URL)
    stats = client.stats

    assert sent_header(route, "if-none-match") == '"v1"'
    assert sent_header(route, "if-modified-since") == LAST_MODIFIED
    assert validators.calls == [("oeil", URL, result.request_key)]
    assert result.not_modified is True and result.status_code == 304
    assert result.body == old_body and result.sha256 == sha and result.archive_path == rel
    assert result.size == len(old_body)
    assert (result.etag, result.last_modified) == ('"v1"', LAST_MODIFIED)
    assert result.content_type == "application/atom+xml"
    assert stats["not_modified"] == 1 and stats["requests"] == 1


def test_304_with_archived_body_missing_refetches(respx_mock, make, archive) -> None:
    gone = hashlib.sha256(b"was never archived here").hexdigest()
    validators = Validators(PreviousFetch('"v1"', None, gone))
    route = respx_mock.get(URL).mock(
        side_effect=[
            httpx.Response(304),
            httpx.Response(200, content=b"fresh", headers={"ETag": '"v2"'}),
        ]
    )
    client = make(validators)
    result = client.get("s", URL)

    assert route.call_count == 2
    assert sent_header(route, "if-none-match", call=0) == '"v1"'
    assert sent_header(route, "if-none-match", call=1) is None
    assert result.not_modified is False and result.status_code == 200
    assert result.body == b"fresh" and result.etag == '"v2"'
    assert archive.get(result.sha256) == b"fresh"


def test_changed_resource_returns_new_body(respx_mock, make, archive) -> None:
    sha, _ = archive.put(b"old")
    validators = Validators(PreviousFetch('"v1"', None, sha))
    respx_mock.get(URL).respond(200, content=b"new", headers={"ETag": '"v2"'})
    client = make(validators)
    result = client.get("s", URL)

    assert result.not_modified is False and result.body == b"new" and result.etag == '"v2"'


def test_unconditional_get_sends_no_validators(respx_mock, make, archive) -> None:
    sha, _ = archive.put(b"old")
    validators = Validators(PreviousFetch('"v1"', LAST_MODIFIED, sha))
    route = respx_mock.get(URL).respond(200, content=b"listing page")
    client = make(validators)
    client.get("s", URL, conditional=False)

    assert validators.calls == []
    assert sent_header(route, "if-none-match") is None
    assert sent_header(route, "if-modified-since") is None


# --- request identity ----------------------------------------------------------------------------


def test_post_form_bodies_have_different_request_keys(respx_mock, make) -> None:
    respx_mock.post(URL).respond(200, content=b"{}")
    client = make()
    a = client.post("s", URL, data={"query": "SELECT 1", "format": "json"})
    b = client.post("s", URL, data={"query": "SELECT 2", "format": "json"})
    a_again = client.post("s", URL, data={"format": "json", "query": "SELECT 1"})

    assert a.request_key != b.request_key
    assert a.request_key == a_again.request_key  # field order does not matter
    assert a.request["form"] == {"query": "SELECT 1", "format": "json"}


def test_request_key_depends_on_url_method_and_accept(respx_mock, make) -> None:
    respx_mock.route(url__startswith=URL).respond(200, content=b"x")
    client = make()
    keys = {
        client.get("s", URL).request_key,
        client.get("s", URL, params={"page": "2"}).request_key,
        client.post("s", URL).request_key,
        client.get("s", URL, headers={"Accept": "application/xml;notice=tree"}).request_key,
    }

    assert len(keys) == 4


# --- secrets -------------------------------------------------------------------------------------

SECRETS = ("sekrit-key-123", "tok-abcdef-456", "bearer-789-xyz", "hunter2-pass")


def _assert_no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


def test_secrets_are_redacted_in_result(respx_mock, make) -> None:
    route = respx_mock.get(url__startswith=URL).respond(200, content=b"ok")
    client = make()
    result = client.get(
        "s",
        URL,
        params={"api_key": SECRETS[0], "access_token": SECRETS[1], "q": "2011/36"},
        headers={"Authorization": f"Bearer {SECRETS[2]}", "Accept": "application/json"},
    )

    sent = route.calls.last.request
    assert sent.url.params["api_key"] == SECRETS[0]  # the real value went out
    assert sent.headers["authorization"] == f"Bearer {SECRETS[2]}"
    _assert_no_secret(json.dumps(result.request) + result.url + result.final_url)
    assert result.request["params"] == {
        "api_key": REDACTED,
        "access_token": REDACTED,
        "q": "2011/36",
    }
    assert result.request["headers"] == {"Authorization": REDACTED, "Accept": "application/json"}
    assert f"api_key={REDACTED}" in result.url and "q=2011%2F36" in result.url


def test_request_key_survives_token_rotation(respx_mock, make) -> None:
    respx_mock.get(url__startswith=URL).respond(200, content=b"ok")
    client = make()
    a = client.get("s", URL, params={"token": "first-token"})
    b = client.get("s", URL, params={"token": "second-token"})

    assert a.request_key == b.request_key


def test_secrets_are_redacted_in_post_bodies(respx_mock, make) -> None:
    respx_mock.post(URL).respond(200, content=b"ok")
    client = make()
    form = client.post("s", URL, data={"user": "me", "password": SECRETS[3]})
    body = client.post("s", URL, json={"auth": {"apiKey": SECRETS[0]}, "q": ["x"]})

    assert form.request["form"] == {"user": "me", "password": REDACTED}
    assert body.request["json"] == {"auth": {"apiKey": REDACTED}, "q": ["x"]}


def test_raw_body_is_sent_as_is_and_recorded_without_its_secrets(respx_mock, make) -> None:
    route = respx_mock.post(URL).respond(200, content=b"<ok/>")
    client = make()
    envelope = f"<Search><q>2011/36</q><tokenKey>{SECRETS[1]}</tokenKey></Search>".encode()
    result = client.post("s", URL, content=envelope, secrets=(SECRETS[1],),
                         headers={"Content-Type": "text/xml; charset=utf-8"})
    rotated = client.post("s", URL, content=envelope.replace(SECRETS[1].encode(), b"tok-other-999"),
                          secrets=("tok-other-999",), headers={"Content-Type": "text/xml; charset=utf-8"})
    other = client.post("s", URL, content=envelope.replace(b"2011/36", b"2024/1712"), secrets=(SECRETS[1],),
                        headers={"Content-Type": "text/xml; charset=utf-8"})

    assert route.calls[0].request.content == envelope  # the real body went out
    assert result.request["body"] == f"<Search><q>2011/36</q><tokenKey>{REDACTED}</tokenKey></Search>"
    _assert_no_secret(json.dumps(result.request))
    assert result.request_key == rotated.request_key != other.request_key
    with pytest.raises(ValueError, match="one of data, json or content"):
        client.post("s", URL, content=b"x", json={"a": 1})


def test_a_body_less_request_keeps_its_key() -> None:
    """Recording raw bodies must not change the key of any other request (stored validators)."""
    import hashlib

    from compliance.http import HttpClient, HttpSettings

    client = HttpClient(HttpSettings(), archive=None)  # type: ignore[arg-type]
    prep = client._prepare("s", "GET", URL)
    canonical = json.dumps({"method": "GET", "url": URL, "headers": [], "form": None, "json": None},
                           sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert prep.request_key == hashlib.sha256(canonical.encode()).hexdigest()


def test_secrets_are_redacted_in_errors_and_logs(respx_mock, make, caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="compliance.http")
    secret_url = f"{URL}?key={SECRETS[0]}"

    respx_mock.get(url__startswith=URL).mock(
        side_effect=httpx.ConnectError(f"cannot reach {secret_url} with {SECRETS[1]}")
    )
    client = make(max_retries=1)
    with pytest.raises(SourceError) as info:
        client.get("s", secret_url, headers={"X-Api-Key": SECRETS[1]})

    message = str(info.value)
    _assert_no_secret(message)
    _assert_no_secret(info.value.request)
    assert message == "network error with eur-lex.example: cannot reach eur-lex.example with REDACTED " \
                      "(ConnectError, 2 attempts)"
    assert f"key={REDACTED}" in info.value.request
    assert caplog.records  # something was logged, and none of it is secret
    _assert_no_secret(caplog.text)


def test_secrets_are_redacted_in_status_errors(respx_mock, make) -> None:
    respx_mock.get(url__startswith=URL).respond(401)
    client = make()
    with pytest.raises(SourceError) as info:
        client.get("s", URL, params={"client_secret": SECRETS[0]})

    _assert_no_secret(str(info.value))
    assert "HTTP 401" in str(info.value)


# --- politeness ----------------------------------------------------------------------------------


def test_min_interval_between_request_starts(respx_mock, make, fake) -> None:
    starts: dict[str, list[float]] = {"a": [], "slow": []}

    def record(request: httpx.Request) -> httpx.Response:
        starts["slow" if request.url.host == "slow.example" else "a"].append(fake.now)
        return httpx.Response(200, content=b"ok")

    respx_mock.route(host="a.example").mock(side_effect=record)
    respx_mock.route(host="slow.example").mock(side_effect=record)
    client = make(
        default_host=HostPolicy(concurrency=2, min_interval=0.5),
        hosts={"slow.example": HostPolicy(concurrency=1, min_interval=2.0)},
    )
    with client:
        for _ in range(3):
            client.get("s", "https://a.example/x")
        client.get("s", "https://slow.example/x")
        client.get("s", "https://slow.example/x")

    a = starts["a"]
    assert [round(t - a[0], 6) for t in a] == [0.0, 0.5, 1.0]
    # slow.example's first request does not wait for a.example; its second waits 2 s
    assert starts["slow"][0] == a[-1]
    assert round(starts["slow"][1] - starts["slow"][0], 6) == 2.0


def test_concurrency_limit_per_host(respx_mock, make) -> None:
    lock = threading.Lock()
    active = {"now": 0, "max": 0}

    def slow(request: httpx.Request) -> httpx.Response:
        with lock:
            active["now"] += 1
            active["max"] = max(active["max"], active["now"])
        time.sleep(0.03)  # real time: the mocked server is busy
        with lock:
            active["now"] -= 1
        return httpx.Response(200, content=request.url.path.encode())

    respx_mock.route(host="busy.example").mock(side_effect=slow)
    client = make(default_host=HostPolicy(concurrency=2, min_interval=0.0))
    with client, ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda i: client.get("s", f"https://busy.example/{i}"), range(12)))

    assert active["max"] == 2
    assert sorted(r.body for r in results) == sorted(f"/{i}".encode() for i in range(12))
    assert client.stats["requests"] == 12


def test_a_credential_answer_is_hashed_but_never_archived(respx_mock: respx.MockRouter, make, archive) -> None:
    body = b'{"access_token": "tok-123456"}'
    respx_mock.post(URL).respond(200, content=body, headers={"Content-Type": "application/json"})
    result = make().post("s", URL, data={"client_secret": "s3cr3t-value"}, archive=False)
    assert result.body == body and result.sha256 == hashlib.sha256(body).hexdigest()
    assert result.archive_path == "" and not archive.path(result.sha256).exists()
    assert "s3cr3t-value" not in repr(result.request)
