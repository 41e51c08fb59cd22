"""The built knowledge base on disk: start-up reads it instead of parsing the YAML files and indexing
3,000 items again (about 2 s on a quiet machine, most of it pypinyin readings; reading takes 0.2 s).

One pickle file per key in the cache folder (``WUFEI_KB_CACHE_DIR``, default ``data/cache``). The key
is a SHA-256 of everything the built object depends on: this format's number, the Python version,
the versions of the libraries that shape it (pypinyin's readings, pydantic's models, YAML parsing),
every source file of the ``knowledge`` package (code, lexicon, cards) and every file of the data
folder, by path and content. Any change gives another key, so a stale file is never read; a file
that cannot be read (truncated, corrupt, written by other code) is logged and the knowledge base
is built again and written anew. Files are written to a temporary name and renamed, so two
processes starting at once never see half a file; older keys' files are removed.

The greetings typed in pinyin (chitchat.py) are stored with the knowledge base: with both, a
question for a known item needs no pypinyin, which is loaded on first need (pinyin.py).

The folder must be as private as the data folder: unpickling runs code named in the file.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import os
import pickle
import sys
import tempfile
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from .chitchat import chitchat_pinyin, remember_chitchat_pinyin

if TYPE_CHECKING:  # pragma: no cover
    from .kb import KnowledgeBase

log = logging.getLogger(__name__)

FORMAT = 2
PREFIX = "kb-"
SUFFIX = ".pickle"
PACKAGE_DIR = Path(__file__).resolve().parent
LIBRARIES = ("pypinyin", "pydantic", "pydantic-core", "PyYAML", "rapidfuzz")
SOURCE_SUFFIXES = (".py", ".yaml", ".yml", ".txt", ".csv", ".json")


def _files(folder: Path, suffixes: tuple[str, ...] | None = None) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and (suffixes is None or p.suffix in suffixes)
    )


def cache_key(data_dir: Path, cards_file: Path) -> str:
    """The key of a knowledge base built from ``data_dir`` and ``cards_file`` by this code."""
    digest = hashlib.sha256(f"{FORMAT}\0{sys.version}\0{data_dir}\0{cards_file}\0".encode())
    for library in LIBRARIES:
        try:
            version = metadata.version(library)
        except metadata.PackageNotFoundError:
            version = "-"
        digest.update(f"{library}={version}\0".encode())
    sources: Iterable[Path] = [*_files(PACKAGE_DIR, SOURCE_SUFFIXES), *_files(data_dir), cards_file]
    for path in dict.fromkeys(sources):  # the data folder is usually inside the package
        digest.update(f"{path}\0".encode())
        try:
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        except OSError:
            digest.update(b"<unreadable>")
    return digest.hexdigest()


def cache_file(cache_dir: Path, key: str) -> Path:
    return cache_dir / f"{PREFIX}{key[:32]}{SUFFIX}"


def read(cache_dir: Path, key: str) -> KnowledgeBase | None:
    """The knowledge base stored under ``key``, or None (no file, another key, unreadable)."""
    from .kb import KnowledgeBase

    path = cache_file(cache_dir, key)
    collecting = gc.isenabled()
    try:
        with open(path, "rb") as fh:
            if pickle.load(fh) != (FORMAT, key):
                return None
            # Millions of small objects: the cyclic collector would run hundreds of times (3x slower).
            gc.disable()
            kb, greetings = pickle.load(fh)
    except FileNotFoundError:
        return None
    except Exception as error:  # noqa: BLE001 - truncated, corrupt, or classes of other code: build again
        log.warning(
            "knowledge base cache %s unreadable (%s: %s); building the index again", path, type(error).__name__, error
        )
        return None
    finally:
        if collecting:
            gc.enable()
    if not isinstance(kb, KnowledgeBase) or not isinstance(greetings, frozenset):
        log.warning("knowledge base cache %s holds a %s; building the index again", path, type(kb).__name__)
        return None
    remember_chitchat_pinyin(greetings)
    return kb


def write(cache_dir: Path, key: str, kb: KnowledgeBase) -> None:
    """Store ``kb`` under ``key`` (atomically) and remove other keys' files; a failure is only logged."""
    path = cache_file(cache_dir, key)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=cache_dir, prefix=".tmp-", suffix=SUFFIX, delete=False) as fh:
            try:
                pickle.dump((FORMAT, key), fh, protocol=pickle.HIGHEST_PROTOCOL)
                pickle.dump((kb, chitchat_pinyin()), fh, protocol=pickle.HIGHEST_PROTOCOL)
            except BaseException:
                fh.close()
                os.unlink(fh.name)
                raise
        os.replace(fh.name, path)
    except Exception as error:  # noqa: BLE001 - a read-only or full disk must not stop the bot
        log.warning("could not write the knowledge base cache %s: %s", path, error)
        return
    for other in cache_dir.glob(f"{PREFIX}*{SUFFIX}"):
        if other != path:
            try:
                other.unlink()
            except OSError:
                pass
