"""The grammar of sorting questions: what may follow an item name, read from data.

Residents write the item first and then a tail: a question ("还能回收吗", "怎么处理比较好",
"扔哪", "丢哪块"), a bin to confirm ("是蓝桶吗") or two bins to choose from ("属于可回收还是其他垃圾"),
and states said after the item ("长毛了", "摔碎了", "吃不完"). Rules of this module:

- Words live in `knowledge/lexicon/*.yaml`, one list per word class; patterns are built from the
  classes, so one new word covers every question it can appear in. No whole question is listed.
- A tail is stripped only when the whole tail parses and something is left before it.
- Bins named in the tail are returned as categories (`asked`), for the answer to say which.
  English questions name them at the end of a question that starts with an auxiliary ("is a
  banana peel food waste", "does it go in the green bin"): `asked_en`.
- States: every verb + result + ending combination of `states.yaml`'s grammar is a state phrase of
  its tag; states.py merges them with the plain phrases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import yaml

LEXICON_DIR = Path(__file__).resolve().parent / "lexicon"


@cache
def lexicon(name: str) -> Any:
    """A word list file of knowledge/lexicon (loaded once)."""
    with open(LEXICON_DIR / f"{name}.yaml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def state_lexicon() -> dict[str, list[str]]:
    """tag -> state phrases: the listed ones, then the grammar's combinations."""
    data = lexicon("states")
    out: dict[str, list[str]] = {tag: [str(p) for p in ps] for tag, ps in data["phrases"].items()}
    for tag, g in data.get("grammar", {}).items():
        words = out.setdefault(tag, [])
        for v in g["verbs"]:
            for r in g["results"]:
                for e in g["ends"]:
                    p = f"{v or ''}{r}{e or ''}"
                    if len(p) >= 2 and p not in words:
                        words.append(p)
    return out


def _alt(words: list[str]) -> str:
    return "(?:" + "|".join(re.escape(str(w)) for w in sorted(words, key=len, reverse=True)) + ")"


@dataclass(frozen=True)
class Tail:
    rest: str  # the text before the tail
    asked: tuple[str, ...] = ()  # categories named as the answer to confirm or choose from


class _Grammar:
    def __init__(self) -> None:
        q = lexicon("questions")
        self.bin_of: dict[str, str] = {}
        for cat, words in q["bins"].items():
            for w in words:
                self.bin_of.setdefault(str(w), cat)
        part, adv, mod = _alt(q["particles"]), _alt(q["adverbs"]), _alt(q["modals"])
        how, verb, where, to = _alt(q["how"]), _alt(q["verbs"]), _alt(q["where"]), _alt(q["to"])
        prep = _alt(q["prepare"])
        what, kinds, any_bin, topics = _alt(q["what"]), _alt(q["kinds"]), _alt(q["any_bin"]), _alt(q["topics"])
        judge, cop, orr = _alt(q["judgements"]), _alt(q["copulas"]), _alt(q["or"])
        bins = _alt(list(self.bin_of))
        tail = rf"(?:{part})*$"
        self.patterns = [
            # 属于可回收还是其他垃圾 / 是蓝桶还是灰桶呢
            re.compile(
                rf"(?:{adv})*(?:{cop})?(?P<a>{bins})(?:的)?(?:垃圾桶|垃圾|桶)?{orr}"
                rf"(?:{cop})?(?P<b>{bins})(?:的)?(?:垃圾桶|垃圾|桶)?{tail}"
            ),
            # 是蓝桶吗 / 是不是有害垃圾 / 算其他垃圾吧 / 可以放厨余吗 / 能扔蓝色桶吗 / 放灰色垃圾桶对吗
            re.compile(
                rf"(?:{adv})*(?:{mod})*(?:{cop})(?:不是)?(?:{to})?(?P<a>{bins})(?:的)?(?:垃圾桶|垃圾|桶)?"
                rf"(?:里|里面)?(?:{judge})?{tail}"
            ),
            # 有毒吗 / 可回收吗 / 有害伐: a bin named, then the question
            re.compile(rf"(?:{adv})*(?P<a>{bins})(?:的)?(?:吗|么|嘛|伐|不)(?:{part})*$"),
            # 是啥个垃圾 / 是属于哪一类的 / 属于什么分类呢
            re.compile(rf"(?:{adv})*(?:{cop}){{0,2}}{what}(?:{kinds})?(?:的)?{tail}"),
            # 往哪扔 / 该往哪里丢 / 去哪扔
            re.compile(rf"(?:{adv})*(?:{mod})*(?:往|向|去|到){where}{verb}(?:掉|去)?{tail}"),
            # 丢垃圾桶可以吗 / 扔垃圾箱里行不行
            re.compile(rf"(?:{adv})*(?:{mod})*{verb}(?:{to})?{any_bin}(?:里|里面)?(?:{judge})?{tail}"),
            # 处理方法 / 的分类 / 垃圾分类
            re.compile(rf"(?:的)?{topics}{tail}"),
            # 怎么处理比较好 / 应该怎么扔呢 / 咋个丢
            re.compile(rf"(?:{adv})*(?:{mod})*{how}(?:去)?{verb}(?:掉|一下)?(?:{judge})?{tail}"),
            # 扔哪 / 应该放到哪个桶里 / 丢哪块 / 扔啥地方去 / 扔哪里好
            re.compile(rf"(?:{adv})*(?:{mod})*(?:被)?{verb}(?:{to})?{where}(?:去|里|里面|呢)?(?:{judge})?{tail}"),
            # 还能回收吗 / 可以回收不 / 能不能扔
            re.compile(rf"(?:{adv})*{mod}(?:不)?{verb}(?:不|吗|么)?{tail}"),
            # 好回收伐 (Wu) / 还回收吗
            re.compile(rf"(?:{adv})+{verb}{tail}"),
            # 要不要压扁 / 要剪开吗 / 需要先洗一下再扔吗
            re.compile(rf"(?:{adv})*{mod}(?:先)?{prep}(?:一下|了)?(?:(?:再|才能|才可以){verb})?(?:不|吗|么)?{tail}"),
        ]

    def parse(self, text: str) -> Tail:
        asked: tuple[str, ...] = ()
        changed = True
        while changed and text:
            changed = False
            for pat in self.patterns:
                m = pat.search(text)
                if m is None or m.start() == 0:
                    continue  # nothing before the tail: the whole text is not a question tail
                groups = m.groupdict()
                if groups.get("a") and not asked:
                    asked = tuple(self.bin_of[g] for g in (groups.get("a"), groups.get("b")) if g)
                text = text[: m.start()]
                changed = True
                break
        return Tail(text, asked)


@lru_cache(maxsize=1)
def _grammar() -> _Grammar:
    return _Grammar()


@lru_cache(maxsize=65536)
def parse_tail(text: str) -> Tail:
    """Strip question tails from normalised text; see the module docstring."""
    return _grammar().parse(text)


@lru_cache(maxsize=1)
def _english() -> tuple[re.Pattern[str], dict[str, str]]:
    q = lexicon("questions")
    bin_of = {str(w): cat for cat, words in q["bins_en"].items() for w in words}
    bins = _alt(list(bin_of))
    pattern = re.compile(
        rf"^{_alt(q['aux_en'])} .+? (?:the |a )?(?P<a>{bins})(?: bin| waste)?"
        rf"(?: or (?:the |a )?(?P<b>{bins})(?: bin| waste)?)?$"
    )
    return pattern, bin_of


@lru_cache(maxsize=65536)
def asked_en(text: str) -> tuple[str, ...]:
    """The bins an English question names to confirm or choose from (normalised text)."""
    pattern, bin_of = _english()
    m = pattern.match(text)
    if m is None:
        return ()
    return tuple(bin_of[g] for g in (m.group("a"), m.group("b")) if g)
