"""Streaming reads of CELLAR NIM results (eurlex_stream.py) give what the whole-document parser
gives; the parse cache (eurlex_cache.py) serves a refresh answered with 304s without parsing.

The generated results here are CONSTRUCTED in the W3C SPARQL 1.1 JSON result format of the §1.4
NIM query (tests/fixtures/README.md, eurlex/).
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
import respx
from hypothesis import given, settings
from hypothesis import strategies as st

from compliance.errors import ComplianceError, ParseError
from compliance.sources import eurlex, eurlex_cache, eurlex_stream
from compliance.sources.eurlex_stream import NimStream, NotGrouped, group_pages, page_bindings

from .test_eurlex import (  # noqa: F401 - make_ctx is a fixture
    EURLEX_SAMPLES,
    FAKE_ENDPOINT,
    FakeCellar,
    fixture,
    make_ctx,
    metadata_rows,
    nim_row,
    sparql_json,
)

WHAT = "CELLAR NIM query result"
THB = "thb-directive-2011-36"


def key(rec: eurlex.NimRecord) -> str:
    return json.dumps([rec.group, rec.nim, rec.member_state, rec.iso3, rec.celex, rec.titles,
                       [d.isoformat() for d in rec.notified], sorted(rec.values.items()), rec.notes, rec.rows],
                      sort_keys=True)


def streamed(body: bytes, directive: str | None = None) -> tuple[list[eurlex.NimRecord], NimStream]:
    stream = NimStream.of_file(io.BytesIO(body), WHAT, directive)
    return list(stream), stream


def assert_same(body: bytes, directive: str | None = None) -> None:
    whole = eurlex.parse_nim_results(body, directive)
    records, stream = streamed(body, directive)
    assert sorted(map(key, records)) == sorted(map(key, whole.records))
    assert (stream.rows, stream.skipped, stream.notes) == (whole.rows, whole.skipped, whole.notes)


def generated(n: int = 40) -> bytes:
    """NIMs of several countries, some with two titles or two notification dates (adjacent rows),
    an unknown country, a row without key, a NIM without CELEX: as CELLAR orders them (by ?nim)."""
    rows: list[dict[str, Any]] = []
    for i in range(n):
        iso3 = ["AUT", "DEU", "GRC", "FRA", "GBR"][i % 5]
        row = nim_row("32011L0036", iso3, notified=f"2013-0{1 + i % 9}-1{i % 10}", n=i + 1)
        rows.append(row)
        if i % 3 == 0:
            rows.append({**row, "title": {"type": "literal", "xml:lang": "fr", "value": f"Loi {i}\n  n°{i}"}})
        if i % 7 == 0:
            rows.append({**row, "notified": "2014-02-30"})
    rows.append({"country": "http://publications.europa.eu/resource/authority/country/ITA"})  # no key
    rows.append({"nim": "http://publications.europa.eu/resource/cellar/x-1", "country":
                 "http://publications.europa.eu/resource/authority/country/ITA", "title": "Legge  1"})
    return sparql_json(list(eurlex.NIM_VARS), rows)


def test_constructed_fixture_streams_to_the_same_records():
    body = fixture("nim_32011L0036_constructed.json")
    assert_same(body)
    assert_same(body, "32011L0036")


@pytest.mark.parametrize("chunk", [3, 64, 1 << 20])
def test_generated_result_in_any_chunking(monkeypatch, chunk):
    monkeypatch.setattr(eurlex_stream, "CHUNK", chunk)
    body = generated()
    assert_same(body)
    assert_same(body, "32011L0036")
    assert_same(b"\xef\xbb\xbf" + body.replace(b", ", b",\n  "))  # a BOM and other whitespace


@pytest.mark.samples
def test_real_sample_streams_to_the_same_records():
    path = EURLEX_SAMPLES / "cellar-sparql-json_nim_csrd-2022-2464_2025-794_2026-470_trimmed.json"
    if not path.exists():
        pytest.skip(f"real samples not present at {EURLEX_SAMPLES} (fresh clone)")
    assert_same(path.read_bytes())


def test_keys_in_any_order_and_no_bindings():
    doc = {"results": {"bindings": json.loads(generated(5))["results"]["bindings"], "ordered": True},
           "head": {"vars": list(eurlex.NIM_VARS)}}
    assert_same(json.dumps(doc).encode())
    empty = json.dumps({"head": {"vars": []}, "results": {"bindings": []}}).encode()
    assert streamed(empty)[0] == [] and eurlex.parse_nim_results(empty).records == []


def test_rows_of_a_nim_that_are_not_adjacent_are_refused():
    data = json.loads(generated(6))
    bindings = data["results"]["bindings"]
    data["results"]["bindings"] = bindings + bindings[:1]  # the first NIM again at the end
    with pytest.raises(NotGrouped):
        streamed(json.dumps(data).encode())


def test_pages_group_like_the_whole_parser_across_page_boundaries():
    body = generated(30)
    bindings = json.loads(body)["results"]["bindings"]
    bodies = [sparql_json(list(eurlex.NIM_VARS), bindings[i:i + 7]) for i in range(0, len(bindings), 7)]
    whole = eurlex.group_nim_rows([r for p, b in enumerate(bodies) for r in eurlex.parse_nim_rows(b, p)],
                                  "32011L0036")
    grouped = group_pages([page_bindings(b, WHAT) for b in bodies], "32011L0036")
    assert grouped == whole


_names = st.sampled_from(["nim", "nimCelex", "c", "country", "title", "t", "notified", "notif", "ojNumber", "ojName",
                          "typeAct", "link", "eli", "dir", "refCommission"])
_values = st.one_of(st.text(max_size=12), st.sampled_from([
    "http://publications.europa.eu/resource/authority/country/AUT", "72011L0036AUT_1", "2013-04-06",
    "2013-04-06T00:00:00Z", " x ", "32011L0036", ""]))
_terms = st.fixed_dictionaries(
    {"type": st.sampled_from(["uri", "literal"]), "value": _values},
    optional={"xml:lang": st.sampled_from(["", "en", "de"]), "datatype": st.text(max_size=5)},
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_names, _terms, max_size=8))
def test_a_single_row_record_is_what_group_nim_rows_builds(binding):
    body = json.dumps({"head": {"vars": []}, "results": {"bindings": [binding]}}).encode()
    assert_same(body)
    assert_same(body, "32011L0036")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.dictionaries(_names, _terms, max_size=8), min_size=1, max_size=4),
       st.sampled_from(["AUT", "GRC", "XXX"]))
def test_the_rows_of_one_nim_make_the_record_group_nim_rows_builds(bindings, iso3):
    nim = {"type": "uri", "value": "http://publications.europa.eu/resource/cellar/n-1"}
    country = {"type": "uri", "value": f"http://publications.europa.eu/resource/authority/country/{iso3}"}
    rows = [{**b, "nim": nim, **({"country": country} if i % 2 == 0 else {})} for i, b in enumerate(bindings)]
    body = json.dumps({"head": {"vars": []}, "results": {"bindings": rows}}).encode()
    assert_same(body)
    assert_same(body, "32011L0036")


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=12,
).map(lambda v: json.dumps(v).encode())
_sparql = st.builds(lambda rows: json.dumps({"head": {"vars": []}, "results": {"bindings": rows}}).encode(),
                    st.lists(st.dictionaries(_names, _terms | st.integers(), max_size=5), max_size=5))


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=60), _json, _sparql))
def test_the_stream_fails_where_the_whole_parser_fails(body):
    try:
        whole = eurlex.parse_nim_results(body)
    except ComplianceError:
        whole = None
    try:
        records, stream = streamed(body)
    except ParseError:
        assert whole is None or not body.strip().startswith(b"{")
        return
    except NotGrouped:
        return
    assert whole is not None, body
    assert sorted(map(key, records)) == sorted(map(key, whole.records))


# --- the streamed import through eurlex -------------------------------------------------------


def test_stream_import_gives_the_findings_of_parse_import(make_ctx):  # noqa: F811
    for body, ids in ((fixture("nim_32011L0036_constructed.json"), ["thb-directive-2011-36"]), (generated(), None)):
        ctx = make_ctx(measure_ids=ids, http=None)
        try:
            expected = eurlex.parse_import(body, "f.json", ctx)
        except ParseError as exc:
            with pytest.raises(ParseError) as caught:
                list(eurlex.stream_import(io.BytesIO(body), "f.json", ctx).findings())
            assert str(caught.value) == str(exc)
            continue
        got = eurlex.stream_import(io.BytesIO(body), "f.json", ctx)
        items = list(got.findings())

        def flat(f):  # noqa: ANN001, ANN202
            return json.dumps([f.key, f.measure_id, f.member_state, f.celex, str(f.date), f.title, f.reference, f.url,
                               f.data], sort_keys=True)

        assert sorted(map(flat, items)) == sorted(map(flat, expected.findings))
        assert got.reason == expected.reason


# --- the parse cache and 304s -------------------------------------------------------------------


@pytest.fixture
def cellar_304():
    """FakeCellar answering 304 to a matching If-None-Match (the ETag is the body's sha256)."""
    import hashlib

    import httpx

    fake = FakeCellar()
    fake.not_modified = 0

    def answer(request: httpx.Request) -> httpx.Response:
        response = fake(request)
        etag = '"' + hashlib.sha256(response.content).hexdigest() + '"'
        if request.headers.get("if-none-match") == etag:
            fake.not_modified += 1
            return httpx.Response(304, headers={"etag": etag})
        return httpx.Response(response.status_code, headers={**response.headers, "etag": etag},
                              content=response.content)

    with respx.mock(assert_all_called=False) as router:
        router.route(host="sparql.test").mock(side_effect=answer)
        yield fake


def test_a_refresh_answered_with_304_parses_nothing_and_lists_the_same_findings(
        cellar_304, make_ctx, tmp_path, monkeypatch):  # noqa: F811
    from compliance.http import HostPolicy, HttpClient, HttpSettings, PreviousFetch
    from compliance.store.archive import Archive

    monkeypatch.setattr(eurlex, "PAGE_SIZE", 2)
    cellar_304.metadata["32011L0036"] = metadata_rows("32011L0036", "2013-04-06")
    cellar_304.nims["32011L0036"] = [nim_row("32011L0036", iso3, n=i) for i, iso3 in enumerate(["AUT", "BEL", "CZE"])]
    seen: dict[str, PreviousFetch] = {}

    def validators(source: str, url: str, request_key: str) -> PreviousFetch | None:
        return seen.get(request_key)

    client = HttpClient(HttpSettings(max_retries=0, default_host=HostPolicy(min_interval=0)),
                        Archive(tmp_path / "archive"), validators, sleep=lambda _s: None)
    ctx = make_ctx(measure_ids=["thb-directive-2011-36"], http=client)
    eurlex_cache.stats.reset()
    first = eurlex.refresh(ctx)
    assert eurlex_cache.stats.snapshot()["parsed"] == 1 + 2 + 2  # metadata, amends (row count + acts), 2 pages
    seen.update({f.request_key: PreviousFetch(f.etag, None, f.sha256, f.content_type) for f in first.fetches})

    eurlex_cache.stats.reset()
    second = eurlex.refresh(ctx)
    assert cellar_304.not_modified == len(first.fetches) == 4
    assert eurlex_cache.stats.snapshot() == {"parsed": 0, "cached": 3}  # metadata, amends, the NIM result
    assert [(f.key, f.content_hash) for f in second.findings] == [(f.key, f.content_hash) for f in first.findings]
    assert [f.data for f in second.findings] == [f.data for f in first.findings]
    assert all(f.fetch.not_modified for f in second.findings)
    assert [(c.status, c.reason) for c in second.coverage] == [(c.status, c.reason) for c in first.coverage]
    assert [m.data for m in second.metadata] == [m.data for m in first.metadata]

    # A new NIM on the last page: that page is parsed again, and the result is built anew.
    cellar_304.nims["32011L0036"].append(nim_row("32011L0036", "DNK", n=9))
    eurlex_cache.stats.reset()
    third = eurlex.refresh(ctx)
    assert {f.member_state for f in third.findings} == {"AT", "BE", "CZ", "DK"}
    assert eurlex_cache.stats.snapshot()["parsed"] >= 1


def test_a_corrupt_cache_entry_is_a_miss(make_ctx, cellar_304, tmp_path):  # noqa: F811
    cellar_304.metadata["32011L0036"] = metadata_rows("32011L0036", "2013-04-06")
    cellar_304.nims["32011L0036"] = [nim_row("32011L0036", "AUT")]
    ctx = make_ctx(measure_ids=["thb-directive-2011-36"])
    first = eurlex.refresh(ctx)
    cache_dir = ctx.settings.state_dir / "cache" / "eurlex"
    entries = list(cache_dir.rglob("*.json"))
    assert entries
    for entry in entries:
        entry.write_text("{broken")
    eurlex_cache.stats.reset()
    again = eurlex.refresh(ctx)
    assert eurlex_cache.stats.snapshot()["cached"] == 0
    assert [f.key for f in again.findings] == [f.key for f in first.findings]


def test_no_cache_without_a_client(make_ctx):  # noqa: F811
    assert eurlex._cache(make_ctx(http=None)).dir is None


def test_streamed_cli_import_equals_the_whole_file_import(run_cli, tmp_path, monkeypatch):
    from compliance.config.settings import load_settings
    from compliance.refresh import stream_import
    from compliance.store.engine import Store

    path = tmp_path / "nims.json"
    path.write_bytes(generated())
    outputs = {}
    rows = {}
    for mode, threshold in (("whole", 1 << 40), ("stream", 0)):
        monkeypatch.setattr(stream_import, "STREAM_THRESHOLD", threshold)
        monkeypatch.setenv("COMPLIANCE_STATE_DIR", str(tmp_path / mode))
        code, out, err = run_cli("import", "--source", "eurlex", str(path), "--format", "json", "--measure", THB)
        assert code == 0, err
        outputs[mode] = json.loads(out)
        with Store.open(load_settings().db_url).session() as session:
            from sqlalchemy import text

            rows[mode] = sorted(session.execute(text(
                "SELECT key, measure_id, member_state, date, title, reference, url, data, content_hash, active "
                "FROM finding")).all())
        archived = list((tmp_path / mode / "archive").rglob(outputs[mode]["sha256"]))
        assert archived and archived[0].read_bytes() == path.read_bytes()
        code, out, _ = run_cli("import", "--source", "eurlex", str(path), "--dry-run", "--measure", THB)
        assert code == 0 and "dry run: nothing stored" in out and outputs[mode]["sha256"] in out
    assert rows["stream"] == rows["whole"] and rows["whole"]
    whole, stream = outputs["whole"], outputs["stream"]
    assert sorted(map(json.dumps, whole.pop("findings"))) == sorted(map(json.dumps, stream.pop("findings")))
    assert whole == stream


def test_a_file_with_scattered_nim_rows_is_read_whole(run_cli, tmp_path, monkeypatch):
    from compliance.refresh import stream_import

    data = json.loads(generated(6))
    data["results"]["bindings"] += data["results"]["bindings"][:1]
    path = tmp_path / "scattered.json"
    path.write_text(json.dumps(data))
    monkeypatch.setattr(stream_import, "STREAM_THRESHOLD", 0)
    code, out, err = run_cli("import", "--source", "eurlex", str(path), "--format", "json", "--measure", THB)
    assert code == 0, err
    assert json.loads(out)["new"] == len(json.loads(out)["findings"]) > 0


def test_a_bad_big_file_is_one_line_and_leaves_nothing(run_cli, tmp_path, monkeypatch, isolated_state):
    from compliance.refresh import stream_import

    body = generated()
    path = tmp_path / "cut.json"
    path.write_bytes(body[: len(body) - 40])  # cut in the middle of the last bindings
    monkeypatch.setattr(stream_import, "STREAM_THRESHOLD", 0)
    code, _, err = run_cli("import", "--source", "eurlex", str(path), "--measure", THB)
    assert code == 2 and err.count("\n") <= 1 and "not JSON" in err
    code, out, _ = run_cli("sources", "--format", "json")
    assert code == 0
    eurlex_row = [s for s in json.loads(out)["sources"] if s["source"] == "eurlex"]
    assert not eurlex_row or not eurlex_row[0].get("findings")


def test_should_stream_only_big_json_files_of_a_streaming_source(tmp_path, monkeypatch):
    from compliance.refresh import stream_import

    monkeypatch.setattr(stream_import, "STREAM_THRESHOLD", 10)
    big = tmp_path / "big.json"
    big.write_bytes(b"  {" + b" " * 20 + b"}")
    html = tmp_path / "page.html"
    html.write_bytes(b"<html>" + b" " * 20)
    assert stream_import.should_stream("eurlex", big)
    assert not stream_import.should_stream("eurlex", html)
    assert not stream_import.should_stream("infringements", big)  # no stream reader
    monkeypatch.setattr(stream_import, "STREAM_THRESHOLD", 1 << 30)
    assert not stream_import.should_stream("eurlex", big)
    assert Path(FAKE_ENDPOINT)
