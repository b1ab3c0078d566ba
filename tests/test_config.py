"""Settings: read once from the environment, refused clearly when wrong."""

from __future__ import annotations

import pytest

from bot.config import DEMO_CHANNEL_SECRET, SettingsError, load_settings


def test_no_credentials_means_demo_mode_with_the_simulator():
    s = load_settings({"PORT": "5050"})
    assert s.demo_mode and s.simulator_enabled
    assert s.line_channel_secret == DEMO_CHANNEL_SECRET
    assert s.line_api_base_url == "http://127.0.0.1:5050/simulator/line"
    assert s.line_data_api_base_url == s.line_api_base_url
    assert s.database_url.startswith("sqlite:///")


def test_production_settings():
    s = load_settings(
        {
            "LINE_CHANNEL_SECRET": "s",
            "LINE_CHANNEL_ACCESS_TOKEN": "t",
            "SECRET_KEY": "k",
            "DATABASE_URL": "postgres://u:p@db/machikoe",
            "DIGEST_EMAILS": "a@x.jp, b@x.jp",
            "SMTP_URL": "smtp://u:p@mail:25",
            "LOG_LEVEL": "debug",
        }
    )
    assert not s.demo_mode and not s.simulator_enabled
    assert s.line_api_base_url == "https://api.line.me"
    assert s.database_url == "postgresql+psycopg2://u:p@db/machikoe"
    assert s.digest_emails == ("a@x.jp", "b@x.jp")
    assert s.log_level == "DEBUG" and load_settings({}).log_level == "INFO"


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"LINE_CHANNEL_SECRET": "s"}, "LINE_CHANNEL_ACCESS_TOKEN is not set"),
        ({"LINE_CHANNEL_SECRET": "s", "LINE_CHANNEL_ACCESS_TOKEN": "t"}, "SECRET_KEY is required"),
        ({"TOWN_TZ": "Mars/Olympus"}, "TOWN_TZ"),
        ({"SIMULATOR_ENABLED": "maybe"}, "SIMULATOR_ENABLED"),
        ({"SMTP_URL": "http://mail"}, "SMTP_URL"),
        ({"DIGEST_EMAILS": "nobody"}, "DIGEST_EMAILS"),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
        ({"LOG_LEVEL": "loud"}, "LOG_LEVEL"),
        ({"DATABASE_URL": "postgresql+asyncpg://x/db"}, "DATABASE_URL"),
        ({"LINE_API_BASE_URL": "ftp://x"}, "LINE_API_BASE_URL"),
    ],
)
def test_bad_settings_are_refused_clearly(env, says):
    with pytest.raises(SettingsError, match=says):
        load_settings(env)
