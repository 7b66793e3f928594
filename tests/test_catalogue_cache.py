"""The cache of the validated built-in catalogue (catalogue/cache.py): used when current, rebuilt
when a data file or the code changes, ignored when corrupt; user files are always validated."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from compliance.catalogue import cache as catalogue_cache
from compliance.catalogue import load as catalogue
from compliance.catalogue import memberstates
from compliance.errors import CatalogueError


def test_cached_catalogue_equals_the_parsed_one(tmp_path):
    fresh = catalogue.load()
    first = catalogue.load(cache_dir=tmp_path)  # builds the cache
    assert (tmp_path / catalogue_cache.CACHE_NAME).is_file()
    second = catalogue.load(cache_dir=tmp_path)  # reads it
    for cat in (first, second):
        assert cat.version == fresh.version and cat.files == fresh.files
        assert cat.measures == fresh.measures and list(cat.measures) == list(fresh.measures)
        assert cat.curated == fresh.curated


def test_the_cache_is_read_without_parsing(tmp_path, monkeypatch):
    catalogue.load(cache_dir=tmp_path)

    def no_parse(*_args, **_kwargs):
        raise AssertionError("the built-in catalogue was parsed although the cache is current")

    monkeypatch.setattr(catalogue, "parse_measures", no_parse)
    monkeypatch.setattr(catalogue, "parse_curated", no_parse)
    assert catalogue.load(cache_dir=tmp_path).measures


@pytest.mark.parametrize("name", catalogue_cache.DATA_FILES)
def test_a_changed_data_file_invalidates_the_cache(tmp_path, monkeypatch, name):
    cache = tmp_path / "cache"
    catalogue.load(cache_dir=cache)
    key = json.loads((cache / catalogue_cache.CACHE_NAME).read_text())["key"]
    # The data directory as a newer release would ship it: one file differs (a comment added).
    data = tmp_path / "data"
    shutil.copytree(Path(catalogue.__file__).parent / "data", data)
    (data / name).write_text("# edited\n" + (data / name).read_text("utf-8"), "utf-8")
    for module in (catalogue, catalogue_cache, memberstates):
        monkeypatch.setattr(module, "DATA_DIR", data)
    assert catalogue_cache.cache_key() != key
    parsed = []
    real_parse = catalogue.parse_measures
    monkeypatch.setattr(catalogue, "parse_measures", lambda *a: parsed.append(a) or real_parse(*a))
    catalogue.load(cache_dir=cache)
    assert parsed, "a stale cache was used"
    assert json.loads((cache / catalogue_cache.CACHE_NAME).read_text())["key"] == catalogue_cache.cache_key()


@pytest.mark.parametrize("garbage", [b"", b"{not json", b'{"format": 1, "key": "x"}', b"\xff\xfe",
                                     b'{"format": 1, "key": "KEY", "version": 1, "measures": [{"$Bogus": {}}], '
                                     b'"curated": []}'])
def test_a_corrupt_cache_is_ignored_and_rebuilt(tmp_path, garbage):
    key = catalogue_cache.cache_key()
    (tmp_path / catalogue_cache.CACHE_NAME).write_bytes(garbage.replace(b"KEY", key.encode()))
    cat = catalogue.load(cache_dir=tmp_path)
    assert cat.measures == catalogue.load().measures
    doc = json.loads((tmp_path / catalogue_cache.CACHE_NAME).read_text())
    assert doc["key"] == key and catalogue_cache.read(tmp_path, key) is not None


def test_a_tampered_entry_is_rejected_not_trusted(tmp_path):
    key = catalogue_cache.cache_key()
    catalogue.load(cache_dir=tmp_path)
    doc = json.loads((tmp_path / catalogue_cache.CACHE_NAME).read_text())
    doc["measures"] = [{"$Measure": {"id": "x"}}]  # missing fields: cannot be built
    (tmp_path / catalogue_cache.CACHE_NAME).write_text(json.dumps(doc))
    assert catalogue_cache.read(tmp_path, key) is None


def test_an_unwritable_cache_directory_is_not_an_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    assert catalogue.load(cache_dir=blocker / "cache").measures == catalogue.load().measures


def test_user_files_are_validated_even_with_a_cache(tmp_path):
    catalogue.load(cache_dir=tmp_path)
    bad = tmp_path / "bad.yaml"
    bad.write_text("measures:\n  - id: Not A Slug\n    celex: 32019L1937\n    sources: [x]\n")
    with pytest.raises(CatalogueError, match="bad.yaml"):
        catalogue.load([bad], cache_dir=tmp_path)


def test_user_override_drops_curated_facts_as_without_cache(tmp_path):
    # Replace a measure that has curated evidence on an obligation, without that obligation.
    user = tmp_path / "mine.yaml"
    user.write_text(
        "version: mine\nmeasures:\n"
        "  - id: pcc-info-exchange-directive\n    celex: 32023L0977\n    sources: [https://eur-lex.europa.eu/]\n"
        "    obligations:\n      - {id: other-duty, type: transposition, addressee: member-states, "
        "date: 2024-12-12, verified: false}\n"
        "  - id: celex-32019l1937\n    celex: 32019L1937\n    sources: [https://eur-lex.europa.eu/]\n"
    )
    plain = catalogue.load([user])
    cached = catalogue.load([user], cache_dir=tmp_path)
    cached_again = catalogue.load([user], cache_dir=tmp_path)
    for cat in (cached, cached_again):
        assert cat.version == plain.version == f"{catalogue.load().version}+mine"
        assert cat.measures == plain.measures and cat.files == plain.files
        assert cat.curated == plain.curated
    assert len(plain.curated) < len(catalogue.load().curated)  # the override dropped some curated facts


def test_check_uses_the_cache_in_the_state_directory(run_cli, isolated_state):
    isolated_state.mkdir()  # a store's directory: reading never creates one (test_cli_store.py)
    code, _, err = run_cli("check", "-m", "DK", "--format", "json")
    assert code in (0, 1), err
    assert (isolated_state / "cache" / catalogue_cache.CACHE_NAME).is_file()
