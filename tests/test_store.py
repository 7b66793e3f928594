"""The store: created and migrated by Alembic, refuses what it cannot read, never overwrites."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import inspect, text

from compliance.errors import StoreError
from compliance.store.engine import HEAD_REVISION, Store


def test_new_store_is_created_at_head(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'db' / 'c.db'}")
    with store.engine.connect() as conn:
        names = set(inspect(conn).get_table_names())
        assert {"fetch", "finding", "refresh_run", "source_run", "coverage", "act_metadata",
                "assessment_snapshot"} <= names
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD_REVISION


def test_head_revision_matches_the_migration_scripts():
    from importlib import resources

    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("compliance") / "store" / "migrations"))
    assert ScriptDirectory.from_config(cfg).get_current_head() == HEAD_REVISION


def test_models_match_the_migrated_schema(tmp_path):
    """The SQLModel tables and the migrations describe the same columns."""
    from compliance.store import tables

    store = Store.open(f"sqlite:///{tmp_path / 'c.db'}")
    with store.engine.connect() as conn:
        insp = inspect(conn)
        for table in tables.SQLModel.metadata.sorted_tables:
            migrated = {c["name"] for c in insp.get_columns(table.name)}
            assert migrated == {c.name for c in table.columns}, table.name


def test_corrupt_database_is_reported_and_left_untouched(tmp_path):
    path = tmp_path / "c.db"
    path.write_bytes(b"this is not a database" * 100)
    before = path.read_bytes()
    with pytest.raises(StoreError, match="cannot read the database.*left untouched"):
        Store.open(f"sqlite:///{path}")
    assert path.read_bytes() == before


def test_foreign_database_is_refused(tmp_path):
    path = tmp_path / "c.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE payroll (id INTEGER)")
    with pytest.raises(StoreError, match="not a compliance store"):
        Store.open(f"sqlite:///{path}")


def test_newer_schema_is_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 'c.db'}"
    store = Store.open(url)
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(StoreError, match="newer than this release"):
        Store.open(url)


def test_state_dir_that_is_a_file(tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="cannot create the state directory"):
        Store.open(f"sqlite:///{blocker / 'c.db'}")
