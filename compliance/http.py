"""The one HTTP client every source uses: politeness, retries, size cap, conditional GET, archive.

Every body that comes back with 2xx (or a 304 that reuses an archived body) is stored
content-addressed in the `Archive`, and the `FetchResult` carries what a fetch row needs for
provenance (URL, request, status, retrieved_at, sha256, size, content type, validators).
Secrets (Authorization, cookies, API keys, tokens) never reach a `FetchResult.request`, a URL
in a result, an exception message or a log line: they are replaced by ``REDACTED``
(redaction.py). Reading a reply (bounded inflation, Retry-After) is http_reply.py's.

Only httpx and the standard library are imported here, so importing a source stays cheap.
"""

from __future__ import annotations

import errno
import hashlib
import json as jsonlib
import logging
import random
import re
import socket
import threading
import time
import zlib
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.message import Message
from typing import Any, Protocol
from urllib.parse import quote, quote_plus

import httpx

from compliance import __version__
from compliance.errors import SourceError, one_line
from compliance.http_reply import Identity, Inflater, parse_retry_after, partial_result_warning
from compliance.redaction import REDACTED, is_secret_header, is_secret_param, json_secrets, redact_json, redact_url

log = logging.getLogger("compliance.http")

PROJECT_URL = "https://github.com/..."  # TODO: the project's public home, once it has one

# Statuses worth another attempt (scrapy RETRY_HTTP_CODES, zavod's status_forcelist, plus 425).
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
RETRY_AFTER_STATUSES = frozenset({429, 503})
# Transport failures worth another attempt: timeouts, reset connections, a server that hangs up
# mid-response. A host that cannot be resolved, refuses the connection or has no route is not
# retried (nor asked again in the same run: see HttpClient._down). Everything else from httpx
# (too many redirects, bad URL) is final.
_RETRYABLE_ERRORS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
_UNREACHABLE = frozenset({errno.ECONNREFUSED, errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_URL_IN_TEXT = re.compile(r"[a-z][a-z0-9+.-]*://\S+", re.I)
MAX_FAILURES_KEPT = 50  # failed requests kept per source and run (HttpClient.failures)


def build_user_agent(contact: str | None = None) -> str:
    """An identifiable User-Agent; ``contact`` is an e-mail or URL (COMPLIANCE_CONTACT)."""
    who = contact.strip() if contact and contact.strip() else "set COMPLIANCE_CONTACT"
    return f"compliance/{__version__} (+{PROJECT_URL}; contact: {who})"


@dataclass(frozen=True)
class HostPolicy:
    """Politeness towards one host."""

    concurrency: int = 2  # max simultaneous requests to the host
    min_interval: float = 0.5  # seconds between request starts to the host

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, not {self.concurrency}")
        if self.min_interval < 0:
            raise ValueError(f"min_interval must not be negative, not {self.min_interval}")


@dataclass(frozen=True)
class HttpSettings:
    """Client-wide settings; ``hosts`` overrides ``default_host`` per host name."""

    user_agent: str = field(default_factory=build_user_agent)
    timeout: float = 60.0
    max_retries: int = 3
    backoff_base: float = 1.0  # exponential: base * 2**attempt, plus up to 10 % jitter
    backoff_max: float = 60.0
    max_retry_after: float = 300.0  # a longer Retry-After makes the fetch fail
    max_bytes: int = 200 * 1024 * 1024  # response size cap, after decompression
    default_host: HostPolicy = HostPolicy()
    hosts: Mapping[str, HostPolicy] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError(f"max_retries must not be negative, not {self.max_retries}")
        if self.max_bytes < 1:
            raise ValueError(f"max_bytes must be positive, not {self.max_bytes}")

    def policy_for(self, host: str) -> HostPolicy:
        """The politeness policy for ``host`` (case-insensitive)."""
        host = host.lower()
        for name, policy in self.hosts.items():
            if name.lower() == host:
                return policy
        return self.default_host


@dataclass(frozen=True)
class PreviousFetch:
    """What the store remembers of the last fetch of the same request."""

    etag: str | None
    last_modified: str | None
    sha256: str
    content_type: str | None = None  # reused on a 304, which usually has none


class BodyArchive(Protocol):
    """Where bodies are kept by their sha256 (archive.Archive): the client writes every body it
    returns and reads one back to answer a 304; it is handed one, so it never imports the store."""

    def get(self, sha256: str) -> bytes: ...

    def put(self, body: bytes) -> tuple[str, str]: ...


class ValidatorLookup(Protocol):
    """Finds the previous fetch of ``(source, url, request_key)``, or None."""

    def __call__(self, source: str, url: str, request_key: str) -> PreviousFetch | None: ...


@dataclass(frozen=True)
class FetchResult:
    """One HTTP response and its provenance; ``body`` is also in the archive at ``archive_path``."""

    source: str
    method: str
    url: str  # the requested URL with its query string, secret values REDACTED
    final_url: str  # after redirects, secret values REDACTED
    request: dict[str, Any]  # JSON-able: method, url, params, headers, form, json (redacted)
    request_key: str  # identifies "the same request" for conditional GET
    status_code: int  # the real status: 304 when not modified
    retrieved_at: datetime  # UTC, tz-aware
    sha256: str  # of the body; for a 304, of the archived body reused
    size: int
    content_type: str | None
    etag: str | None
    last_modified: str | None
    archive_path: str  # relative to the archive root
    not_modified: bool  # True on 304: the body is the archived one, no need to re-parse
    body: bytes = field(repr=False)
    # The answer says it may be incomplete (e.g. a Virtuoso partial-result header, see
    # sources/virtuoso.py): recorded in the fetch row, and kept when a 304 reuses the body.
    warning: str | None = None

    @property
    def charset(self) -> str | None:
        """The charset named in the Content-Type header, if any."""
        if not self.content_type:
            return None
        msg = Message()
        msg["content-type"] = self.content_type
        return msg.get_content_charset()

    def text(self, errors: str = "strict") -> str:
        """The body decoded with the Content-Type charset (default UTF-8).

        With ``errors="strict"`` invalid bytes raise UnicodeDecodeError; the caller decides
        whether that is a ParseError.
        """
        charset = self.charset or "utf-8"
        try:
            return self.body.decode(charset, errors)
        except LookupError:  # an unknown charset name
            return self.body.decode("utf-8", errors)


# --- internals -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Prepared:
    source: str
    method: str
    url: str  # the real URL (with secrets), only ever sent, never recorded
    safe_url: str
    host: str
    headers: dict[str, str]
    data: Mapping[str, str] | None
    json: Any
    request: dict[str, Any]
    request_key: str
    secrets: tuple[str, ...]
    archive: bool = True  # False: the answer carries a credential (an OAuth token)
    content: bytes | None = None  # a raw request body (a SOAP envelope), sent as is
    origin: str = ""  # host:port, what a refused connection or a failed name lookup is about

    @property
    def label(self) -> str:
        return f"{self.source}: {self.method} {self.safe_url}"

    @property
    def request_line(self) -> str:
        """The full request, for `--verbose` and `sources --format json` (secrets redacted)."""
        return f"{self.method} {self.safe_url}"

    def scrub(self, text: str) -> str:
        """Remove secret values from a text that did not come from us (an exception message)."""
        for secret in self.secrets:
            for form in {secret, quote(secret, safe=""), quote_plus(secret)}:
                text = text.replace(form, REDACTED)
        return text


@dataclass(frozen=True)
class _Reply:
    status_code: int
    headers: httpx.Headers
    final_url: str
    retrieved_at: datetime
    body: bytes


class _Unreachable(Exception):
    """Raised by _HostGate.slot for a request whose host was found unreachable meanwhile."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _HostGate:
    """Per-host semaphore plus a minimum interval between request starts."""

    def __init__(
        self, policy: HostPolicy, clock: Callable[[], float], sleep: Callable[[float], None]
    ):
        self._slots = threading.BoundedSemaphore(policy.concurrency)
        self._interval = policy.min_interval
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_start = float("-inf")

    @contextmanager
    def slot(self, unreachable: Callable[[], str | None] = lambda: None) -> Iterator[None]:
        """Wait for a free slot and the minimum interval. `unreachable()` is asked before and
        after the wait: requests queued for a host found unreachable meanwhile give up at once
        (raising _Unreachable) instead of each waiting its turn for nothing."""
        with self._slots:
            for check in (True, False):
                down = unreachable()
                if down is not None:
                    raise _Unreachable(down)
                if not check:
                    break
                with self._lock:  # reserve a start time, then wait for it outside the lock
                    now = self._clock()
                    start = max(now, self._next_start)
                    self._next_start = start + self._interval
                if start > now:
                    self._sleep(start - now)
            yield


# --- the client ------------------------------------------------------------------------------


class HttpClient:
    """Thread-safe HTTP client shared by all sources (one ``httpx.Client`` underneath)."""

    def __init__(
        self,
        settings: HttpSettings,
        archive: BodyArchive,
        validators: ValidatorLookup | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self._archive = archive
        self._validators = validators
        self._sleep = sleep
        self._clock = clock
        self._client = httpx.Client(
            follow_redirects=True,
            timeout=httpx.Timeout(settings.timeout),
            # Only codings that Inflater can bound (no br/zstd even if installed).
            headers={"User-Agent": settings.user_agent, "Accept-Encoding": "gzip, deflate"},
            transport=transport,
            # One TLS context for every connection pool: with proxies from the environment httpx
            # builds a pool per proxy, and loading the CA bundle costs ~50 ms of CPU each time.
            verify=httpx.create_ssl_context(),
        )
        self._lock = threading.Lock()
        self._gates: dict[str, _HostGate] = {}
        self._stats = dict.fromkeys(("requests", "retries", "not_modified", "errors", "bytes", "answered"), 0)
        self._down: dict[str, str] = {}  # host:port -> why it could not be reached (not asked again)
        self._failures: dict[str, list[dict[str, str]]] = {}  # source -> its failed requests
        self._responses: dict[str, list[FetchResult]] = {}  # per source, see responses()

    # public API

    def get(
        self,
        source: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        conditional: bool = True,
        ok_statuses: Collection[int] = (),
    ) -> FetchResult:
        """GET ``url`` for ``source``; ``ok_statuses`` are non-2xx statuses to return, not raise."""
        prep = self._prepare(source, "GET", url, params=params, headers=headers)
        return self._fetch(prep, conditional, ok_statuses)

    def post(
        self,
        source: str,
        url: str,
        *,
        data: Mapping[str, str] | None = None,
        json: Any = None,
        content: bytes | None = None,
        secrets: Collection[str] = (),
        headers: Mapping[str, str] | None = None,
        conditional: bool = False,
        ok_statuses: Collection[int] = (),
        archive: bool = True,
    ) -> FetchResult:
        """POST a form (``data``), a JSON body (``json``) or a raw body (``content``, e.g. a SOAP
        envelope) to ``url`` for ``source``.

        ``secrets`` are values inside a raw body (a session token) that must never be recorded:
        the fetch row keeps the body with them replaced by REDACTED, and messages are scrubbed.
        ``archive=False`` is for answers that carry a credential (an OAuth token): the body is
        hashed but never written to the archive, and the caller must not record the fetch."""
        if sum(x is not None for x in (data, json, content)) > 1:
            raise ValueError("post() takes one of data, json or content")
        prep = self._prepare(source, "POST", url, headers=headers, data=data, json_body=json,
                             content=content, body_secrets=secrets)
        if not archive:
            prep = replace(prep, archive=False)
            conditional = False
        return self._fetch(prep, conditional, ok_statuses)

    def responses(self, source: str) -> list[FetchResult]:
        """Every response returned for `source` since the last call, in the order returned (not
        those of ``archive=False`` requests, which must not be recorded). refresh/run.py records them
        all as fetch rows, so that the store has the validators of every answer (an empty search
        answer included) for the next run's conditional requests."""
        with self._lock:
            return self._responses.pop(source, [])

    @property
    def stats(self) -> dict[str, int]:
        """Counters for this client: requests, retries, not_modified, errors, bytes, answered
        (responses received, whatever their status)."""
        with self._lock:
            return dict(self._stats)

    def failures(self, source: str) -> list[dict[str, str]]:
        """The requests of `source` that failed ({"request", "reason", "at"}), the first
        MAX_FAILURES_KEPT of them."""
        with self._lock:
            return list(self._failures.get(source, ()))

    @property
    def unreachable(self) -> dict[str, str]:
        """The host:port pairs that could not be reached (resolved, connected to) in this
        client's life, and why."""
        with self._lock:
            return dict(self._down)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # steps

    def _prepare(
        self,
        source: str,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        json_body: Any = None,
        content: bytes | None = None,
        body_secrets: Collection[str] = (),
    ) -> _Prepared:
        headers = dict(headers or {})
        try:
            # Merge, not replace: a query string configured in the endpoint URL (an API key, a
            # dataset id) must survive the source's own parameters (httpx replaces it).
            target = httpx.URL(url).copy_merge_params(params) if params else url
            request = self._client.build_request(method, target, headers=headers)
        except (httpx.InvalidURL, httpx.UnsupportedProtocol, ValueError) as exc:
            safe = redact_url(url)
            detail = str(exc).replace(url, safe)
            raise SourceError(f"{source}: {method} {safe}: invalid URL ({detail})") from None
        full_url = str(request.url)
        safe_url = redact_url(full_url)

        secrets = [v for k, v in headers.items() if is_secret_header(k)]
        secrets += [v for k, v in request.url.params.multi_items() if is_secret_param(k)]
        secrets += [str(v) for k, v in (data or {}).items() if is_secret_param(k)]
        secrets += list(json_secrets(json_body))
        secrets += [v for v in body_secrets if v]
        if request.url.password:
            secrets.append(request.url.password)
        secrets = sorted({s for s in secrets if len(s) >= 3}, key=len, reverse=True)

        safe_headers = {k: REDACTED if is_secret_header(k) else v for k, v in headers.items()}
        desc: dict[str, Any] = {"method": method, "url": safe_url}
        if params:
            desc["params"] = {
                k: REDACTED if is_secret_param(k) else str(v) for k, v in params.items()
            }
        if headers:
            desc["headers"] = safe_headers
        if data is not None:
            desc["form"] = {k: REDACTED if is_secret_param(k) else str(v) for k, v in data.items()}
        if json_body is not None:
            desc["json"] = redact_json(json_body)
        if content is not None:
            shown = content.decode("utf-8", errors="replace")
            for secret in sorted({v for v in body_secrets if v}, key=len, reverse=True):
                shown = shown.replace(secret, REDACTED)
            desc["body"] = shown

        # The key covers the caller's headers too: CELLAR and BOE pick the representation by
        # Accept, so the same URL with another Accept is another request. Secret values are
        # left out (redacted), so rotating a token does not lose the validators.
        key_doc = {
            "method": method,
            "url": safe_url,
            "headers": sorted([k.lower(), v] for k, v in safe_headers.items()),
            "form": sorted(desc["form"].items()) if "form" in desc else None,
            "json": desc.get("json"),
        }
        if "body" in desc:  # only then: the keys of every other request stay as they were
            key_doc["body"] = desc["body"]
        canonical = jsonlib.dumps(
            key_doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
        )
        return _Prepared(
            source=source,
            method=method,
            url=full_url,
            safe_url=safe_url,
            host=(request.url.host or "").lower(),
            origin=f"{(request.url.host or '').lower()}:{request.url.port or _DEFAULT_PORTS.get(request.url.scheme)}",
            headers=headers,
            data=data,
            json=json_body,
            content=content,
            request=desc,
            request_key=hashlib.sha256(canonical.encode("utf-8")).hexdigest(),
            secrets=tuple(secrets),
        )

    def _fetch(self, prep: _Prepared, conditional: bool, ok: Collection[int]) -> FetchResult:
        try:
            previous = None
            if conditional and self._validators is not None:
                previous = self._validators(prep.source, prep.safe_url, prep.request_key)
            validators: dict[str, str] = {}
            if previous is not None:
                if previous.etag:
                    validators["If-None-Match"] = previous.etag
                if previous.last_modified:
                    validators["If-Modified-Since"] = previous.last_modified
            if not validators:
                previous = None
            reply = self._send(prep, validators, ok)
            if reply.status_code == 304:
                if previous is None:
                    raise self._error(prep, f"HTTP 304 from {prep.host} to a request without validators")
                body = self._archived(previous.sha256)
                if body is not None:
                    return self._result(prep, reply, body, previous)
                log.warning(
                    "%s: archived body %s missing or altered; refetching unconditionally",
                    prep.label,
                    previous.sha256,
                )
                reply = self._send(prep, {}, ok)
                if reply.status_code == 304:
                    raise self._error(prep, f"HTTP 304 from {prep.host} to an unconditional request")
            return self._result(prep, reply, reply.body, None)
        except SourceError as exc:
            self._count("errors")
            self._record_failure(prep, exc)
            raise

    def _error(self, prep: _Prepared, message: str, *, network: bool = False) -> SourceError:
        """A SourceError with a short message and the full request kept beside it."""
        return SourceError(message, request=prep.request_line, network=network)

    def _record_failure(self, prep: _Prepared, exc: SourceError) -> None:
        with self._lock:
            kept = self._failures.setdefault(prep.source, [])
            if len(kept) < MAX_FAILURES_KEPT:
                kept.append({"request": exc.request or prep.request_line, "reason": str(exc),
                             "at": datetime.now(UTC).isoformat(timespec="seconds")})

    def _archived(self, sha256: str) -> bytes | None:
        try:
            body = self._archive.get(sha256)
        except (FileNotFoundError, ValueError):
            return None
        return body if hashlib.sha256(body).hexdigest() == sha256 else None

    def _result(
        self, prep: _Prepared, reply: _Reply, body: bytes, previous: PreviousFetch | None
    ) -> FetchResult:
        digest, rel = self._archive.put(body) if prep.archive else (hashlib.sha256(body).hexdigest(), "")
        headers = reply.headers
        if previous is not None:
            self._count("not_modified")
        result = FetchResult(
            source=prep.source,
            method=prep.method,
            url=prep.safe_url,
            final_url=redact_url(reply.final_url),
            request=prep.request,
            request_key=prep.request_key,
            status_code=reply.status_code,
            retrieved_at=reply.retrieved_at,
            sha256=digest,
            size=len(body),
            content_type=headers.get("content-type") or (previous and previous.content_type),
            etag=headers.get("etag") or (previous and previous.etag),
            last_modified=headers.get("last-modified") or (previous and previous.last_modified),
            archive_path=rel,
            not_modified=previous is not None,
            body=body,
            warning=partial_result_warning(headers),
        )
        if prep.archive:
            with self._lock:
                self._responses.setdefault(prep.source, []).append(result)
        return result

    def _send(self, prep: _Prepared, extra: Mapping[str, str], ok: Collection[int]) -> _Reply:
        """One request with retries; returns a 2xx/304/``ok`` reply or raises SourceError (whose
        message is short and names the host; the full request is its ``request``)."""
        attempts = self.settings.max_retries + 1
        failure, error = "no attempt made", ""  # what went wrong, and the exception's name
        headers = {**prep.headers, **extra}
        def unreachable() -> str | None:  # found so earlier in this run: not asked again
            with self._lock:
                return self._down.get(prep.origin)

        for attempt in range(1, attempts + 1):
            retry_after: str | None = None
            try:
                request = self._client.build_request(
                    prep.method, prep.url, headers=headers, data=prep.data, json=prep.json,
                    content=prep.content,
                )
                with self._gate(prep.host).slot(unreachable):
                    self._count("requests")
                    log.debug("%s (attempt %d of %d)", prep.label, attempt, attempts)
                    response = self._client.send(request, stream=True)
                    self._count("answered")
                    try:
                        status = response.status_code
                        if 200 <= status < 300 or status == 304 or status in ok:
                            retrieved_at = datetime.now(UTC)
                            body = self._read_body(prep, response)
                            return _Reply(
                                status, response.headers, str(response.url), retrieved_at, body
                            )
                        failure = f"HTTP {status} {response.reason_phrase}".rstrip() + f" from {prep.host}"
                        error = ""
                        if status not in RETRY_STATUSES:
                            raise self._error(prep, failure)
                        if status in RETRY_AFTER_STATUSES:
                            retry_after = response.headers.get("retry-after")
                    finally:
                        response.close()
            except _Unreachable as exc:
                raise self._error(prep, exc.reason, network=True) from None
            except _RETRYABLE_ERRORS as exc:
                (failure, down), error = self._describe(prep, exc), type(exc).__name__
                if down:
                    message = _failure(failure, error, attempt)
                    with self._lock:
                        self._down.setdefault(prep.origin, message)
                    raise self._error(prep, message, network=True) from None
            except (httpx.HTTPError, httpx.InvalidURL) as exc:
                failure, _ = self._describe(prep, exc)
                raise self._error(prep, f"{failure} ({type(exc).__name__})") from None
            if attempt == attempts:
                break
            delay = self._retry_delay(prep, attempt, failure, retry_after)
            self._count("retries")
            log.debug("%s: %s; retrying in %.1f s", prep.label, failure, delay)
            self._sleep(delay)
        raise self._error(prep, _failure(failure, error, attempts))

    def _retry_delay(
        self, prep: _Prepared, attempt: int, failure: str, retry_after: str | None
    ) -> float:
        s = self.settings
        if retry_after is not None:
            wait = parse_retry_after(retry_after)
            if wait is not None:
                if wait > s.max_retry_after:
                    raise self._error(
                        prep, f"{failure} with Retry-After of {wait:.0f} s, longer than "
                        f"the {s.max_retry_after:.0f} s limit; giving up"
                    )
                return wait
        delay = min(s.backoff_max, s.backoff_base * 2 ** (attempt - 1))
        return min(s.backoff_max, delay + random.uniform(0, delay * 0.1))

    def _read_body(self, prep: _Prepared, response: httpx.Response) -> bytes:
        cap = self.settings.max_bytes
        too_big = f"response from {prep.host} exceeds the size cap of {cap} bytes"
        length = response.headers.get("content-length", "")
        if length.strip().isdecimal() and int(length) > cap:
            raise self._error(prep, f"{too_big} (Content-Length: {int(length)})")
        codings = [
            c.strip().lower()
            for c in response.headers.get("content-encoding", "").split(",")
            if c.strip() and c.strip().lower() != "identity"
        ]
        if not codings:
            decoder: Inflater | Identity = Identity()
        elif len(codings) == 1 and codings[0] in ("gzip", "x-gzip", "deflate"):
            decoder = Inflater(codings[0])
        else:
            raise self._error(prep, f"unsupported Content-Encoding {', '.join(codings)} from {prep.host}")
        chunks: list[bytes] = []
        total = 0
        try:
            for raw in response.iter_raw():
                for piece in decoder.feed(raw):
                    total += len(piece)
                    if total > cap:
                        raise self._error(prep, too_big)
                    chunks.append(piece)
            for piece in decoder.finish():
                total += len(piece)
                chunks.append(piece)
        except zlib.error as exc:
            raise self._error(prep, f"cannot decode the {codings[0]} body from {prep.host} ({exc})") from None
        self._count("bytes", total)
        return b"".join(chunks)

    # helpers

    def _gate(self, host: str) -> _HostGate:
        with self._lock:
            gate = self._gates.get(host)
            if gate is None:
                gate = _HostGate(self.settings.policy_for(host), self._clock, self._sleep)
                self._gates[host] = gate
            return gate

    def _count(self, name: str, n: int = 1) -> None:
        with self._lock:
            self._stats[name] += n

    def _describe(self, prep: _Prepared, exc: BaseException) -> tuple[str, bool]:
        """What went wrong, in a few words naming the host (never the URL), and whether the host
        could not be reached at all (not worth another attempt)."""
        host = prep.host or "the server"
        cause: BaseException | None = exc
        while cause is not None:
            if isinstance(cause, socket.gaierror):
                return f"cannot resolve {host}", True
            if isinstance(cause, OSError) and cause.errno in _UNREACHABLE:
                if cause.errno == errno.ECONNREFUSED:
                    return f"connection refused by {host}", True
                return f"no route to {host} ({errno.errorcode.get(cause.errno, cause.errno)})", True
            cause = cause.__cause__ or cause.__context__
        text = str(exc)
        lowered = text.lower()
        if isinstance(exc, httpx.ConnectError):  # a transport that keeps only the message
            if any(m in lowered for m in ("name or service not known", "name resolution", "nodename nor servname",
                                          "getaddrinfo failed")):
                return f"cannot resolve {host}", True
            if "connection refused" in lowered:
                return f"connection refused by {host}", True
        if isinstance(exc, httpx.ConnectTimeout):
            return f"no connection to {host} within {self.settings.timeout:g} s", False
        if isinstance(exc, httpx.TimeoutException):
            return f"no answer from {host} within {self.settings.timeout:g} s", False
        if isinstance(exc, httpx.RemoteProtocolError):
            return f"{host} closed the connection mid-answer", False
        if isinstance(exc, httpx.TooManyRedirects):
            return f"too many redirects from {host}", False
        # The exception's own words, without any URL in them (the request is kept apart).
        detail = one_line(_URL_IN_TEXT.sub(host, prep.scrub(text)), 120)
        return (f"network error with {host}: {detail}" if detail else f"network error with {host}"), False


def _failure(what: str, error: str, attempts: int) -> str:
    """"cannot resolve host (ConnectError, 1 attempt)", "HTTP 503 ... from host (4 attempts)"."""
    tried = f"{attempts} attempt" if attempts == 1 else f"{attempts} attempts"
    return f"{what} ({error}, {tried})" if error else f"{what} ({tried})"
