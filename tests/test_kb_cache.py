"""The built knowledge base's cache (knowledge/kb_cache.py): a knowledge base read from it answers as
a fresh build; a corrupt, truncated or stale cache is built again, never read."""

from __future__ import annotations

import dataclasses
import pickle
import shutil
from pathlib import Path

import pytest

from knowledge import kb_cache, load_kb
from knowledge.chitchat import chitchat_pinyin

FIX = Path(__file__).parent / "kb_fixtures" / "good"
QUESTIONS = [
    "快递纸箱",  # exact
    "纸箱",  # alias
    "plastic bottles",  # English
    "kuaidizhixiang",  # typed pinyin
    "矿泉水平",  # homophone
    "玻离瓶",  # a typo
    "用过的电池",  # containment with a state
    "电池盒",  # did-you-mean
    "塑料",  # reverse containment
    "有害垃圾有哪些",  # a card
    "nihao",  # chit-chat in pinyin
    "你好",
]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A copy of the fixture knowledge base, free to change."""
    shutil.copytree(FIX, tmp_path / "kb")
    return tmp_path / "kb" / "data"


def answers(kb) -> list[dict]:
    return [{**dataclasses.asdict(kb.classify(q)), "card": kb.card_for(q)} for q in QUESTIONS]


def cache_files(cache: Path) -> list[Path]:
    return sorted(cache.glob("kb-*.pickle"))


def test_a_knowledge_base_read_from_the_cache_answers_as_a_fresh_build(data, tmp_path):
    cache = tmp_path / "cache"
    fresh = load_kb(data)
    first = load_kb(data, cache_dir=cache)
    second = load_kb(data, cache_dir=cache)
    assert (first.loaded_from, second.loaded_from) == ("built", "cache")
    assert len(cache_files(cache)) == 1
    assert answers(second) == answers(fresh) == answers(first)
    assert len(second) == len(fresh) and second.cards == fresh.cards and second.problems == fresh.problems


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty", "another_object", "another_key"])
def test_a_damaged_cache_is_built_again_and_rewritten(data, tmp_path, damage):
    cache = tmp_path / "cache"
    expected = answers(load_kb(data))
    load_kb(data, cache_dir=cache)
    [path] = cache_files(cache)
    stored = path.read_bytes()
    damaged = {
        "garbage": b"not a pickle at all" * 100,
        "truncated": stored[: len(stored) // 2],
        "empty": b"",
        "another_object": pickle.dumps((kb_cache.FORMAT, path.stem))
        + pickle.dumps(({"not": "a knowledge base"}, frozenset())),
        "another_key": pickle.dumps((kb_cache.FORMAT, "0" * 64)) + stored,
    }[damage]
    path.write_bytes(damaged)

    rebuilt = load_kb(data, cache_dir=cache)
    assert rebuilt.loaded_from == "built"
    assert answers(rebuilt) == expected
    again = load_kb(data, cache_dir=cache)
    assert again.loaded_from == "cache" and answers(again) == expected


def test_a_changed_data_file_is_built_again_and_the_old_file_removed(data, tmp_path):
    cache = tmp_path / "cache"
    assert load_kb(data, cache_dir=cache).get("纸壳箱") is None
    [old] = cache_files(cache)
    packaging = data / "recyclable" / "packaging.yaml"
    packaging.write_text(
        packaging.read_text(encoding="utf-8").replace("aliases: [纸箱,", "aliases: [纸箱, 纸壳箱,"), encoding="utf-8"
    )

    changed = load_kb(data, cache_dir=cache)
    assert changed.loaded_from == "built"
    assert changed.classify("纸壳箱").item == "快递纸箱"
    assert cache_files(cache) != [old] and len(cache_files(cache)) == 1
    assert load_kb(data, cache_dir=cache).loaded_from == "cache"


def test_a_cache_folder_that_cannot_be_written_still_gives_the_knowledge_base(data, tmp_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    kb = load_kb(data, cache_dir=blocked / "cache")
    assert kb.loaded_from == "built" and kb.classify("纸箱").item == "快递纸箱"


def test_curation_on_a_cached_knowledge_base_works_as_on_a_fresh_one(data, tmp_path):
    """The cache holds the base as built; changes made at runtime never reach it."""
    cache = tmp_path / "cache"
    load_kb(data, cache_dir=cache)
    kb = load_kb(data, cache_dir=cache)
    kb.add_alias("快递纸箱", "纸壳箱")
    assert kb.classify("纸壳箱").item == "快递纸箱"
    assert load_kb(data, cache_dir=cache).get("纸壳箱") is None


def test_greetings_typed_in_pinyin_are_ascii():
    """is_chitchat looks them up only for text in ASCII, so that Chinese questions need no pypinyin."""
    assert {"nihao", "xiexie"} <= chitchat_pinyin()
    assert all(word.isascii() for word in chitchat_pinyin())
