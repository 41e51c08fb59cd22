"""What classification returns: the verdict for a question, search hits, and the matcher's
internal tier result (`_Match`). Confidence is one of SURE, LIKELY (answered), AMBIGUOUS (did you
mean) and UNKNOWN; only SURE and LIKELY name a category."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from .schema import Item

SURE, LIKELY, AMBIGUOUS, UNKNOWN = "sure", "likely", "ambiguous", "unknown"
MAX_ALTERNATIVES = 3  # did-you-mean buttons and alternatives shown with an answer
# Tiers that read the question as something else than what was typed (a guess at an input error):
# only their answers are "the closest match"; exact, alias, pinyin, question and containment
# answers name what was asked.
CORRECTIONS = frozenset({"homophone", "fuzzy", "typo", "typo_key", "typo_edit"})


@dataclass
class Verdict:
    query: str
    category: str | None = None
    item: str | None = None
    stream: str | None = None
    confidence: str = UNKNOWN
    alternatives: list[dict[str, Any]] = field(default_factory=list)
    items: list[Verdict] = field(default_factory=list)
    condition: dict[str, str | None] | None = None
    tip: dict[str, str | None] | None = None
    note: dict[str, str | None] | None = None
    conditions_available: list[dict[str, str | None]] = field(default_factory=list)
    method: str | None = (
        None  # exact | alias | english | pinyin | initials | containment | homophone | fuzzy | head | typo
    )
    corrected: str | None = None  # the known form a typo was read as ("玻离瓶" -> "玻璃瓶"): answered as it
    asked: list[str] = field(default_factory=list)  # bins the question named ("属于A还是B"): say which

    @property
    def answered(self) -> bool:
        return self.confidence in (SURE, LIKELY)

    @property
    def is_correction(self) -> bool:
        """Answered by reading the question as another, known form (a typo, a homophone)."""
        return self.answered and self.method in CORRECTIONS

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["items"] = [v.to_dict() for v in self.items]
        return d

    def to_json_obj(self) -> dict[str, Any]:
        """The compact line format of `kb classify`."""
        d: dict[str, Any] = {
            "query": self.query,
            "category": self.category,
            "item": self.item,
            "stream": self.stream,
            "confidence": self.confidence,
            "alternatives": self.alternatives,
        }
        if self.corrected:
            d["corrected"] = self.corrected
        if self.asked:
            d["asked"] = self.asked
        if self.items:
            d["items"] = [{k: v for k, v in x.to_json_obj().items() if k != "items"} for x in self.items]
        return d


@dataclass
class SearchHit:
    item: Item
    score: float
    matched: str  # the surface form that matched


@dataclass
class _Match:
    confidence: str
    ids: list[int]  # best first; for sure/likely ids[0] is the answer
    method: str
    remainder: str = ""  # query words outside the matched form (state words)
    category_only: bool = False  # likely category of close items, no single item named
    corrected: str = ""  # the known form a typo was read as
