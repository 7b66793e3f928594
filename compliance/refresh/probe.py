"""`compliance sources --probe`: does every source still answer as the tool expects?

One small canary request per source against its configured endpoint (the `[endpoints]` /
`COMPLIANCE_ENDPOINT_<NAME>` the refresh would use), through the same HTTP client (limits,
retries, size cap), checking the answer's shape with the source's own parser and one fact that is
known to hold (for CELLAR: a long-transposed directive has national measures from at least 25
Member States). A source module offers its canary as `probe(ctx) -> str` (what it found, on
success). The outcome per source:

* `ok`: the answer has the expected shape and the fact holds;
* `drift`: an answer came, but not the one the parsers read (ParseError), it is marked
  incomplete, or the fact does not hold: the source changed, or the endpoint is not the source;
* `unreachable`: no usable answer (connection, timeout, HTTP error, a bot check or an HTML page);
* `unavailable`: the source cannot run here (registered unavailable, or missing credentials);
* `no-canary`: the source defines no canary yet (not probed).

Nothing is stored: the answers go to a temporary archive that is removed afterwards, and no
conditional request is made (a 304 would prove nothing). Exit code 4 when any source drifted or
was unreachable.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import asdict, dataclass
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import BlockedError, ParseError, SourceError

if TYPE_CHECKING:
    from ..catalogue.load import Catalogue
    from ..config.settings import Settings
    from ..http import HttpClient

FAILING = ("drift", "unreachable")


@dataclass(frozen=True)
class ProbeResult:
    source: str
    status: str  # ok | drift | unreachable | unavailable | no-canary
    reason: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


_QUERY = re.compile(r"(https?://[^\s?]+)\?\S+")


def _one_line(text: object) -> str:
    """One line, with the query strings of URLs (a whole SPARQL query) shortened to `?…`."""
    return _QUERY.sub(r"\1?…", " ".join(str(text).split()))[:400]


def probe_source(name: str, settings: Settings, catalogue: Catalogue, http: HttpClient) -> ProbeResult:
    from ..sources import SOURCES
    from ..sources.base import SourceContext

    info = SOURCES[name]
    if info.unavailable:
        return ProbeResult(name, "unavailable", _one_line(info.unavailable))
    if not info.available():
        return ProbeResult(name, "unavailable", f"module {info.module} is not installed")
    module = import_module(info.module)
    canary = getattr(module, "probe", None)
    if canary is None:
        return ProbeResult(name, "no-canary", "no canary request is defined for this source yet: not probed")
    ctx = SourceContext(settings=settings, catalogue=catalogue, http=http)
    try:
        return ProbeResult(name, "ok", _one_line(canary(ctx)))
    except ParseError as exc:
        return ProbeResult(name, "drift", _one_line(exc))
    except BlockedError as exc:
        return ProbeResult(name, "unreachable", _one_line(f"blocked: {exc}"))
    except SourceError as exc:
        if exc.status == "unavailable":
            return ProbeResult(name, "unavailable", _one_line(exc))
        if exc.status == "suspect":
            return ProbeResult(name, "drift", _one_line(exc))
        return ProbeResult(name, "unreachable", _one_line(exc))


def run_probes(settings: Settings, catalogue: Catalogue, names: list[str] | None = None) -> list[ProbeResult]:
    """The canary of every registered source (or of `names`), one after another."""
    from ..http import HttpClient
    from ..sources import SOURCES
    from ..store.archive import Archive
    from .run import http_settings

    wanted = names or sorted(SOURCES)
    with tempfile.TemporaryDirectory(prefix="compliance-probe-") as scratch, \
            HttpClient(http_settings(settings), Archive(Path(scratch) / "archive")) as http:
        return [probe_source(name, settings, catalogue, http) for name in wanted]
