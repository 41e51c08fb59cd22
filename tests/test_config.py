"""Configuration errors stop start-up with one clear line naming the setting."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, RunMode, load_settings

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456:ABCdefGhIJKlmNoPQRstuVWXyz0123456789"


@pytest.mark.parametrize(
    "env, expected",
    [
        ({"WUFEI_TIMEZONE": "Mars/Olympus"}, "WUFEI_TIMEZONE: unknown time zone 'Mars/Olympus'"),
        ({"WUFEI_ADMIN_IDS": "12, boss"}, "WUFEI_ADMIN_IDS: must be Telegram user ids"),
        ({"WUFEI_BOT_TOKEN": "not-a-token"}, "WUFEI_BOT_TOKEN: does not look like a token"),
        ({"WUFEI_DATABASE_URL": "mysql://x"}, "WUFEI_DATABASE_URL: use sqlite+aiosqlite"),
        ({"WUFEI_DEFAULT_LOCALE": "fr"}, "WUFEI_DEFAULT_LOCALE: must be one of zh, en"),
        ({"WUFEI_REDIS_URL": "localhost:6379"}, "WUFEI_REDIS_URL: must start with redis://"),
        ({"WUFEI_WEB_PORT": "70000"}, "WUFEI_WEB_PORT:"),
        ({"WUFEI_WEBHOOK_BASE_URL": "https://bot.example.org"}, "needs WUFEI_BOT_TOKEN"),
        (
            {"WUFEI_WEBHOOK_BASE_URL": "https://bot.example.org", "WUFEI_BOT_TOKEN": TOKEN},
            "needs WUFEI_WEBHOOK_SECRET",
        ),
        (
            {"WUFEI_MEDIA_S3_BUCKET": "wufei-media", "WUFEI_MEDIA_S3_ACCESS_KEY_ID": "wufei"},
            "WUFEI_MEDIA_S3_ACCESS_KEY_ID and WUFEI_MEDIA_S3_SECRET_ACCESS_KEY go together",
        ),
        ({"WUFEI_MEDIA_S3_ADDRESSING_STYLE": "dns"}, "WUFEI_MEDIA_S3_ADDRESSING_STYLE:"),
        ({"WUFEI_MEDIA_S3_ENDPOINT_URL": "minio:9000"}, "WUFEI_MEDIA_S3_ENDPOINT_URL:"),
        ({"WUFEI_DASHBOARD_TILES": "tiles.local/{z}/{x}/{y}.png"}, "WUFEI_DASHBOARD_TILES: must look like"),
        ({"WUFEI_DASHBOARD_TILES": "http://tiles.local/{z}/{x}.png"}, "WUFEI_DASHBOARD_TILES: must look like"),
        ({"WUFEI_DASHBOARD_TILES": "http://{s}.tiles.local/{z}/{x}/{y}.png"}, "WUFEI_DASHBOARD_TILES:"),
        ({"WUFEI_DASHBOARD_TILES": "http://a;script-src *@t/{z}/{x}/{y}.png"}, "WUFEI_DASHBOARD_TILES:"),
        ({"WUFEI_DASHBOARD_TILES": "//tiles.local/{z}/{x}/{y}.png"}, "WUFEI_DASHBOARD_TILES:"),
    ],
)
def test_wrong_setting_names_the_setting(monkeypatch, env, expected):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError) as error:
        load_settings(_env_file=None)
    assert expected in str(error.value) and "\n" not in str(error.value)


def test_defaults_work_on_a_fresh_machine():
    settings = load_settings(_env_file=None)
    assert settings.mode is RunMode.SANDBOX
    assert settings.database_url == "sqlite+aiosqlite:///data/wufei.db"
    assert settings.timezone == "Asia/Shanghai" and settings.default_locale == "zh"
    assert settings.redis_url is None and settings.admin_ids == []
    assert settings.kb_cache_dir == Path("data/cache")


def test_an_empty_kb_cache_dir_turns_the_cache_off(monkeypatch):
    monkeypatch.setenv("WUFEI_KB_CACHE_DIR", "")
    assert load_settings(_env_file=None).kb_cache_dir is None


@pytest.mark.parametrize(
    "template, origin",
    [
        ("http://tiles.local/{z}/{x}/{y}.png", "http://tiles.local"),
        ("https://10.0.0.7:8443/osm/{z}/{x}/{y}.png?key=1", "https://10.0.0.7:8443"),
        ("/tiles/{z}/{x}/{y}.png", None),  # on the bot's own server: 'self' covers it
        ("", None),
    ],
)
def test_tile_server_origin(monkeypatch, template, origin):
    monkeypatch.setenv("WUFEI_DASHBOARD_TILES", template)
    settings = load_settings(_env_file=None)
    assert settings.dashboard_tiles == (template or None)
    assert settings.dashboard_tiles_origin == origin


def test_modes_follow_token_and_webhook(monkeypatch):
    monkeypatch.setenv("WUFEI_BOT_TOKEN", TOKEN)
    assert load_settings(_env_file=None).mode is RunMode.POLLING
    monkeypatch.setenv("WUFEI_WEBHOOK_BASE_URL", "https://bot.example.org/")
    monkeypatch.setenv("WUFEI_WEBHOOK_SECRET", "s3cret_token")
    settings = load_settings(_env_file=None)
    assert settings.mode is RunMode.WEBHOOK
    assert settings.webhook_url == "https://bot.example.org/telegram/webhook"
    assert "s3cret" not in repr(settings) and TOKEN not in repr(settings)


def test_dotenv_file_is_read(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("WUFEI_ADMIN_IDS=5,6\nWUFEI_DEFAULT_LOCALE=en\n")
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.admin_ids == [5, 6] and settings.default_locale == "en"


def test_postgres_url_gets_the_async_driver(monkeypatch):
    monkeypatch.setenv("WUFEI_DATABASE_URL", "postgresql://postgres@127.0.0.1/wufei")
    assert load_settings(_env_file=None).database_url == "postgresql+asyncpg://postgres@127.0.0.1/wufei"


def test_env_example_documents_every_setting():
    from bot.config import Settings

    documented = (ROOT / ".env.example").read_text()
    for name in Settings.model_fields:
        assert f"WUFEI_{name.upper()}=" in documented, name


def test_main_prints_one_line_and_no_traceback(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("WUFEI_")}
    env["WUFEI_TIMEZONE"] = "Nowhere/Land"
    result = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "run"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "Configuration error: WUFEI_TIMEZONE: unknown time zone 'Nowhere/Land' (e.g. Asia/Shanghai)"
    ]
    assert "Traceback" not in result.stderr + result.stdout
