"""Every parser under hypothesis: arbitrary bytes, and structured mutations of the CONSTRUCTED
fixtures and the real samples (byte flips, truncation, deleted or duplicated spans, JSON keys
and values, XML elements). A parser returns its result or raises one of the project's own
errors (compliance.errors.ComplianceError: ParseError, SourceError, BlockedError, ...), nothing
else: no KeyError, no UnicodeDecodeError, no lxml error, no RecursionError.

The parsers are discovered, not listed: every function of a source module (and of its *_parse
module) whose name starts with "parse" or "check" and whose first parameter is `body`, plus
every source's `parse_import`. A gazette module written after this file is fuzzed as soon as
it exists.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import os
from collections.abc import Callable
from importlib import import_module
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compliance.errors import ComplianceError
from compliance.sources import SOURCES

from . import harness

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
FUZZ = settings(max_examples=int(os.environ.get("COMPLIANCE_FUZZ_EXAMPLES", "100")), deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])
# Values for required parameters other than the body.
_ARGS = {"celex": "32011L0036", "year": 2013, "number": 1, "doc_type": "act", "what": "fuzzed payload",
         "name": "fuzzed.bin", "expected": None}
_PARSE_MODULES = {"eurlex": ["compliance.sources.eurlex_parse", "compliance.sources.eurlex_metadata",
                             "compliance.sources.eurlex_html"],
                  "infringements": ["compliance.sources.infringements_parse"],
                  "oeil": ["compliance.sources.oeil_parse", "compliance.sources.oeil_odp"],
                  "act-texts": ["compliance.sources.act_text_parse"]}

SOURCE_NAMES = harness.available_sources()


def _fixture_dir(source: str) -> Path:
    return FIXTURES / {"coe-treaties": "coe_treaties"}.get(source, source)


def _sample_dir(source: str) -> Path:
    if source.startswith("gazette-"):
        return SAMPLES / "gazettes" / source.removeprefix("gazette-")
    return SAMPLES / source


def _payloads(directory: Path) -> list[bytes]:
    if not directory.is_dir():
        return []
    return [p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file() and p.suffix != ".md"]


def parsers(source: str) -> list[tuple[str, Callable[[bytes], Any]]]:
    """(label, call) for every body parser of the source and its parse_import (with and without --measure)."""
    from compliance.catalogue import load as catalogue
    from compliance.config.settings import load_settings
    from compliance.sources.base import SourceContext

    info = SOURCES[source]
    out: list[tuple[str, Callable[[bytes], Any]]] = []
    for module_name in [info.module, *_PARSE_MODULES.get(source, [])]:
        module = import_module(module_name)
        for name, fn in sorted(vars(module).items()):
            if not (inspect.isfunction(fn) and fn.__module__ == module_name and name.startswith(("parse", "check"))):
                continue
            params = list(inspect.signature(fn).parameters.values())
            if not params or params[0].name != "body" or name == "parse_import":
                continue
            if any(p.default is inspect.Parameter.empty and p.name not in _ARGS for p in params[1:]):
                continue
            extra = {p.name: _ARGS[p.name] for p in params[1:] if p.default is inspect.Parameter.empty}
            out.append((f"{module_name}.{name}", lambda body, fn=fn, extra=extra: fn(body, **extra)))
    module = import_module(info.module)
    if hasattr(module, "parse_import"):
        settings_ = load_settings()
        cat = catalogue.load()
        measure = harness.setup_for(source).measure
        for measure_ids in (None, [measure]):
            ctx = SourceContext(settings=settings_, catalogue=cat, http=None, measure_ids=measure_ids)
            out.append((f"{info.module}.parse_import(measure_ids={measure_ids})",
                        lambda body, ctx=ctx: module.parse_import(body, "fuzzed.bin", ctx)))
    return out


def _run_all(calls: list[tuple[str, Callable[[bytes], Any]]], body: bytes) -> None:
    for label, call in calls:
        try:
            call(body)
        except ComplianceError:
            pass
        except Exception as exc:  # noqa: BLE001 - the point of the test
            raise AssertionError(f"{label} raised {type(exc).__name__}: {exc!s:.300} on {body[:120]!r}") from exc


# --- mutations -----------------------------------------------------------------------------------


_JSON_VALUES = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(allow_nan=True),
                         st.text(max_size=40), st.just([]), st.just({}), st.just("2099-13-45"),
                         st.just("<html>"), st.just("x" * 5000), st.lists(st.integers(), max_size=3))


def _json_nodes(doc: Any, path: tuple = ()) -> list[tuple]:
    nodes = [path]
    if isinstance(doc, dict):
        for k, v in doc.items():
            nodes += _json_nodes(v, (*path, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc[:20]):
            nodes += _json_nodes(v, (*path, i))
    return nodes


@st.composite
def _mutate_json(draw, raw: bytes) -> bytes:
    doc = json.loads(raw.decode("utf-8-sig"))
    nodes = [n for n in _json_nodes(doc) if n]
    if not nodes:
        return raw
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(nodes))
        parent = doc
        try:
            for step in path[:-1]:
                parent = parent[step]
            last = path[-1]
            op = draw(st.sampled_from(["delete", "replace", "duplicate"]))
            if op == "delete":
                del parent[last]
            elif op == "replace":
                parent[last] = draw(_JSON_VALUES)
            elif isinstance(parent, list):
                parent.insert(last, parent[last])
            else:
                parent[f"{last}_copy"] = parent[last]
        except (KeyError, IndexError, TypeError):
            continue
    return json.dumps(doc, ensure_ascii=draw(st.booleans())).encode()


@st.composite
def _mutate_xml(draw, raw: bytes) -> bytes:
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)
    root = etree.fromstring(raw, parser)
    elements = [e for e in root.iter() if e is not root and isinstance(e.tag, str)][:2000]
    if not elements:
        return raw
    for _ in range(draw(st.integers(1, 3))):
        el = draw(st.sampled_from(elements))
        parent = el.getparent()
        if parent is None:
            continue
        op = draw(st.sampled_from(["delete", "duplicate", "text", "attribute", "unwrap"]))
        if op == "delete":
            parent.remove(el)
        elif op == "duplicate":
            import copy

            parent.insert(parent.index(el), copy.deepcopy(el))
        elif op == "text":
            el.text = draw(st.text(max_size=60).map(lambda s: "".join(c for c in s if c.isprintable())))
        elif op == "attribute" and el.attrib:
            key = draw(st.sampled_from(sorted(el.attrib)))
            el.attrib[key] = draw(st.sampled_from(["", "x", "-1", "2099-99-99", "http://evil.invalid/"]))
        elif op == "unwrap":
            el.tag = "unexpected"
    return etree.tostring(root)


@st.composite
def mutated(draw, payloads: list[bytes]) -> bytes:
    raw = draw(st.sampled_from(payloads))
    kinds = ["flip", "truncate", "delete-span", "duplicate-span"]
    head = raw.lstrip()[:1]
    if head in (b"{", b"["):
        kinds.append("json")
    if head == b"<" and not raw.lstrip().lower().startswith((b"<!doctype html", b"<html")):
        kinds.append("xml")
    kind = draw(st.sampled_from(kinds))
    if kind == "json":
        try:
            return draw(_mutate_json(raw))
        except (ValueError, RecursionError):
            return raw
    if kind == "xml":
        from lxml import etree

        try:
            return draw(_mutate_xml(raw))
        except etree.LxmlError:
            return raw
    n = len(raw)
    if kind == "truncate":
        return raw[: draw(st.integers(0, n))]
    if kind == "flip":
        data = bytearray(raw)
        for _ in range(draw(st.integers(1, 8))):
            if data:
                i = draw(st.integers(0, len(data) - 1))
                data[i] ^= draw(st.integers(1, 255))
        return bytes(data)
    start = draw(st.integers(0, n))
    end = draw(st.integers(start, min(n, start + 4000)))
    if kind == "delete-span":
        return raw[:start] + raw[end:]
    return raw[:end] + raw[start:end] + raw[end:]


# --- the source parsers ----------------------------------------------------------------------------


@pytest.mark.parametrize("source", SOURCE_NAMES)
def test_source_parsers_on_arbitrary_bytes(source):
    calls = parsers(source)
    assert calls, f"no parser found for {source}"

    @FUZZ
    @given(body=st.one_of(st.binary(max_size=3000),
                          st.text(max_size=1500).map(lambda s: s.encode("utf-8", "surrogatepass")),
                          st.sampled_from([b"", b"{}", b"[]", b"null", b"<a/>", b"\xef\xbb\xbf", b'{"results": null}',
                                           b"<!DOCTYPE html><html></html>", b"[[], [], []]", b'"x"', b"1e999"])))
    def run(body: bytes) -> None:
        _run_all(calls, body)

    run()


@pytest.mark.parametrize("source", SOURCE_NAMES)
def test_source_parsers_on_mutated_fixtures(source):
    payloads = _payloads(_fixture_dir(source))
    if not payloads:
        pytest.skip(f"no constructed fixtures for {source} in {_fixture_dir(source)}")
    calls = parsers(source)

    @FUZZ
    @given(body=mutated(payloads))
    def run(body: bytes) -> None:
        _run_all(calls, body)

    run()


@pytest.mark.samples
@pytest.mark.parametrize("source", SOURCE_NAMES)
def test_source_parsers_on_mutated_real_samples(source):
    if not SAMPLES.is_dir():
        pytest.skip(f"real samples not present at {SAMPLES} (fresh clone)")
    payloads = _payloads(_sample_dir(source))
    if not payloads:
        pytest.skip(f"no real sample of {source} in {_sample_dir(source)} (none captured yet)")
    calls = parsers(source)

    @FUZZ
    @given(body=mutated(payloads))
    def run(body: bytes) -> None:
        _run_all(calls, body)

    run()


@pytest.mark.parametrize("attack", ["billion-laughs", "xxe"])
@pytest.mark.parametrize("source", SOURCE_NAMES)
def test_xml_attacks_are_refused_by_every_parser(source, attack):
    """Entity expansion and external entities never expand: a project error, or a result without them."""
    from .server import BILLION_LAUGHS, XXE, XXE_TARGET

    body = BILLION_LAUGHS if attack == "billion-laughs" else XXE
    marker = Path(XXE_TARGET).read_text("utf-8").splitlines()[0] if Path(XXE_TARGET).exists() else "root:"
    for label, call in parsers(source):
        try:
            result = call(body)
        except ComplianceError:
            continue
        text = repr(result)
        assert "lollollol" not in text and marker not in text, label


# --- refs, catalogue, waivers, config --------------------------------------------------------------


def _sample_texts() -> list[str]:
    texts = [p.read_text("utf-8", "replace")[:20000] for p in sorted(FIXTURES.rglob("*")) if p.is_file()
             and p.suffix in (".json", ".xml", ".html")]
    return texts or ["Directive (EU) 2024/1712 amending Directive 2011/36/EU"]


@FUZZ
@given(text=st.one_of(st.text(max_size=2000),
                      st.sampled_from(_sample_texts()).flatmap(
                          lambda t: st.tuples(st.integers(0, len(t)), st.integers(0, 3000)).map(
                              lambda ab: t[ab[0]:ab[0] + ab[1]])),
                      st.lists(st.sampled_from(["Directive", "Regulation", "(EU)", "(EC)", "2011/36/EU", "No",
                                                "32011L0036", "/", " ", "and", "2024/1712", "of", "Council",
                                                "http://data.europa.eu/eli/dir/2011/36/oj", "Richtlinie",
                                                "direktiv", "(UE)", "nr.", "9" * 30]), max_size=60).map(" ".join)))
def test_refs_extract_never_fails(text):
    from compliance.refs import extract

    for ref in extract(text):
        assert 0 <= ref.start <= ref.end <= len(text)
        assert len(ref.celex) >= 10 and ref.celex[0] in "0123456789"


def _bytes_or_mutated(valid: bytes) -> st.SearchStrategy[bytes]:
    return st.one_of(st.binary(max_size=2000), mutated([valid]),
                     st.text(max_size=800).map(lambda s: s.encode("utf-8", "surrogatepass")))


WATCH = (b'measures:\n  - id: celex-32019l1937\n    celex: 32019L1937\n    title: "Whistleblowers"\n'
         b'    kind: directive\n    sources: ["https://eur-lex.europa.eu/"]\n')


@settings(FUZZ, max_examples=max(20, FUZZ.max_examples // 3))
@given(body=st.one_of(_bytes_or_mutated(WATCH), st.sampled_from([b"measures: null", b"- 1", b"measures: [1]",
                                                                  b"\xff\xfe", b"!!python/object:os.system x",
                                                                  b"a: &a [*a]"])))
def test_catalogue_loader(body, tmp_path_factory):
    from compliance.catalogue.load import load

    path = tmp_path_factory.mktemp("cat") / "extra.yaml"
    path.write_bytes(body)
    with contextlib.suppress(ComplianceError):
        load([path])


def test_catalogue_loader_on_mutated_builtin(tmp_path):
    """The built-in catalogue itself, mutated (fewer examples: it is large)."""
    from importlib import resources

    from compliance.catalogue.load import load

    builtin = (resources.files("compliance") / "catalogue" / "data" / "measures.yaml").read_bytes()

    @settings(FUZZ, max_examples=max(10, FUZZ.max_examples // 5))
    @given(body=mutated([builtin]))
    def run(body: bytes) -> None:
        path = tmp_path / "mutated.yaml"
        path.write_bytes(body)
        with contextlib.suppress(ComplianceError):
            load([path])

    run()


WAIVERS = (b'[[waiver]]\nrule = "TRN-001"\nmeasure = "thb-directive-2011-36"\nmember_state = "DK"\n'
           b'reason = "Protocol 22"\nuntil = 2027-01-31\n')


@FUZZ
@given(body=_bytes_or_mutated(WAIVERS))
def test_waiver_loader(body, tmp_path_factory):
    from compliance.catalogue import load as catalogue
    from compliance.checks import RULES
    from compliance.checks.waivers import load

    path = tmp_path_factory.mktemp("w") / "waivers.toml"
    path.write_bytes(body)
    with contextlib.suppress(ComplianceError):
        load(path, set(RULES), set(catalogue.load().measures))


CONFIG = (b'[http]\ntimeout = 5\nmax_retries = 1\n[http.hosts."example.org"]\nmin_interval = 1\n'
          b'[endpoints]\nEURLEX_SPARQL = "http://127.0.0.1:1/sparql"\n[sources.eurlex]\nmax_age_days = 7\n'
          b'[smtp]\nhost = "mail.example.org"\nto = ["a@example.org"]\n[schedule]\nrefresh = "0 6 * * *"\n')


@FUZZ
@given(body=_bytes_or_mutated(CONFIG))
def test_config_loader(body, tmp_path_factory):
    from compliance.config.settings import load_settings

    path = tmp_path_factory.mktemp("c") / "compliance.toml"
    path.write_bytes(body)
    with contextlib.suppress(ComplianceError):
        load_settings(path)
