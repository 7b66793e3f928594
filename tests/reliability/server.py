"""A local HTTP server on 127.0.0.1 that answers any path with a chosen fault or a good payload.

One harness for every source: `FaultServer.default` is what every request gets unless a route
(`FaultServer.route(pattern, answer)`, a regex searched in "METHOD path?query") says otherwise,
so a whole source can be pointed at it with COMPLIANCE_ENDPOINT_<NAME> and made to meet one fault
on every request, or a good listing and a hostile document.

An answer is a fault name from `FAULTS`, a `Good` payload, or a callable that returns a `Good`.
The faults are CONSTRUCTED (no bytes come from a real service): the bot challenge carries the
public Cloudflare markers ("Just a moment...", /cdn-cgi/challenge-platform/), the HTML error page
is a generic maintenance page, the XML attacks are the textbook billion-laughs and XXE documents.

Loopback only; every request loop is bounded by the client (retries, pages) and every sleep by
`stop()`, which wakes the sleeping handlers.
"""

from __future__ import annotations

import gzip
import re
import socket
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

# Every fault the harness can serve (the order is the order of the parametrized tests).
FAULTS = (
    "http-500",
    "http-502",
    "http-503-retry-after",
    "http-429",
    "timeout",
    "connection-reset",
    "truncated-body",
    "wrong-content-type",
    "html-error-page",
    "bot-challenge",
    "empty-200",
    "oversize",
    "gzip-bomb",
    "malformed-json",
    "malformed-xml",
    "billion-laughs",
    "xxe",
    "invalid-utf8",
)

# Size of the bodies the size faults send; tests set `[http] max_bytes` well below it.
OVERSIZE_BYTES = 600_000
GZIP_BOMB_EXPANDED = 20 * 1024 * 1024

HTML_ERROR_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>Service temporarily unavailable</title></head>"
    b"<body><h1>Maintenance</h1><p>The service is down for maintenance. Please try again later.</p>"
    b"</body></html>\n"
)
BOT_CHALLENGE = (
    b"<!DOCTYPE html><html lang=\"en-US\"><head><title>Just a moment...</title>"
    b"<meta http-equiv=\"refresh\" content=\"390\"></head><body><div id=\"challenge-container\">"
    b"<noscript>Enable JavaScript and cookies to continue</noscript></div>"
    b"<script>window._cf_chl_opt={cvId: '3'};</script>"
    b"<script src=\"/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1\"></script>"
    b"</body></html>\n"
)
MALFORMED_JSON = b'{"head": {"vars": ["x"]}, "results": {"bindings": [{"x": {"type": "literal", "value": '
MALFORMED_XML = b'<?xml version="1.0" encoding="UTF-8"?>\n<Dokument><Meta><DocumentTitle>x</Meta></Dokument'
BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<Dokument><Meta><DocumentTitle>&lol9;</DocumentTitle></Meta></Dokument>
"""
# The file named here must never reach the store: its first line is the marker tests grep for.
XXE_TARGET = "/etc/passwd"
XXE = f"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE Dokument [ <!ENTITY xxe SYSTEM "file://{XXE_TARGET}"> ]>
<Dokument><Meta><DocumentTitle>&xxe;</DocumentTitle><AccessionNumber>A20269999999</AccessionNumber>
</Meta><Titel>&xxe;</Titel></Dokument>
""".encode()
INVALID_UTF8 = b'{"title": "Lov om \xe6ndring \xff\xfe", "items": [\xc3\x28]}'
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"


@dataclass(frozen=True)
class Good:
    """A good answer: body, status, content type and extra headers."""

    body: bytes
    content_type: str = "application/json"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


Answer = str | Good | Callable[["Request"], "Good | str"]


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes

    @property
    def target(self) -> str:
        return f"{self.method} {self.path}" + (f"?{self.query}" if self.query else "")


class FaultServer:
    """The server; `url(path)` gives an absolute URL on it."""

    def __init__(self, *, timeout_sleep: float = 3.0, delay: float = 0.0) -> None:
        self.default: Answer = "http-500"
        self.routes: list[tuple[re.Pattern[str], Answer]] = []
        self.hits: list[Request] = []
        self.timeout_sleep = timeout_sleep  # how long the "timeout" fault keeps the client waiting
        self.delay = delay  # a pause before every answer (a slow server, for the crash tests)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        handler = type("Handler", (_Handler,), {"harness": self})
        self._server = _Server(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="fault-server", daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def url(self, path: str = "/") -> str:
        return self.base + (path if path.startswith("/") else "/" + path)

    def route(self, pattern: str, answer: Answer) -> None:
        """Answer requests whose "METHOD path?query" matches `pattern` (first route wins)."""
        self.routes.append((re.compile(pattern), answer))

    def answer_for(self, req: Request) -> Good | str:
        with self._lock:
            self.hits.append(req)
        answer: Answer = self.default
        for pattern, candidate in self.routes:
            if pattern.search(req.target):
                answer = candidate
                break
        return answer(req) if callable(answer) else answer

    def sleep(self, seconds: float) -> None:
        self._stop.wait(seconds)

    def start(self) -> FaultServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FaultServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request, client_address) -> None:  # noqa: ANN001 - resets are on purpose
        pass


class _Handler(BaseHTTPRequestHandler):
    harness: FaultServer
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server API
        self._handle("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._handle("POST")

    def _handle(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        req = Request(method, parts.path, parts.query, {k.lower(): v for k, v in self.headers.items()}, body)
        answer = self.harness.answer_for(req)
        if self.harness.delay:
            self.harness.sleep(self.harness.delay)
        if isinstance(answer, Good):
            self._send(answer.status, answer.body, answer.content_type, answer.headers)
            return
        getattr(self, "_fault_" + answer.replace("-", "_"))()

    # plumbing

    def _send(self, status: int, body: bytes, content_type: str | None, headers: dict[str, str] | None = None,
              *, length: int | None = None) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.send_header("Connection", "close")
        self.end_headers()
        try:
            self.wfile.write(body)
            self.wfile.flush()
        except OSError:
            pass
        self.close_connection = True

    # the faults

    def _fault_http_500(self) -> None:
        self._send(500, b"Internal Server Error\n", "text/plain")

    def _fault_http_502(self) -> None:
        self._send(502, b"<html><body><h1>502 Bad Gateway</h1></body></html>\n", "text/html")

    def _fault_http_503_retry_after(self) -> None:
        self._send(503, b"Service Unavailable\n", "text/plain", {"Retry-After": "0"})

    def _fault_http_429(self) -> None:
        self._send(429, b'{"error": "Too Many Requests"}', "application/json")

    def _fault_timeout(self) -> None:
        self.harness.sleep(self.harness.timeout_sleep)  # longer than the client's timeout
        self._send(200, b"[]", "application/json")

    def _fault_connection_reset(self) -> None:
        # SO_LINGER 0: close() sends a TCP RST instead of a clean FIN, before any byte of a response.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True
        self.wfile = _Sink()

    def _fault_truncated_body(self) -> None:
        body = b'{"head": {"vars": ["a"]}, "results": {"bindings": ['
        self._send(200, body, "application/json", length=len(body) + 4096)

    def _fault_wrong_content_type(self) -> None:
        self._send(200, PNG + bytes(range(256)) * 4, "image/png")

    def _fault_html_error_page(self) -> None:
        self._send(200, HTML_ERROR_PAGE, "text/html; charset=utf-8")

    def _fault_bot_challenge(self) -> None:
        self._send(200, BOT_CHALLENGE, "text/html; charset=UTF-8",
                   {"Server": "cloudflare", "cf-mitigated": "challenge"})

    def _fault_empty_200(self) -> None:
        self._send(200, b"", "application/json")

    def _fault_oversize(self) -> None:
        # No Content-Length (the end of the body is the end of the connection): only counting the
        # bytes as they arrive can stop it.
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Connection", "close")
        self.end_headers()
        chunk = b'{"pad": "' + b"x" * 8180 + b'"},\n'
        try:
            self.wfile.write(b"[")
            for _ in range(OVERSIZE_BYTES // len(chunk) + 1):
                self.wfile.write(chunk)
            self.wfile.write(b"{}]")
        except OSError:
            pass
        self.close_connection = True

    def _fault_gzip_bomb(self) -> None:
        self._send(200, _gzip_bomb(), "application/json", {"Content-Encoding": "gzip"})

    def _fault_malformed_json(self) -> None:
        self._send(200, MALFORMED_JSON, "application/json")

    def _fault_malformed_xml(self) -> None:
        self._send(200, MALFORMED_XML, "application/xml")

    def _fault_billion_laughs(self) -> None:
        self._send(200, BILLION_LAUGHS, "application/xml")

    def _fault_xxe(self) -> None:
        self._send(200, XXE, "application/xml")

    def _fault_invalid_utf8(self) -> None:
        self._send(200, INVALID_UTF8, "application/json; charset=utf-8")


class _Sink:
    """Swallows what the base handler still writes after a reset."""

    closed = False

    def write(self, data: bytes) -> int:
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass


_BOMB: bytes | None = None


def _gzip_bomb() -> bytes:
    """~20 MiB of zeros gzipped to ~20 KiB (built once)."""
    global _BOMB
    if _BOMB is None:
        _BOMB = gzip.compress(b"\0" * GZIP_BOMB_EXPANDED, compresslevel=9)
    return _BOMB
