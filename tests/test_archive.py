"""The content-addressed archive: layout, atomic writes, idempotence, verification."""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from compliance.store.archive import Archive


@pytest.fixture
def archive(tmp_path: Path) -> Archive:
    return Archive(tmp_path / "archive")


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_put_stores_body_under_its_sha256(archive: Archive) -> None:
    body = b"<html>Directive (EU) 2024/1712</html>"
    digest, rel = archive.put(body)

    assert digest == hashlib.sha256(body).hexdigest()
    assert rel == f"{digest[:2]}/{digest[2:4]}/{digest}"
    assert archive.path(digest) == archive.root / rel
    assert (archive.root / rel).read_bytes() == body
    assert archive.get(digest) == body
    assert archive.verify(digest) is True


def test_put_is_idempotent_and_leaves_no_temp_files(archive: Archive) -> None:
    body = b"same bytes"
    first = archive.put(body)
    stat = archive.path(first[0]).stat()
    second = archive.put(body)

    assert first == second
    assert archive.path(first[0]).stat().st_mtime_ns == stat.st_mtime_ns  # not rewritten
    assert _files(archive.root) == [archive.path(first[0])]


def test_hash_depends_on_bytes_only(archive: Archive) -> None:
    a, _ = archive.put(b"one")
    b, _ = archive.put(b"two")
    empty, _ = archive.put(b"")

    assert a != b
    assert empty == hashlib.sha256(b"").hexdigest()
    assert archive.get(empty) == b""
    assert len(_files(archive.root)) == 3


def test_failed_write_leaves_neither_partial_nor_temp_file(
    archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        archive.put(b"payload")

    assert _files(archive.root) == []


def test_truncated_file_is_rewritten_by_put(archive: Archive) -> None:
    body = b"complete body"
    digest, _ = archive.put(body)
    archive.path(digest).write_bytes(b"compl")  # damaged outside the archive's control

    assert archive.verify(digest) is False
    archive.put(body)
    assert archive.verify(digest) is True


def test_get_and_verify_of_missing_body(archive: Archive) -> None:
    missing = hashlib.sha256(b"never stored").hexdigest()

    with pytest.raises(FileNotFoundError):
        archive.get(missing)
    assert archive.verify(missing) is False


def test_verify_detects_tampering(archive: Archive) -> None:
    digest, _ = archive.put(b"original")
    archive.path(digest).write_bytes(b"origina!")  # same size, other bytes

    assert archive.verify(digest) is False


@pytest.mark.parametrize("bad", ["../../etc/passwd", "ABCDEF" * 11, "ab" * 31, ""])
def test_path_rejects_what_is_not_a_sha256(archive: Archive, bad: str) -> None:
    with pytest.raises(ValueError):
        archive.path(bad)


def test_concurrent_puts_of_the_same_body(archive: Archive) -> None:
    body = os.urandom(256 * 1024)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = set(pool.map(lambda _: archive.put(body), range(32)))

    assert len(results) == 1
    digest, _ = results.pop()
    assert archive.verify(digest) is True
    assert _files(archive.root) == [archive.path(digest)]
