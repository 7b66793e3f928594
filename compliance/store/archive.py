"""Content-addressed store of raw response bodies, so an auditor can re-hash any evidence.

A body lives at ``<root>/ab/cd/<sha256>`` where ``ab`` and ``cd`` are the first two byte pairs
of its SHA-256 hex digest. The hash covers the raw body bytes only, never the retrieval time
(opensanctions PR #5347), so the same bytes fetched twice are stored once.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from pathlib import Path

_SHA256 = re.compile(r"[0-9a-f]{64}")


def sha256_hex(body: bytes) -> str:
    """The lowercase hex SHA-256 digest of ``body``."""
    return hashlib.sha256(body).hexdigest()


class Archive:
    """Content-addressed store of raw response bodies under <state_dir>/archive/."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @staticmethod
    def relative_path(sha256: str) -> str:
        """The POSIX path of a body relative to the archive root: ``ab/cd/<sha256>``."""
        if not _SHA256.fullmatch(sha256):
            # Also keeps a crafted "hash" from reaching outside the archive directory.
            raise ValueError(f"not a lowercase hex sha256: {sha256!r}")
        return f"{sha256[:2]}/{sha256[2:4]}/{sha256}"

    def path(self, sha256: str) -> Path:
        """Where the body with this hash is (or would be) stored."""
        return self.root / self.relative_path(sha256)

    def put(self, body: bytes) -> tuple[str, str]:
        """Store ``body`` and return ``(sha256 hex, relative path)``.

        The write is atomic (temporary file at the archive's top level, fsync, ``os.replace``),
        so a crash never leaves a partial file under the final name; the next import or refresh
        removes such a temporary file (refresh/leftovers.py: only holders of the refresh lock write
        here). A body already present is not rewritten.
        """
        digest = sha256_hex(body)
        rel = self.relative_path(digest)
        target = self.root / rel
        with contextlib.suppress(FileNotFoundError):
            if target.stat().st_size == len(body):
                return digest, rel
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{digest}.", suffix=".tmp", dir=self.root)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(body)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        return digest, rel

    def get(self, sha256: str) -> bytes:
        """The stored body; raises ``FileNotFoundError`` when it is not in the archive."""
        return self.path(sha256).read_bytes()

    def verify(self, sha256: str) -> bool:
        """Re-hash the stored file: True when present and intact, False when missing or altered."""
        h = hashlib.sha256()
        try:
            with self.path(sha256).open("rb") as fh:
                for block in iter(lambda: fh.read(1024 * 1024), b""):
                    h.update(block)
        except FileNotFoundError:
            return False
        return h.hexdigest() == sha256
