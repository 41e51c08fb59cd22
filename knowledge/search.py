"""Inline search: items for a partly typed name (exact, the classification's own answer, forms
starting with or containing the text, typed pinyin being typed, fuzzy), best first."""

from __future__ import annotations

import bisect

from .normalize import en_key, has_cjk, parse_query
from .pinyin import PINYIN_QUERY_RE as _PINYIN_QUERY_RE, TONE_RE as _TONE_RE
from .sounds import FUZZY_SUGGEST
from .verdicts import AMBIGUOUS, LIKELY, SURE, SearchHit

SCAN_CAP = 60000  # forms scanned for one-character inline searches


class Search:
    """Mixin of Matcher."""

    def search(self, query: str, limit: int = 10) -> list[SearchHit]:
        whole, _ = parse_query(query) if query and query.strip() else (None, [])
        if whole is None:
            return []
        key = whole.core or whole.text
        scores: dict[int, tuple[float, str]] = {}

        def offer(iid: int, score: float, form: str) -> None:
            if score > scores.get(iid, (-1.0, ""))[0]:
                scores[iid] = (score, form)

        for k in dict.fromkeys((whole.text, key)):
            for iid in self.lookup(k):
                offer(iid, 100.0, k)
        m = self.match_part(whole)
        if m:
            base = {SURE: 99.0, LIKELY: 95.0, AMBIGUOUS: 80.0}[m.confidence]
            for rank, iid in enumerate(m.ids):
                offer(iid, base - rank, self.items[iid].name)
        # forms starting with / containing the query
        if len(key) == 1:  # no unigram index: bounded scan, forms starting with the character first
            found = [f for f, k in enumerate(self.form_keys[:SCAN_CAP]) if key in k]
            found.sort(key=lambda f: (not self.form_keys[f].startswith(key), len(self.form_keys[f])))
            fids = found[: limit * 5]
        else:
            fids = self._containing(key, limit * 5) if key else []
        if fids:
            for f in fids:
                fk = self.form_keys[f]
                if key in fk:
                    s = 90.0 if fk.startswith(key) else 85.0
                    iid = self.form_item[f]
                    bonus = 0.3 if self.name_key.get(fk) == iid else 0.0  # canonical name before alias
                    offer(iid, s - min(len(fk) - len(key), 20) * 0.5 + bonus, fk)
        if whole.latin and _PINYIN_QUERY_RE.match(whole.text):  # pinyin being typed: "dianc" -> 电池
            compact = _TONE_RE.sub("", whole.text).replace(" ", "").replace("'", "")
            if len(compact) >= 3:
                keys = self._pinyin_keys()
                i = bisect.bisect_left(keys, compact)
                for pk in keys[i : i + limit * 5]:
                    if not pk.startswith(compact):
                        break
                    for iid in self.pinyin[pk]:
                        offer(iid, 88.0 - min(len(pk) - len(compact), 20) * 0.3, self.items[iid].name)
        for score, fid in self.fuzzy_candidates(key if has_cjk(key) else en_key(key), limit=limit * 2):
            if score >= FUZZY_SUGGEST:
                offer(self.form_item[fid], score * 0.8, self.form_keys[fid])
        ranked = sorted(scores.items(), key=lambda x: (-x[1][0], len(self.items[x[0]].name)))
        return [SearchHit(self.items[i], s, f) for i, (s, f) in ranked[:limit]]
