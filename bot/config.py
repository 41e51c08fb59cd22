"""Configuration from the environment and an optional ``.env`` file (see ``.env.example``)."""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, HttpUrl, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

LOCALES = ("zh", "en")
TOKEN_RE = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{20,}$")
ENV_PREFIX = "WUFEI_"
TILE_HOST_RE = re.compile(r"([A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])(:\d{1,5})?")


class RunMode(StrEnum):
    POLLING = "polling"
    WEBHOOK = "webhook"
    SANDBOX = "sandbox"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: SecretStr | None = None
    # A self-hosted Telegram Bot API server (https://github.com/tdlib/telegram-bot-api); empty = Telegram.
    api_base: str | None = None
    database_url: str = "sqlite+aiosqlite:///data/wufei.db"
    redis_url: str | None = None
    admin_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    webhook_base_url: HttpUrl | None = None
    webhook_secret: SecretStr | None = None
    webhook_path: str = "/telegram/webhook"
    web_host: str = "127.0.0.1"
    web_port: int = Field(default=8080, ge=0, le=65535)
    timezone: str = "Asia/Shanghai"
    default_locale: str = "zh"
    media_dir: Path = Path("data/media")
    # The built sorting knowledge base, read at start-up instead of building it (knowledge/kb_cache.py);
    # empty: build it every time.
    kb_cache_dir: Path | None = Path("data/cache")
    # Report photos in an S3-compatible object store instead of media_dir (needed for several
    # instances): bucket (empty = the folder), endpoint (empty = AWS), region, keys (empty = boto3's
    # chain: AWS_* variables, an instance role), a key prefix, addressing style (auto|path|virtual).
    media_s3_bucket: str | None = None
    media_s3_endpoint_url: HttpUrl | None = None
    media_s3_region: str | None = None
    media_s3_access_key_id: str | None = None
    media_s3_secret_access_key: SecretStr | None = None
    media_s3_prefix: str = ""
    media_s3_addressing_style: Literal["auto", "path", "virtual"] = "auto"
    sandbox_host: str = "127.0.0.1"
    sandbox_port: int = Field(default=8081, ge=0, le=65535)
    flood_limit: int = Field(default=20, ge=1)
    flood_window_s: float = Field(default=10.0, gt=0)
    # Users and roles are cached this long per process; a change made by this process applies at
    # once, one made by another instance within this time.
    user_cache_ttl_s: float = Field(default=30.0, ge=0)
    # Every message the bot sends, all features (and, with Redis, all instances) together.
    send_rate_per_s: float = Field(default=28.0, gt=0, le=1000)
    log_level: str = "INFO"
    # The update inbox (bot/inbox.py): chats handled at once, days finished updates are kept, and
    # the longest wait between two tries while the database or Redis is unreachable.
    inbox_concurrency: int = Field(default=16, ge=1, le=256)
    inbox_keep_days: float = Field(default=7, gt=0)
    retry_max_s: float = Field(default=15, ge=1, le=600)
    # Public address of the web server (links in Open311 media_url); default http://web_host:web_port
    public_base_url: HttpUrl | None = None
    # The dashboard's map on tiles from this server (a URL template with {z}, {x} and {y}, e.g.
    # http://tiles.local/{z}/{x}/{y}.png, or a path on this server); empty: the shipped outline only.
    dashboard_tiles: str | None = None
    dashboard_tiles_attribution: str = ""

    # Dumping reports
    report_daily_limit: int = Field(default=5, ge=1)
    geocoder_url: str = "https://nominatim.openstreetmap.org"
    geocoder_user_agent: str = "Wufei/0.1 (Jiangyin waste-free city bot)"
    geocoder_enabled: bool = True
    boundaries_file: Path | None = None
    open311_api_keys: Annotated[list[str], NoDecode] = Field(default_factory=list)
    remind_after_h: float = Field(default=24, gt=0)
    escalate_after_d: float = Field(default=7, gt=0)
    followup_after_d: float = Field(default=3, gt=0)

    # Campaigns
    campaign_rate_per_s: float = Field(default=25, gt=0, le=1000)
    campaign_inflight: int = Field(default=16, ge=1, le=256)
    campaign_grace_min: float = Field(default=60, ge=0)
    quiet_hours: str = "21:00-08:00"

    @field_validator(
        "bot_token",
        "webhook_secret",
        "redis_url",
        "webhook_base_url",
        "api_base",
        "public_base_url",
        "boundaries_file",
        "kb_cache_dir",
        "media_s3_bucket",
        "media_s3_endpoint_url",
        "media_s3_region",
        "media_s3_access_key_id",
        "media_s3_secret_access_key",
        "dashboard_tiles",
        mode="before",
    )
    @classmethod
    def _empty_is_none(cls, value):
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not TOKEN_RE.match(value.get_secret_value()):
            raise ValueError("does not look like a token from @BotFather (digits:secret)")
        return value

    @field_validator("open311_api_keys", mode="before")
    @classmethod
    def _split_keys(cls, value):
        if isinstance(value, str):
            return [p for p in re.split(r"[,\s]+", value.strip()) if p]
        return value

    @field_validator("quiet_hours")
    @classmethod
    def _quiet(cls, value: str) -> str:
        value = value.strip()
        if value and not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d", value):
            raise ValueError("must look like 21:00-08:00 (or be empty for none)")
        return value

    @field_validator("boundaries_file")
    @classmethod
    def _boundaries_exist(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"no such file: {value}")
        return value

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value):
        if isinstance(value, str):
            parts = [p for p in re.split(r"[,\s]+", value.strip()) if p]
            try:
                return [int(p) for p in parts]
            except ValueError:
                raise ValueError("must be Telegram user ids separated by commas") from None
        return value

    @field_validator("dashboard_tiles")
    @classmethod
    def _tile_template(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        parts = urlsplit(value)
        if value.startswith("/") and not value.startswith("//"):
            host_ok = True  # a path on the bot's own web server (behind the same proxy)
        else:
            # the origin goes into the pages' Content-Security-Policy: a plain host[:port] only
            host_ok = parts.scheme in ("http", "https") and bool(TILE_HOST_RE.fullmatch(parts.netloc))
        if not host_ok or not all(key in value for key in ("{z}", "{x}", "{y}")):
            raise ValueError("must look like http://tiles.example/{z}/{x}/{y}.png (one host, no {s})")
        return value

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        if value.startswith(("postgres://", "postgresql://")):
            return "postgresql+asyncpg://" + value.split("://", 1)[1]
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("use sqlite+aiosqlite:///path or postgresql+asyncpg://user@host/db")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (e.g. Asia/Shanghai)") from None
        return value

    @field_validator("default_locale")
    @classmethod
    def _known_locale(cls, value: str) -> str:
        if value not in LOCALES:
            raise ValueError(f"must be one of {', '.join(LOCALES)}")
        return value

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        value = value.upper()
        if value not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return value

    @model_validator(mode="after")
    def _webhook_needs(self) -> Settings:
        if self.webhook_base_url is not None:
            if self.bot_token is None:
                raise ValueError("WUFEI_WEBHOOK_BASE_URL needs WUFEI_BOT_TOKEN as well")
            if self.webhook_secret is None:
                raise ValueError("WUFEI_WEBHOOK_BASE_URL needs WUFEI_WEBHOOK_SECRET as well")
        if self.webhook_secret is not None and not re.fullmatch(
            r"[A-Za-z0-9_-]{1,256}", self.webhook_secret.get_secret_value()
        ):
            raise ValueError("WUFEI_WEBHOOK_SECRET may only use A-Z, a-z, 0-9, _ and -")
        return self

    @model_validator(mode="after")
    def _s3_keys_in_pairs(self) -> Settings:
        if (self.media_s3_access_key_id is None) != (self.media_s3_secret_access_key is None):
            raise ValueError("WUFEI_MEDIA_S3_ACCESS_KEY_ID and WUFEI_MEDIA_S3_SECRET_ACCESS_KEY go together")
        return self

    @property
    def mode(self) -> RunMode:
        if self.bot_token is None:
            return RunMode.SANDBOX
        if self.webhook_base_url is not None:
            return RunMode.WEBHOOK
        return RunMode.POLLING

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def public_url(self) -> str:
        if self.public_base_url is not None:
            return str(self.public_base_url).rstrip("/")
        return f"http://{self.web_host}:{self.web_port}"

    @property
    def dashboard_tiles_origin(self) -> str | None:
        """scheme://host[:port] of the tile server; None without one or when it is this server."""
        if self.dashboard_tiles is None or self.dashboard_tiles.startswith("/"):
            return None
        parts = urlsplit(self.dashboard_tiles)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def webhook_url(self) -> str:
        return str(self.webhook_base_url).rstrip("/") + self.webhook_path


class ConfigError(Exception):
    """A setting is wrong; ``str()`` is one line naming it."""


def describe(error: ValidationError) -> str:
    first = error.errors()[0]
    loc = [str(part) for part in first.get("loc", ()) if part]
    message = first.get("msg", "invalid value").removeprefix("Value error, ")
    if loc:
        return f"{ENV_PREFIX}{loc[0].upper()}: {message}"
    return message


def load_settings(**overrides) -> Settings:
    try:
        return Settings(**overrides)
    except ValidationError as error:
        raise ConfigError(describe(error)) from None
