"""Tiers that read what was typed as something else: typed pinyin and initials ("dianchi", "dc"),
homophones ("矿泉水平" -> 矿泉水瓶), corrections of input errors (typos.py: "玻离瓶" -> 玻璃瓶), fuzzy
string similarity (English "batery"; Chinese only suggested) and reverse containment (the question is
part of longer names: did-you-mean only)."""

from __future__ import annotations

from .normalize import en_key, has_cjk, normalize
from .pinyin import (
    INITIAL_LETTERS as _INITIAL_LETTERS,
    TONE_RE as _TONE_RE,
    cjk_only as _cjk_only,
    fuzzy_syllable,
    segment_pinyin as _segment_pinyin,
    syllables,
)
from .verdicts import AMBIGUOUS, LIKELY, MAX_ALTERNATIVES, SURE, _Match

HOMOPHONE_MIN_SYLLABLES = 4
# Fuzzy thresholds (rapidfuzz ratio, 0..100)
FUZZY_LIKELY_LATIN = 85.0
FUZZY_SUGGEST = 60.0
FUZZY_SUGGEST_LATIN = 70.0
FUZZY_MARGIN = 6.0


class SoundTiers:
    """Mixin of Matcher (needs FormIndex, ContainmentTiers and the typo index)."""

    def _match_typed_pinyin(self, text: str) -> _Match | None:
        compact = _TONE_RE.sub("", text).replace(" ", "").replace("'", "")
        if len(compact) < 2:
            return None
        ids = self.pinyin.get(compact)
        if ids:
            ids_l = sorted(ids)
            if len(ids_l) == 1:
                n_syl = len(syllables(self.items[ids_l[0]].name))
                return _Match(SURE if n_syl >= 3 else LIKELY, ids_l, "pinyin")
            return _Match(AMBIGUOUS, ids_l, "pinyin", "")
        # fuzzy pinyin needs syllables: segment the typed string greedily
        syl = _segment_pinyin(compact)
        if syl and len(syl) >= 2:
            ids = self.fuzzy_pinyin.get("".join(fuzzy_syllable(s) for s in syl))
            if ids:
                ids_l = sorted(ids)
                if len(ids_l) == 1:
                    return _Match(LIKELY, ids_l, "pinyin")
                return _Match(AMBIGUOUS, ids_l, "pinyin", "")
        # initials ("dc"): only for strings that are not pinyin themselves ("wo", "ni")
        if (
            2 <= len(compact) <= 4
            and " " not in text
            and set(compact) <= _INITIAL_LETTERS
            and len(set(compact)) > 1
            and _segment_pinyin(compact) is None
        ):
            ids = self.initials.get(compact)
            if ids and len(ids) == 1:
                return _Match(LIKELY, sorted(ids), "initials")
            if ids:  # "dc": offer the items whose own name has these initials, the most
                # basic first (the name is part of the most other names: 电池 in 纽扣电池, 电池盒…)
                named = [i for i in ids if "".join(s[0] for s in syllables(self.items[i].name)) == compact]
                named.sort(key=lambda i: (-len(self._containing(normalize(self.items[i].name), 100)), i))
                if named:
                    return _Match(AMBIGUOUS, named[:MAX_ALTERNATIVES], "initials", "")
        return None

    def _match_homophone(self, cand: str, text: str) -> _Match | None:
        """Same pinyin, other characters ("电尺" -> 电池).

        Two or three syllables collide with real, different words far too often
        (滑板/花瓣, 项链/湘莲, 衣架/衣夹): those only give a did-you-mean. From four
        syllables on ("矿泉水平" -> 矿泉水瓶) a unique match is answered as likely.
        """
        syl = syllables(cand)
        if len(syl) < 2:
            return None
        ids = self.pinyin.get("".join(syl))
        if not ids:
            ids = self.fuzzy_pinyin.get("".join(fuzzy_syllable(s) for s in syl))
        if ids:
            ids_l = sorted(ids)
            if len(ids_l) == 1 and len(syl) >= HOMOPHONE_MIN_SYLLABLES:
                return _Match(LIKELY, ids_l, "homophone", self._remainder(text, cand))
            return _Match(AMBIGUOUS, ids_l, "homophone", "")
        # pinyin containment: a known name's pinyin inside the question's pinyin; it must cover
        # more than half of the question ("食品" in 食品添加剂 does not suggest 金属饰品)
        for length in range(len(syl) - 1, max(1, len(syl) // 2), -1):
            for start in range(0, len(syl) - length + 1):
                found = self.pinyin.get("".join(syl[start : start + length]))
                if not found:
                    continue
                if length >= HOMOPHONE_MIN_SYLLABLES and len(found) == 1 and _cjk_only(cand) and len(cand) == len(syl):
                    rem = cand[:start] + cand[start + length :]
                    if self._is_filler(rem):
                        return _Match(LIKELY, sorted(found), "homophone", rem)
                return _Match(AMBIGUOUS, sorted(found), "homophone", "")
        return None

    def _match_typo(self, key: str, text: str) -> _Match | None:
        c = self.typos.correct(key)
        if c is None:
            return None
        method = "typo_key" if c.level == 3 else "typo"
        if c.same_bin:
            return _Match(LIKELY, c.ids, method, self._remainder(text, key), corrected=c.forms[0])
        return _Match(AMBIGUOUS, c.ids[:MAX_ALTERNATIVES], method, "")

    def _match_fuzzy(self, key: str) -> _Match | None:
        if not key:
            return None
        latin = not has_cjk(key)
        if latin:
            key = en_key(key)
            if len(key) < 4:
                return None
        elif len(key) < 2:
            return None
        scored = self.fuzzy_candidates(key)
        if not scored:
            return None
        best_by_item: dict[int, float] = {}
        for score, fid in scored:
            iid = self.form_item[fid]
            if score > best_by_item.get(iid, -1):
                best_by_item[iid] = score
        ranked = sorted(best_by_item.items(), key=lambda x: -x[1])
        top_id, top = ranked[0]
        second = ranked[1][1] if len(ranked) > 1 else 0.0
        likely_thr = FUZZY_LIKELY_LATIN
        # A name inside the question (or the question inside a name) is containment's
        # business: "电池盒" is not a typo of 电池. Fuzzy answers only substitutions/swaps.
        top_forms = [self.form_keys[fid] for s, fid in scored if self.form_item[fid] == top_id and s == top]
        nested = any(f in key or key in f for f in top_forms)
        # Chinese: a one-character difference between real words is another item
        # (塑料饭盒/塑料鞋盒), and IME errors are homophones: suggest only.
        if latin and top >= likely_thr and top - second >= FUZZY_MARGIN and not nested:
            return _Match(LIKELY, [top_id], "fuzzy")
        floor = FUZZY_SUGGEST_LATIN if latin else FUZZY_SUGGEST
        close = [iid for iid, s in ranked if s >= floor and s >= top - 15][:MAX_ALTERNATIVES]
        if close:
            return _Match(AMBIGUOUS, close, "fuzzy", "")
        return None

    def _match_reverse(self, key: str) -> _Match | None:
        latin = not has_cjk(key)
        if latin:
            key = en_key(key)
            if len(key) < 3:
                return None
        elif len(key) < 2:
            return None
        ids: list[int] = []
        for f in self._containing(key, 40):
            if latin and key not in self.form_keys[f].split() and f" {key} " not in f" {self.form_keys[f]} ":
                continue  # whole words only: "phone" is in "mobile phone", "cup" is not in "cupboard"
            iid = self.form_item[f]
            if iid not in ids:
                ids.append(iid)
        if not ids:
            return None
        return _Match(AMBIGUOUS, ids[:MAX_ALTERNATIVES], "containment", "")
