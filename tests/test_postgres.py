"""The store against a real PostgreSQL: schema, a full refresh and a check.

Runs when COMPLIANCE_TEST_PG_URL names a database (`.ci/run` starts one with
.ci/postgres.sh); skipped otherwise, with the reason. The database's public schema is wiped
before each test.
"""

from __future__ import annotations

import json
import os

import pytest
from sqlalchemy import create_engine, inspect, text

from compliance import tables
from compliance.catalogue import load
from compliance.config import load_settings
from compliance.refresh import run_refresh
from compliance.store import HEAD_REVISION, Store

from .test_refresh import fake  # noqa: F401 - the fake source fixture

PG_URL = os.environ.get("COMPLIANCE_TEST_PG_URL")
pytestmark = pytest.mark.skipif(not PG_URL, reason="COMPLIANCE_TEST_PG_URL not set (no PostgreSQL to test against)")


@pytest.fixture
def pg(monkeypatch):
    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    monkeypatch.setenv("COMPLIANCE_DB_URL", PG_URL)
    return PG_URL


def test_schema_is_created_and_matches_the_models(pg):
    store = Store.open(pg)
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD_REVISION
        insp = inspect(conn)
        for table in tables.SQLModel.metadata.sorted_tables:
            assert {c["name"] for c in insp.get_columns(table.name)} == {c.name for c in table.columns}
    Store.open(pg)  # reopening an up-to-date store is a no-op


def test_full_refresh_and_check_on_postgres(pg, fake, run_cli):  # noqa: F811
    settings = load_settings()
    assert settings.db_url == pg
    summary = run_refresh(settings, load(), Store.open(pg))
    assert summary.status == "ok" and summary.sources[0].new == 1
    again = run_refresh(settings, load(), Store.open(pg))
    assert again.sources[0].new == 0 and again.sources[0].changed == 0
    code, out, err = run_cli("check", "-m", "SE", "--measure", "thb-directive-2024-1712", "--format", "json",
                             "--as-of", "2026-11-22")
    assert code == 0, err
    (a,) = json.loads(out)["assessments"]
    assert a["status"] == "met" and a["evidence"][0]["sha256"] and a["evidence"][0]["retrieved_at"]
    code, out, _ = run_cli("sources", "--format", "json")
    assert json.loads(out)["sources"][0]["last_status"] == "ok"
