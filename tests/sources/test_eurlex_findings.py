"""eurlex_findings.FindingStream (the streamed import's findings, built straight from the rows)
gives what the plain streamed reading (eurlex_import.StreamedImport) gives: the same findings in the
same order, each with the content hash and `data` JSON text the writer would compute for it,
the same notes, the same errors.

The results here are CONSTRUCTED (tests/fixtures/README.md, eurlex/) in the W3C SPARQL 1.1 JSON
result format; see also tests/test_stream_import.py (the stored rows).
"""

from __future__ import annotations

import io
import json
import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compliance.errors import ComplianceError
from compliance.sources import eurlex_import
from compliance.sources.eurlex_findings import FindingStream
from compliance.sources.eurlex_stream import NotGrouped
from compliance.sources.finding_hash import HashedFinding, content_hash_and_data, hash_and_data

from ..test_stream_import import capture_shape_rows, query_shape_rows
from .test_eurlex import fixture, make_ctx  # noqa: F401 - make_ctx is a fixture
from .test_eurlex_stream import _names, _terms, generated

THB = "thb-directive-2011-36"  # CELEX 32011L0036 in the built-in catalogue


def flat(item: Any) -> tuple:
    """Every attribute the writer and the listing read, with the stored hash and data text."""
    digest, data = hash_and_data(item)
    return (item.key, item.kind, item.measure_id, item.member_state, item.celex, item.date, item.title,
            item.reference, item.url, item.stage, item.fetch, digest, data)


def outcome(reader: Any) -> tuple[str, Any, Any]:
    try:
        items = [flat(i) for i in reader.findings()]
    except (ComplianceError, NotGrouped) as exc:
        return "error", type(exc).__name__, str(exc)
    return "ok", items, reader.reason


def assert_same(body: bytes, ctx: Any) -> tuple[str, Any, Any]:
    expected = outcome(eurlex_import.StreamedImport(io.BytesIO(body), "f.json", ctx))
    got = outcome(FindingStream(io.BytesIO(body), "f.json", ctx))
    assert got == expected
    return got


def body_of(rows: list[dict[str, Any]]) -> bytes:
    return json.dumps({"head": {"vars": []}, "results": {"bindings": rows}}).encode()


def test_fast_findings_carry_the_hash_and_data_the_writer_computes(make_ctx):  # noqa: F811
    stream = FindingStream(io.BytesIO(generated()), "f.json", make_ctx(measure_ids=[THB], http=None))
    items = [i for i in stream.findings() if isinstance(i, HashedFinding)]  # NIMs of one row
    assert items
    for item in items:
        assert (item.content_hash, item.data_json) == content_hash_and_data(item)
        assert item.data == json.loads(item.data_json)


@pytest.mark.parametrize("measures", [None, [THB]])
@pytest.mark.parametrize("states", [None, ["AT", "DE"]])
def test_the_findings_of_constructed_results(make_ctx, measures, states):  # noqa: F811
    ctx = make_ctx(measure_ids=measures, member_states=states, http=None)
    kinds = []
    for body in (fixture("nim_32011L0036_constructed.json"), generated(), generated(3)):
        kinds.append(assert_same(body, ctx)[0])
    assert "ok" in kinds if measures else kinds  # without --measure, NIMs without a CELEX are an error


def test_the_findings_of_many_shapes_of_rows(make_ctx, tmp_path):  # noqa: F811
    from compliance.catalogue import load as catalogue

    from ..test_stream_import import watch_catalogue

    cat = catalogue.load([watch_catalogue(tmp_path / "watch.yaml")])
    rng = random.Random(11)
    rows = capture_shape_rows(rng, 700) + query_shape_rows(rng, 700)
    status, items, reason = assert_same(body_of(rows), make_ctx(cat_=cat, http=None))
    assert status == "ok" and len(items) > 1300 and "not a date" in reason
    # The rows of a NIM not adjacent: the same signal.
    assert assert_same(body_of(rows + rows[:1]), make_ctx(cat_=cat, http=None))[:2] == ("error", "NotGrouped")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.dictionaries(_names, _terms, max_size=8), max_size=6), st.booleans())
def test_any_rows_give_the_findings_notes_and_errors_of_the_reference(make_ctx, bindings, one_measure):  # noqa: F811
    assert_same(body_of(bindings), make_ctx(measure_ids=[THB] if one_measure else None, http=None))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(st.dictionaries(_names, _terms | st.integers(), max_size=5), st.integers(), st.text()),
                max_size=4))
def test_bad_bindings_fail_as_the_reference_fails(make_ctx, bindings):  # noqa: F811
    assert_same(body_of(bindings), make_ctx(measure_ids=[THB], http=None))
