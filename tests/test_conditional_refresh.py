"""Every answer a source had is a fetch row, also one it kept no finding from (an empty search), so the
next refresh asks for all of them conditionally (issue 17). Through run_refresh with gazette-de against a
constructed NeuRIS (tests/sources/gazettes/test_de.py) that sends ETags and answers 304; no network."""

from __future__ import annotations

import hashlib

import httpx
import respx
from sqlalchemy import text

from compliance.catalogue import load as catalogue
from compliance.config.settings import load_settings
from compliance.refresh.run import run_refresh
from compliance.store.engine import Store

from .sources.gazettes.test_de import API, FakeNeuris


class ConditionalNeuris(FakeNeuris):
    """FakeNeuris with an ETag (of the body) on every answer, and 304 to a matching If-None-Match."""

    def __init__(self) -> None:
        super().__init__()
        self.conditional = self.not_modified = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        response = super().__call__(request)
        etag = '"' + hashlib.sha256(response.content).hexdigest()[:16] + '"'
        asked = request.headers.get("if-none-match")
        self.conditional += asked is not None
        if asked == etag:
            self.not_modified += 1
            return httpx.Response(304, headers={"etag": etag})
        return httpx.Response(response.status_code, content=response.content,
                              headers={**response.headers, "etag": etag})


def test_an_empty_search_answer_is_recorded_and_asked_for_conditionally_next_time(tmp_path, monkeypatch):
    monkeypatch.setenv("COMPLIANCE_ENDPOINT_GAZETTE_DE", API)
    (tmp_path / "compliance.toml").write_text('[http]\nmax_retries = 0\n\n[http.hosts."neuris.test"]\n'
                                              'min_interval = 0\n', "utf-8")
    settings_ = load_settings()
    cat = catalogue.load()
    store = Store.open(settings_.db_url)
    fake = ConditionalNeuris()
    with respx.mock(assert_all_called=False) as router:
        router.route(host="neuris.test").mock(side_effect=fake)
        first = run_refresh(settings_, cat, store, sources=["gazette-de"]).sources[0]
        searches = len(fake.requests)
        second = run_refresh(settings_, cat, store, sources=["gazette-de"]).sources[0]

    assert first.status == "ok" and searches > 2, first.reason
    # One search has a hit; the others are empty, and each is a fetch row all the same.
    assert first.requests == searches
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT count(*), count(etag) FROM fetch WHERE source = 'gazette-de' "
                                 "AND run_id = 1")).one()
    assert tuple(rows) == (searches, searches)

    assert len(fake.requests) == 2 * searches
    assert fake.conditional == fake.not_modified == searches == second.not_modified
    assert second.status == "ok" and second.new == second.changed == second.gone == 0, second.reason
