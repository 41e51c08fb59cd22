"""Request parameters of a Bot API call and Telegram's error answers."""

from __future__ import annotations

import builtins
import json
from typing import Any, Literal, overload

from aiohttp.web import FileField


class ApiError(Exception):
    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code, self.description, self.retry_after = code, description, retry_after

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            d["parameters"] = {"retry_after": self.retry_after}
        return d


def bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


class Params:
    """Request parameters as aiogram sends them: strings, JSON-encoded objects, attached files."""

    def __init__(self, fields: dict[str, Any]) -> None:
        self.fields = fields

    def raw(self, name: str) -> Any:
        return self.fields.get(name)

    def has(self, name: str) -> bool:
        return self.fields.get(name) not in (None, "")

    # (the methods below are named after builtins: after this one, annotations say builtins.str)
    def str(self, name: str, required: bool = False) -> str | None:
        v = self.fields.get(name)
        if v is None:
            if required:
                raise bad(f"{name} is empty" if name != "text" else "message text is empty")
            return None
        return v if isinstance(v, str) else json.dumps(v) if not isinstance(v, (int, float)) else str(v)

    @overload
    def int(self, name: builtins.str, required: Literal[True], default: None = None) -> builtins.int: ...
    @overload
    def int(
        self, name: builtins.str, required: bool = False, default: builtins.int | None = None
    ) -> builtins.int | None: ...

    def int(
        self, name: builtins.str, required: bool = False, default: builtins.int | None = None
    ) -> builtins.int | None:
        v = self.fields.get(name)
        if v in (None, ""):
            if required:
                raise bad(f"{name} is empty" if name != "chat_id" else "chat_id is empty")
            return default
        try:
            return int(v)
        except (TypeError, ValueError):
            if name == "chat_id":
                raise bad("chat not found") from None
            raise bad(f"invalid {name} specified") from None

    @overload
    def float(self, name: builtins.str, required: Literal[True]) -> builtins.float: ...
    @overload
    def float(self, name: builtins.str, required: bool = False) -> builtins.float | None: ...

    def float(self, name: builtins.str, required: bool = False) -> builtins.float | None:
        v = self.fields.get(name)
        if v in (None, ""):
            if required:
                raise bad(f"{name} is empty")
            return None
        try:
            return float(v)
        except (TypeError, ValueError):
            raise bad(f"invalid {name} specified") from None

    def bool(self, name: builtins.str) -> bool:
        v = self.fields.get(name)
        if isinstance(v, bool):
            return v
        return str(v).lower() in ("true", "1") if v is not None else False

    def json(self, name: builtins.str) -> Any:
        v = self.fields.get(name)
        if v is None or v == "":
            return None
        if isinstance(v, (dict, list)):
            return v
        try:
            return json.loads(v)
        except (TypeError, ValueError):
            raise bad(f"can't parse {name} JSON object") from None

    def file(self, value: Any) -> tuple[builtins.str, Any]:
        """Resolve an InputFile field: ("upload", (bytes, filename, content_type)) or ("file_id", str)."""
        if isinstance(value, FileField):
            return "upload", (value.file.read(), value.filename, value.content_type)
        if isinstance(value, (bytes, bytearray)):
            return "upload", (bytes(value), None, None)
        if isinstance(value, str) and value.startswith("attach://"):
            att = self.fields.get(value[len("attach://") :])
            if not isinstance(att, (FileField, bytes, bytearray)):
                raise bad("wrong file identifier/HTTP URL specified")
            return self.file(att)
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            # The sandbox has no internet access, like our machines.
            raise bad("failed to get HTTP URL content")
        if isinstance(value, str) and value:
            return "file_id", value
        raise bad("there is no photo in the request")
