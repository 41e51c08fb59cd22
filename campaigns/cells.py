"""Waste-free cells (schools, communities, markets, factories), their deep links and QR codes."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from campaigns.models import Cell, CellKind
from core.clock import utcnow
from core.units import all_units

DEEP_LINK_PREFIX = "cell-"
_PAYLOAD_RE = re.compile(r"^cell-([1-9][0-9]{0,17})$")


class CellError(ValueError):
    """Invalid cell data or an unknown cell."""


@dataclass(frozen=True, slots=True)
class CellInfo:
    id: int
    name: str
    kind: CellKind
    unit_code: str
    address: str | None
    retired: bool
    created_by: int | None

    @classmethod
    def of(cls, row: Cell) -> CellInfo:
        return cls(row.id, row.name, CellKind(row.kind), row.unit_code, row.address, row.retired, row.created_by)


def _unit_codes() -> frozenset[str]:
    return frozenset(u.code for u in all_units())


def _check(name: str, kind: str, unit_code: str) -> tuple[str, CellKind]:
    name = name.strip()
    if not name or len(name) > 128:
        raise CellError("name must be 1..128 characters")
    try:
        kind = CellKind(kind)
    except ValueError:
        raise CellError(f"unknown cell kind {kind!r}") from None
    if unit_code not in _unit_codes():
        raise CellError(f"unknown unit {unit_code!r}")
    return name, kind


async def create_cell(
    session: AsyncSession,
    *,
    name: str,
    kind: CellKind | str,
    unit_code: str,
    address: str | None = None,
    created_by: int | None = None,
) -> CellInfo:
    name, kind = _check(name, kind, unit_code)
    row = Cell(
        name=name,
        kind=kind.value,
        unit_code=unit_code,
        address=(address or "").strip()[:256] or None,
        created_by=created_by,
    )
    session.add(row)
    await session.commit()
    return CellInfo.of(row)


async def edit_cell(
    session: AsyncSession,
    cell_id: int,
    *,
    name: str | None = None,
    kind: CellKind | str | None = None,
    unit_code: str | None = None,
    address: str | None = None,
    clear_address: bool = False,
) -> CellInfo:
    row = await session.get(Cell, cell_id)
    if row is None:
        raise CellError(f"no cell {cell_id}")
    new_name, new_kind = _check(
        name if name is not None else row.name,
        kind if kind is not None else row.kind,
        unit_code if unit_code is not None else row.unit_code,
    )
    row.name, row.kind = new_name, new_kind.value
    if unit_code is not None:
        row.unit_code = unit_code
    if clear_address:
        row.address = None
    elif address is not None:
        row.address = address.strip()[:256] or None
    row.updated_at = utcnow()
    await session.commit()
    return CellInfo.of(row)


async def retire_cell(session: AsyncSession, cell_id: int, retired: bool = True) -> CellInfo:
    """Retire (or bring back) a cell. Subscriptions to it stay; campaigns no longer reach it."""
    row = await session.get(Cell, cell_id)
    if row is None:
        raise CellError(f"no cell {cell_id}")
    row.retired = retired
    row.updated_at = utcnow()
    await session.commit()
    return CellInfo.of(row)


async def get_cell(session: AsyncSession, cell_id: int) -> CellInfo | None:
    row = await session.get(Cell, cell_id)
    return CellInfo.of(row) if row else None


async def list_cells(
    session: AsyncSession,
    *,
    kind: CellKind | str | None = None,
    unit_code: str | None = None,
    include_retired: bool = False,
) -> list[CellInfo]:
    stmt = select(Cell)
    if kind is not None:
        stmt = stmt.where(Cell.kind == CellKind(kind).value)
    if unit_code is not None:
        stmt = stmt.where(Cell.unit_code == unit_code)
    if not include_retired:
        stmt = stmt.where(Cell.retired == False)  # noqa: E712
    rows = (await session.exec(stmt.order_by(col(Cell.unit_code), col(Cell.kind), col(Cell.name), col(Cell.id)))).all()
    return [CellInfo.of(r) for r in rows]


# --- deep links and QR codes ---------------------------------------------------------------------


def build_payload(cell_id: int) -> str:
    """The ``/start`` payload of a cell (``cell-12``); Telegram allows [A-Za-z0-9_-], 64 chars."""
    if cell_id <= 0:
        raise CellError("cell ids are positive")
    return f"{DEEP_LINK_PREFIX}{cell_id}"


def parse_payload(payload: str | None) -> int | None:
    """The cell id of a ``cell-<id>`` payload, None for anything else."""
    match = _PAYLOAD_RE.match((payload or "").strip())
    return int(match[1]) if match else None


def deep_link(bot_username: str, cell_id: int) -> str:
    return f"https://t.me/{bot_username.removeprefix('@')}?start={build_payload(cell_id)}"


def qr_png(data: str, *, box_size: int = 10, border: int = 4) -> bytes:
    """A PNG of a QR code for ``data`` (medium error correction)."""
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M
    from qrcode.image.pil import PilImage  # what make_image() picks anyway when Pillow is there

    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=box_size, border=border)
    code.add_data(data)
    code.make(fit=True)
    image = code.make_image(image_factory=PilImage, fill_color="black", back_color="white")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def cell_qr_png(bot_username: str, cell_id: int, **kwargs) -> bytes:
    """The QR code staff print at a cell: scanning it opens the bot and subscribes to the cell."""
    return qr_png(deep_link(bot_username, cell_id), **kwargs)
