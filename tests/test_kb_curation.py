"""Runtime curation: add_alias/add_item take effect at once; export to curated YAML."""

import shutil
from pathlib import Path

import pytest
import yaml

from knowledge import KbError, load_kb
from knowledge.export import write_curated

FIX = Path(__file__).parent / "kb_fixtures" / "good"

NEW_ITEM = {
    "name": "蛋糕托",
    "aliases": ["蛋糕底托"],
    "en": ["cake board"],
    "category": "residual",
    "tip": {"zh": "投放其他垃圾桶。", "en": "Residual waste bin."},
}


@pytest.fixture
def kb():
    return load_kb(FIX / "data")


def test_add_alias_effective_at_once(kb):
    assert kb.classify("电芯").category is None
    kb.add_alias("电池", "电芯")
    v = kb.classify("电芯是什么垃圾")
    assert (v.item, v.category, v.confidence) == ("电池", "hazardous", "sure")
    assert kb.classify("dianxin").item == "电池"  # pinyin index updated too


def test_a_question_asked_before_a_change_gets_the_new_answer(kb):
    # Answers are remembered per question (issue 16); a curator's change must not be hidden by that.
    assert kb.classify("电芯").category is None
    assert kb.classify("蛋糕底托").category is None
    kb.add_alias("电池", "电芯")
    kb.add_item(NEW_ITEM)
    assert (kb.classify("电芯").item, kb.classify("电芯").category) == ("电池", "hazardous")
    assert kb.classify("蛋糕底托").item == "蛋糕托"


def test_add_english_alias(kb):
    kb.add_alias("快递纸箱", "carton")
    assert kb.classify("cartons").item == "快递纸箱"


def test_add_alias_clash_raises(kb):
    with pytest.raises(KbError, match="塑料瓶"):
        kb.add_alias("矿泉水瓶", "饮料瓶")  # alias of 塑料瓶
    with pytest.raises(KbError, match="no item"):
        kb.add_alias("不存在的东西", "某物")
    kb.add_alias("塑料瓶", "饮料瓶")  # already its own alias: no error, no change
    assert kb.classify("饮料瓶").item == "塑料瓶"


def test_add_item_effective_at_once(kb):
    assert kb.classify("蛋糕托").category is None
    item = kb.add_item(NEW_ITEM)
    assert item.name == "蛋糕托"
    assert kb.classify("蛋糕底托怎么扔").category == "residual"
    assert kb.classify("cake boards").item == "蛋糕托"
    assert kb.search("蛋糕", 3)[0].item.name == "蛋糕托"


def test_add_item_clash_and_invalid(kb):
    with pytest.raises(KbError, match="already"):
        kb.add_item({**NEW_ITEM, "name": "纸箱"})  # an alias of 快递纸箱
    with pytest.raises(KbError, match="already"):
        kb.add_item({**NEW_ITEM, "name": "新东西", "aliases": ["电池"]})
    with pytest.raises(KbError, match="tip"):
        kb.add_item({"name": "新东西", "en": ["new thing"], "category": "residual"})
    with pytest.raises(KbError, match="category"):
        kb.add_item({**NEW_ITEM, "name": "新东西", "category": "compost"})
    assert kb.classify("新东西").category is None  # nothing half-added


def test_write_curated_roundtrip(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(FIX / "data", data)
    paths = write_curated(data, {"电池": ["电芯", "电池芯"]}, [NEW_ITEM])
    assert {p.name for p in paths} == {"aliases.yaml", "items.yaml"}
    # merging again does not duplicate
    write_curated(data, {"电池": ["电芯"], "塑料瓶": ["胶瓶"]}, [{**NEW_ITEM, "aliases": ["蛋糕底托", "蛋糕垫"]}])
    aliases = yaml.safe_load((data / "curated" / "aliases.yaml").read_text(encoding="utf-8"))
    assert aliases == {"电池": ["电芯", "电池芯"], "塑料瓶": ["胶瓶"]}
    groups = yaml.safe_load((data / "curated" / "items.yaml").read_text(encoding="utf-8"))
    names = [it["name"] for g in groups for it in g["items"]]
    assert names == ["蛋糕托"]
    kb = load_kb(data)
    assert kb.problems == []
    assert kb.classify("电池芯").item == "电池"
    assert kb.classify("胶瓶").item == "塑料瓶"
    assert kb.classify("蛋糕垫").item == "蛋糕托"


def test_write_curated_rejects_invalid_item(tmp_path):
    with pytest.raises(KbError):
        write_curated(tmp_path, {}, [{"name": "x", "category": "compost"}])
    assert not (tmp_path / "curated" / "items.yaml").exists()


def test_curated_alias_clash_reported_by_loader(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(FIX / "data", data)
    write_curated(data, {"矿泉水瓶": ["饮料瓶"]}, [])
    kb = load_kb(data)
    assert any("饮料瓶" in str(p) and "aliases.yaml" in str(p) for p in kb.problems)


async def test_greetings_logged_with_a_key_earlier_stay_out_of_the_unanswered_list(sessions):
    from knowledge.curation import top_unanswered
    from knowledge.models import SortQuery

    async with sessions() as session:
        for query in ("你好", "你好", "😀", "火星土壤样本"):  # rows written before chit-chat lost its key
            session.add(SortQuery(user_hash="h", query=query, key=query, confidence="unknown", answered=False))
        await session.commit()
        assert [row.example for row in await top_unanswered(session)] == ["火星土壤样本"]
