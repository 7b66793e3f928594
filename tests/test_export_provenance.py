"""Each archived body of a bundle says where it came from: request URL, method, HTTP status, content
type and retrieval time, read from the store's fetch rows; no secret of the request reaches the
bundle. The response is fetched by the real HttpClient from a local mock transport (CONSTRUCTED
answer), stored through the real refresh path (tests/fake_source.py)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from compliance.config.settings import load_settings
from compliance.http import REDACTED, HttpClient, HttpSettings
from compliance.store.archive import Archive

from . import fake_source
from .export_helpers import AS_OF, BODY, BODY_SHA, seed

SECRETS = ("TOKEN-s3cr3t-123", "KEY-s3cr3t-456")
URL = "https://example.org/sparql?query=SELECT%20%3Fs&api_key=KEY-s3cr3t-456"


@pytest.fixture
def fetched(monkeypatch):
    """The fake source's answer, fetched by HttpClient with a token header and an API key."""
    settings = load_settings()

    def answer(request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"] == "Bearer TOKEN-s3cr3t-123"  # sent, never recorded
        return httpx.Response(200, stream=httpx.ByteStream(BODY),
                              headers={"content-type": "application/sparql-results+json"})

    client = HttpClient(HttpSettings(max_retries=0), Archive(settings.state_dir / "archive"),
                        transport=httpx.MockTransport(answer))
    result = client.get("fake", URL, headers={"Authorization": "Bearer TOKEN-s3cr3t-123",
                                              "Accept": "application/sparql-results+json"})
    client.close()
    monkeypatch.setattr(fake_source, "fetch", lambda body=None: result)
    yield from seed()


def _bundle_bytes(out: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file())


def _export(run_cli, out: Path) -> dict:
    code, _, err = run_cli("export", "--out", str(out), "--as-of", AS_OF, "-m", "SE", "--with-archive",
                           "--format", "html,json")
    assert code == 0, err
    return json.loads((out / "manifest.json").read_text("utf-8"))


def test_every_archived_body_names_its_request_status_type_and_time(run_cli, fetched, tmp_path):
    out = tmp_path / "bundle"
    manifest = _export(run_cli, out)
    (body,) = manifest["archive"]["bodies"]
    assert body["sha256"] == BODY_SHA and (out / body["path"]).read_bytes() == BODY
    (fetch,) = body["fetches"]
    assert fetch["source"] == "fake" and fetch["method"] == "GET" and fetch["status_code"] == 200
    assert fetch["content_type"] == "application/sparql-results+json"
    assert fetch["retrieved_at"].endswith("+00:00") and fetch["retrieved_at"][:10] == AS_OF
    assert fetch["url"] == f"https://example.org/sparql?query=SELECT%20%3Fs&api_key={REDACTED}"
    assert fetch["request"]["headers"] == {"Authorization": REDACTED, "Accept": "application/sparql-results+json"}
    # the same record beside the evidence item it supports, and in the HTML annex
    report = json.loads((out / "SE/report.json").read_text("utf-8"))
    assert [e["fetch"] for e in report["evidence_annex"] if e["sha256"] == BODY_SHA] == [fetch]
    page = (out / "SE/report.html").read_text("utf-8")
    assert "HTTP 200" in page and "application/sparql-results+json" in page
    bundle = _bundle_bytes(out)
    assert not [s for s in SECRETS if s.encode() in bundle]
    assert run_cli("verify", str(out))[0] == 0


def test_a_fetch_row_stored_unredacted_is_redacted_on_export(run_cli, fetched, tmp_path):
    # A row from before a redaction rule existed (or written by hand): the export redacts it again.
    from sqlalchemy import text

    from compliance.store.engine import Store

    store = Store.open(load_settings().db_url)
    raw = {"method": "GET", "url": "https://example.org/a?token=RAW-s3cr3t",
           "headers": {"X-Api-Key": "RAW-s3cr3t", "Accept": "text/html"}, "params": {"password": "RAW-s3cr3t"},
           "form": {"access_token": "RAW-s3cr3t", "q": "aml"}}
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE fetch SET url = :u, final_url = :u, request = :r"),
                     {"u": "https://user:RAW-s3cr3t@example.org/a?token=RAW-s3cr3t&q=1", "r": json.dumps(raw)})
    out = tmp_path / "bundle"
    manifest = _export(run_cli, out)
    (fetch,) = manifest["archive"]["bodies"][0]["fetches"]
    assert fetch["url"] == fetch["final_url"] == f"https://{REDACTED}@example.org/a?token={REDACTED}&q=1"
    assert fetch["request"]["headers"] == {"X-Api-Key": REDACTED, "Accept": "text/html"}
    assert fetch["request"]["form"] == {"access_token": REDACTED, "q": "aml"}
    assert "RAW-s3cr3t" not in json.dumps(manifest["archive"])
    report = json.loads((out / "SE/report.json").read_text("utf-8"))
    assert "RAW-s3cr3t" not in json.dumps([e["fetch"] for e in report["evidence_annex"]])
