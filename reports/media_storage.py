"""Where the bytes of report photos live, behind one small seam (``Storage``).

- ``LocalStorage``: a folder (``WUFEI_MEDIA_DIR``), the default; enough for one instance.
- ``reports.media_s3.S3Storage``: an S3-compatible object store (``WUFEI_MEDIA_S3_*``), for
  several instances: any instance reads what another one saved.

Rules every storage keeps:
- Keys are the relative paths the database keeps (``originals/ab/cd/<sha256>.jpg``,
  ``public/<sha256>.jpg``), the same in every storage.
- ``get`` returns None for a key that is not there; a storage that cannot be reached (or refuses
  us) raises ``MediaUnavailable``, an ``OSError``: the outbox retries it, Open311 answers 503.
- An object is written whole or not at all (a temporary file renamed into place; one PUT). Keys are
  named after content hashes, so two instances writing one key write the same bytes: no locks.
- A storage never makes anything public: originals (with their EXIF) are kept as evidence; public
  copies reach people only through Open311's media route and the staff posts.
- Calls block: ``reports.media.MediaStore`` runs them in a worker thread.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path, PurePosixPath
from typing import Protocol


class MediaUnavailable(OSError):
    """The storage could not be reached or refused the request (not: the key is missing)."""


def check_key(key: str) -> str:
    """A relative path without ``..``, the only keys a storage accepts."""
    path = PurePosixPath(key)
    if not key or path.is_absolute() or ".." in path.parts or "\\" in key:
        raise ValueError(f"not a media key: {key!r}")
    return key


class Storage(Protocol):
    def exists(self, key: str) -> bool: ...

    def get(self, key: str) -> bytes | None: ...

    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def close(self) -> None: ...


class LocalStorage:
    """Keys are files under ``root``."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"LocalStorage({str(self.root)!r})"

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def get(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def close(self) -> None:
        pass
