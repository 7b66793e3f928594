"""A local replay server for every source, run as its own process, that adds latency to each answer.

Each source's endpoint host gets its own loopback address (127.0.0.2, 127.0.0.3 ...), as the real
services have their own hosts, so that the per-host politeness policy applies per source. The
answers come from the fakes the source tests use (tests/sources/..., serving tests/fixtures/*,
all CONSTRUCTED), through the same httpx.Request/httpx.Response interface as respx; for EUR-Lex
the fake CELLAR holds generated NIM rows (benchmarks/_common.py) for every catalogued directive
and metadata for every catalogued act. Every answer waits `--latency` seconds. A GET answered 200
carries an ETag (sha256 of the body) and a Last-Modified; a GET with a matching If-None-Match,
or with If-Modified-Since and no If-None-Match, is answered 304.

Excluded sources (the reason is printed by the benchmarks):
  gazette-dk  one harvest call per 10 s (HARVEST_PACER, sources.md §2.3) and service hours:
              its floor is set by that pacer, not by the HTTP politeness policy
  gazette-at  RIS_PACER: 1 s between requests (the RIS guidance), likewise
  gazette-nl  the documents are fetched from URLs named in the SRU answer (repository.overheid.nl),
              which a local server cannot take over

Usage (the benchmarks start it): python benchmarks/_replay.py --latency 0.1 --per-state 100
prints one JSON line {"control": url, "env": {...}, "hosts": {...}} and serves until killed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx  # noqa: E402

EXCLUDED = {
    "gazette-dk": "one harvest call per 10 s (HARVEST_PACER, sources.md 2.3) and service hours 03:00-23:45 "
                  "Danish time: its floor is set by the source's own pacer, not by the HTTP politeness policy",
    "gazette-at": "RIS_PACER waits 1 s between requests (the RIS bulk guidance): its floor is set by the "
                  "source's own pacer, not by the HTTP politeness policy",
    "gazette-nl": "documents are fetched from URLs named in the SRU answer (repository.overheid.nl), which "
                  "a local server cannot take over",
}
LAST_MODIFIED = "Sun, 22 Nov 2026 06:00:00 GMT"


@dataclass
class Service:
    source: str
    endpoints: dict[str, str]  # endpoint name -> the URL the source's tests use
    handler: Callable[[httpx.Request], httpx.Response]
    env: dict[str, str] = field(default_factory=dict)


def _eurlex(per_state: int) -> Service:
    from _common import directives, nim_bindings

    from compliance.catalogue.load import load
    from tests.sources import test_eurlex as t

    fake = t.FakeCellar()
    catalogue = load()
    for measure in catalogue.measures.values():
        if not measure.celex:
            continue
        dates = sorted(o.date for o in measure.obligations if o.type == "transposition" and o.date)
        fake.metadata[measure.celex] = t.metadata_rows(measure.celex, dates[0].isoformat() if dates else None)
    for index, measure in enumerate(directives(catalogue)):
        fake.nims[measure.celex] = list(nim_bindings(measure.celex, per_state, seed=index))
    return Service("eurlex", {"EURLEX_SPARQL": t.FAKE_ENDPOINT}, fake)


def _infringements() -> Service:
    from tests.sources import test_infringements as t

    return Service("infringements", {"INFRINGEMENTS": t.FAKE_ENDPOINT}, t.FakeRegister(t.fixture_records()))


def _coe() -> Service:
    from tests.sources import test_coe_treaties as t

    fake = t.FakeTreatyOffice()

    def handler(request: httpx.Request) -> httpx.Response:
        return fake.page(request) if request.url.host == "page.test" else fake.chart(request)

    return Service("coe-treaties", {"COE_TREATIES": t.WS, "COE_TREATIES_PAGE": t.PAGE}, handler)


def _oeil() -> Service:
    from tests.sources import test_oeil as t

    fake = t.FakeEP()
    fake.oeil["2021/0411(COD)"] = t.html(t.fixture(t.INFO_EXCHANGE))
    fake.oeil["2021/0415(CNS)"] = t.html(t.fixture(t.OPERATIONAL))
    fake.odp["2021-0411"] = t.jsonld(t.fixture(t.ODP_INFO_EXCHANGE))
    return Service("oeil", {"OEIL": t.OEIL_URL, "EP_OPEN_DATA": t.ODP_URL}, fake)


def _council() -> Service:
    from tests.sources import test_council as t

    return Service("council", {"COUNCIL_REGISTER": t.REGISTER_URL}, t.FakeRegister())


def _gazettes() -> list[Service]:
    from tests.sources.gazettes import test_de, test_es, test_fi, test_fr, test_ie, test_lu, test_pl

    def estonia(request: httpx.Request) -> httpx.Response:
        # Riigi Teataja's search answering "no act found" (the shape of tests/sources/gazettes/test_ee.py).
        if request.url.path.endswith("/otsi"):
            return httpx.Response(200, json={"aktid": []})
        return httpx.Response(404)

    return [
        Service("gazette-de", {"GAZETTE_DE": test_de.API}, test_de.FakeNeuris()),
        Service("gazette-es", {"GAZETTE_ES": test_es.API}, test_es.FakeBoe()),
        Service("gazette-fi", {"GAZETTE_FI": test_fi.API}, test_fi.FakeFinlex()),
        Service("gazette-fr", {"GAZETTE_FR": test_fr.API, "GAZETTE_FR_OAUTH": test_fr.OAUTH}, test_fr.FakePiste(),
                env={"COMPLIANCE_PISTE_CLIENT_ID": test_fr.CLIENT, "COMPLIANCE_PISTE_CLIENT_SECRET": test_fr.SECRET}),
        Service("gazette-ie", {"GAZETTE_IE": test_ie.BASE}, test_ie.FakeIsb()),
        Service("gazette-lu", {"GAZETTE_LU": test_lu.BASE}, test_lu.FakeLegilux()),
        Service("gazette-pl", {"GAZETTE_PL": "https://api.sejm.gov.pl/eli"}, test_pl.FakeSejm()),
        Service("gazette-ee", {"GAZETTE_EE": "https://www.riigiteataja.ee"}, estonia),
    ]


def services(per_state: int) -> list[Service]:
    return [_eurlex(per_state), _infringements(), _coe(), _oeil(), _council(), *_gazettes()]


class Stats:
    """Requests per host. `conditional`: sent with If-None-Match or If-Modified-Since; `eligible`: a GET
    this server answered 200 with validators before (since the last `forget`), i.e. one the service
    lets be conditional; `eligible_conditional`: those of them that were sent conditional."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_host: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(
            ("requests", "not_modified", "get", "conditional", "eligible", "eligible_conditional"), 0))
        self.validated: set[tuple] = set()  # request keys answered 200 with validators
        self.missed: list[str] = []  # eligible requests sent without validators: "METHOD URL"

    def add(self, host: str, method: str, key: tuple, conditional: bool, not_modified: bool,
            validated: bool) -> None:
        with self.lock:
            row = self.by_host[host]
            row["requests"] += 1
            row["get"] += method == "GET"
            row["not_modified"] += not_modified
            row["conditional"] += conditional
            if key in self.validated:
                row["eligible"] += 1
                row["eligible_conditional"] += conditional
                if not conditional:
                    self.missed.append(f"{method} {key[1]}"[:300])
            if validated:
                self.validated.add(key)

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {"hosts": {h: dict(v) for h, v in self.by_host.items()}, "missed": list(self.missed)}

    def reset(self, forget: bool = False) -> None:
        with self.lock:
            self.by_host.clear()
            self.missed.clear()
            if forget:
                self.validated.clear()


def make_handler(fake_host: str, scheme: str, service: Service, latency: float, stats: Stats,
                 memo: dict, memo_lock: threading.Lock) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            url = f"{scheme}://{fake_host}{self.path}"
            key = (self.command, url, body, self.headers.get("Accept"), self.headers.get("Authorization"))
            with memo_lock:
                cached = memo.get(key)
            if cached is None:
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                request = httpx.Request(self.command, url, headers=headers, content=body)
                try:
                    response = service.handler(request)
                    status, content = response.status_code, response.content
                    ctype = response.headers.get("content-type")
                except Exception as exc:  # noqa: BLE001 - a fake that rejects the request: a 500, reported
                    status, content, ctype = 500, f"replay: {type(exc).__name__}: {exc}".encode(), "text/plain"
                cached = (status, content, ctype)
                with memo_lock:
                    memo[key] = cached
            status, content, ctype = cached
            etag = '"' + hashlib.sha256(content).hexdigest()[:32] + '"'
            not_modified = False
            inm = self.headers.get("If-None-Match")
            ims = self.headers.get("If-Modified-Since")
            validated = self.command == "GET" and status == 200
            if validated:
                not_modified = inm == etag if inm is not None else ims == LAST_MODIFIED
            time.sleep(latency)
            stats.add(fake_host, self.command, key, inm is not None or ims is not None, not_modified, validated)
            if not_modified:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(status)
            if ctype:
                self.send_header("Content-Type", ctype)
            if self.command == "GET" and status == 200:
                self.send_header("ETag", etag)
                self.send_header("Last-Modified", LAST_MODIFIED)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        do_GET = do_POST = _answer  # noqa: N815 - http.server API

        def log_message(self, *args: object) -> None:
            pass

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away (a refresh process ending with idle keep-alive connections) is not
        an error worth a traceback; anything else is reported as usual."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class Control(BaseHTTPRequestHandler):
    stats: Stats

    def do_GET(self) -> None:  # noqa: N802
        body = json.dumps(self.stats.snapshot()).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:  # noqa: N802
        self.stats.reset(forget=self.path.rstrip("/").endswith("forget"))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def unreplayed(replayed: list[Service]) -> dict[str, str]:
    """Registered sources this server has no answers for (sources added after the benchmark was
    last extended): excluded with that reason rather than sent to the closed port."""
    from compliance.sources import SOURCES

    names = {s.source for s in replayed} | set(EXCLUDED)
    return {name: "no replayed answers for it in this benchmark yet" for name in sorted(SOURCES) if name not in names}


def serve(latency: float, per_state: int) -> None:
    stats = Stats()
    env: dict[str, str] = {}
    hosts: dict[str, dict[str, Any]] = {}
    servers = []
    octet = 2
    memo: dict = {}
    memo_lock = threading.Lock()
    for service in services(per_state):
        env.update(service.env)
        for name, test_url in service.endpoints.items():
            parts = urlsplit(test_url)
            fake_host = parts.hostname or ""
            if fake_host not in hosts:
                ip = f"127.0.0.{octet}"
                octet += 1
                handler = make_handler(fake_host, parts.scheme, service, latency, stats, memo, memo_lock)
                server = _Server((ip, 0), handler)
                servers.append(server)
                hosts[fake_host] = {"address": f"{ip}:{server.server_address[1]}", "source": service.source}
            address = hosts[fake_host]["address"]
            local = test_url.replace(f"{parts.scheme}://{parts.netloc}", f"http://{address}", 1)
            env[f"COMPLIANCE_ENDPOINT_{name}"] = local
    Control.stats = stats
    control = _Server(("127.0.0.1", 0), Control)
    servers.append(control)
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    print(json.dumps({"control": f"http://127.0.0.1:{control.server_address[1]}/", "env": env, "hosts": hosts,
                      "excluded": {**EXCLUDED, **unreplayed(services(per_state))}}), flush=True)
    threading.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--per-state", type=int, default=100, help="NIMs per directive and Member State")
    opts = parser.parse_args()
    serve(opts.latency, opts.per_state)


if __name__ == "__main__":
    main()
