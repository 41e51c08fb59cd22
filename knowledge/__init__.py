"""Wufei sorting knowledge base: data loader, normaliser and matcher (no aiogram here).

from knowledge import load_kb
kb = load_kb()
v = kb.classify("电池是什么垃圾?")   # Verdict(category="hazardous", item="电池", confidence="sure", ...)
"""

from .kb import KnowledgeBase, Problem, load_kb
from .schema import Category, Item, KbError, Stream
from .verdicts import SearchHit, Verdict

__all__ = [
    "Category",
    "Item",
    "KbError",
    "KnowledgeBase",
    "Problem",
    "SearchHit",
    "Stream",
    "Verdict",
    "load_kb",
]
