"""Free text is stored without the characters XML 1.0 forbids, wherever it comes in through the
reports service (reports, drafts, status comments, notes), on SQLite and PostgreSQL. Before this
rule a NUL or a lone surrogate from Telegram's JSON made the write fail, and a control character
broke the Open311 XML of every list that held the report."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from core.text import clean, clean_tree, xml_safe
from reports import service as svc
from reports.models import Channel, LocationSource, ReportStatus, WasteType
from reports.open311 import to_xml

pytestmark = pytest.mark.dates

CHENGJIANG = (31.91102, 120.26302)
REPORTER, STAFF = 1001, 2001
# What XML 1.0 forbids: C0 controls but tab/newline/CR, NUL, lone surrogates, U+FFFE and U+FFFF.
FORBIDDEN = "\x00\x01\x02\x08\x0b\x0c\x1f\ud800\udfff\ufffe\uffff"


def photo(i: int = 0) -> svc.PhotoIn:
    sha = f"{i:064x}"
    return svc.PhotoIn(sha, f"originals/{sha}.jpg", f"public/{sha}.jpg", 10, 10)


def dirty(text: str) -> str:
    """``text`` with a forbidden character after each of its first characters."""
    return "".join(c + FORBIDDEN[i % len(FORBIDDEN)] for i, c in enumerate(text))


@pytest.mark.parametrize(
    "text, kept",
    [
        ("河边\x01\x02\x0b\x1f一堆", "河边一堆"),
        ("line one\nline two\tTabbed\r\n", "line one\nline two\tTabbed\r\n"),
        ("\ud83d lone high, \udc00 lone low, 😀 a pair", " lone high,  lone low, 😀 a pair"),
        ("\ufffe\uffff\ufffd\ue000\U0010ffff", "\ufffd\ue000\U0010ffff"),
        ("\x7f\x85 discouraged but allowed", "\x7f\x85 discouraged but allowed"),
    ],
)
def test_xml_safe_drops_exactly_what_xml_forbids(text, kept):
    assert xml_safe(text) == kept
    assert ET.fromstring(to_xml("r", None, {"v": text})).findtext("v") == kept.replace("\r\n", "\n")


def test_clean_trims_and_clean_tree_reaches_every_string():
    assert clean(" \x00 \x01 ") is None and clean(None) is None and clean("\x0b 扫把\t") == "扫把"
    assert clean_tree({"a\x00": ["x\x01", {"b": "\ufffe"}, 3, None], "n": 1.5}) == {
        "a": ["x", {"b": ""}, 3, None],
        "n": 1.5,
    }


async def test_reports_drafts_and_comments_are_stored_clean(sessions):
    new = svc.NewReport(
        *CHENGJIANG,
        LocationSource.TELEGRAM,
        WasteType.HOUSEHOLD,
        "bags",
        plate=dirty("苏B12345"),
        description=dirty("河边一堆") + "\n第二行\t完",
        address=dirty("澄江街道 人民路"),
    )
    async with sessions() as session:
        created = await svc.create_report(session, REPORTER, new, [photo()])
    report = created.report
    assert report.description == "河边一堆\n第二行\t完"  # newlines and tabs are kept
    assert report.address == "澄江街道 人民路" and report.plate == "苏B12345"

    async with sessions() as session:
        accepted = await svc.transition(session, report.id, STAFF, ReportStatus.ACCEPTED, comment=dirty("收到"))
        moved = await svc.reassign(session, report.id, STAFF, "320281103", comment=dirty("交给青阳"))
        noted = await svc.add_comment(session, report.id, STAFF, dirty("已联系") + "\x00")
        assert [o.event.comment for o in (accepted, moved, noted)] == ["收到", "交给青阳", "已联系"]
        stored = [e.comment for e in await svc.events(session, report.id)]
        assert stored == [None, "收到", "交给青阳", "已联系"]

    data = {
        "lat": CHENGJIANG[0],
        "lon": CHENGJIANG[1],
        "location_source": "telegram",
        "waste_type": "bulky",
        "amount": "car",
        "description": dirty("旧沙发"),
        "address": dirty("青阳镇"),
        "photos": [{"sha256": "f" * 64, "original_path": "o.jpg", "public_path": "p.jpg", "width": 10, "height": 10}],
        "notes": [dirty("嵌套")],
    }
    async with sessions() as session:
        await svc.save_draft(session, REPORTER, data, "ReportFlow:confirm")
        draft = await svc.load_draft(session, REPORTER)
        assert (draft.data["description"], draft.data["address"], draft.data["notes"]) == ("旧沙发", "青阳镇", ["嵌套"])
        submitted = await svc.submit_draft(session, REPORTER)
    assert submitted.report.description == "旧沙发" and submitted.report.address == "青阳镇"


async def test_an_overlong_address_is_refused_and_nothing_is_stored(sessions):
    async with sessions() as session:
        for address, fits in (
            ("路" * svc.MAX_ADDRESS, True),
            ("路" * (svc.MAX_ADDRESS + 1), False),
            ("路" * svc.MAX_ADDRESS + "\x01" * 50, True),
        ):
            new = svc.NewReport(*CHENGJIANG, LocationSource.API, WasteType.OTHER, address=address)
            if fits:
                created = await svc.create_report(session, None, new, channel=Channel.OPEN311, min_photos=0)
                assert created.report.address == "路" * svc.MAX_ADDRESS
            else:
                with pytest.raises(svc.ReportError) as refused:
                    await svc.create_report(session, None, new, channel=Channel.OPEN311, min_photos=0)
                assert refused.value.code == svc.ReportErrorCode.ADDRESS_TOO_LONG
        assert len(await svc.list_by(session)) == 2


async def test_a_comment_longer_than_its_column_is_cut_not_a_failed_change(sessions):
    """A Telegram message holds 4096 characters, the comment column 1000: on PostgreSQL the longer
    comment made the staff's "resolved" fail with the generic apology, every time they tried."""
    new = svc.NewReport(*CHENGJIANG, LocationSource.TELEGRAM, WasteType.HOUSEHOLD, "bags")
    async with sessions() as session:
        report = (await svc.create_report(session, REPORTER, new, [photo()])).report
        changed = await svc.transition(session, report.id, STAFF, ReportStatus.ACCEPTED, comment="评" * 4096)
        noted = await svc.add_comment(session, report.id, STAFF, "注" * (svc.MAX_COMMENT + 1))
        kept = await svc.add_comment(session, report.id, STAFF, "注" * svc.MAX_COMMENT)
        assert changed.report.status == ReportStatus.ACCEPTED
        stored = [e.comment for e in await svc.events(session, report.id)][1:]
    assert stored == ["评" * (svc.MAX_COMMENT - 1) + "…", "注" * (svc.MAX_COMMENT - 1) + "…", "注" * svc.MAX_COMMENT]
    assert (changed.event.comment, noted.event.comment, kept.event.comment) == tuple(stored)
