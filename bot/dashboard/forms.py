"""Reading a dashboard form: ``application/x-www-form-urlencoded`` (every button) or
``multipart/form-data`` (the "resolved" form with its "after" photo).

Rules:
- A multipart body is read as a stream (``request.multipart()``), not buffered by
  ``request.post()``: aiohttp's ``client_max_size`` (1 MiB on the bot's web server, which also
  serves the webhook and Open311 to the internet) does not apply to it; this reader's limits do.
- A file field holds at most ``max_bytes`` (the media store's limit, 20 MB as in the chat). A
  bigger file is drained, not kept, and marked ``too_large``, so the fields after it (and the
  comment before it) still arrive and the page can say so and keep what was typed. A body larger
  than ``BODY_LIMIT`` in all is refused (413) without more reading.
- A text field holds at most ``TEXT_LIMIT`` bytes; at most ``MAX_PARTS`` fields.
- A file field left empty (nothing chosen: an empty filename and no bytes) is absent.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import BodyPartReader, web
from multidict import MultiDict, MultiDictProxy

from reports.media import MAX_BYTES

CHUNK = 64 * 1024
TEXT_LIMIT = 16 * 1024
MAX_PARTS = 20
BODY_LIMIT = 4 * MAX_BYTES  # drained beyond the photo limit for a friendly answer, up to this


@dataclass(frozen=True, slots=True)
class Upload:
    """A file field: its bytes, or ``too_large`` (nothing kept)."""

    filename: str
    content_type: str
    data: bytes
    too_large: bool = False


class BodyTooLarge(Exception):
    """The body is bigger than anything the dashboard accepts."""


async def read(request: web.Request, max_bytes: int = MAX_BYTES) -> MultiDictProxy:
    """The request's form: text fields as ``str``, file fields as ``Upload``."""
    if request.content_type != "multipart/form-data":
        return await request.post()
    if request.content_length is not None and request.content_length > BODY_LIMIT:
        raise BodyTooLarge
    fields: MultiDict = MultiDict()
    reader = await request.multipart()
    budget = [BODY_LIMIT]
    for _ in range(MAX_PARTS):
        part = await reader.next()
        if part is None:
            break
        if not isinstance(part, BodyPartReader) or not part.name:
            raise web.HTTPBadRequest(text="a nested or unnamed form part")
        if part.filename is None:
            raw = await _bounded(part, TEXT_LIMIT, budget)
            if raw is None:
                raise web.HTTPBadRequest(text=f"the field {part.name} is too long")
            fields.add(part.name, raw.decode("utf-8", errors="replace"))
            continue
        data = await _bounded(part, max_bytes, budget)
        if data is None:
            fields.add(part.name, Upload(part.filename, part.headers.get("Content-Type", ""), b"", too_large=True))
        elif part.filename or data:
            fields.add(part.name, Upload(part.filename, part.headers.get("Content-Type", ""), data))
    return MultiDictProxy(fields)


async def _bounded(part: BodyPartReader, limit: int, budget: list[int]) -> bytes | None:
    """The part's bytes, or None when it holds more than ``limit`` (the rest is read and dropped);
    ``budget`` is what the whole body may still take."""
    kept = bytearray()
    over = False
    while chunk := await part.read_chunk(CHUNK):
        budget[0] -= len(chunk)
        if budget[0] < 0:
            raise BodyTooLarge
        if not over and len(kept) + len(chunk) > limit:
            over, kept = True, bytearray()
        if not over:
            kept += chunk
    return None if over else bytes(kept)
