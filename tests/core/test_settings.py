"""Settings come from KOHTAAMO_* variables; a bad one stops the program with one clear line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.settings import Settings, SettingsError

REPOSITORY = Path(__file__).resolve().parents[2]


def test_defaults_run_on_sqlite_in_helsinki_time_in_finnish() -> None:
    settings = Settings.from_env({})
    assert settings.database_url == "sqlite+aiosqlite:///var/kohtaamo.sqlite3"
    assert settings.time_zone == "Europe/Helsinki"
    assert settings.default_language == "fi"
    assert (settings.host, settings.port) == ("127.0.0.1", 8080)
    assert not settings.secure_cookies


def test_https_base_url_makes_cookies_secure() -> None:
    settings = Settings.from_env({"KOHTAAMO_BASE_URL": "https://kohtaamo.example.fi/"})
    assert settings.base_url == "https://kohtaamo.example.fi"
    assert settings.secure_cookies


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("PORT", "eighty", "KOHTAAMO_PORT: must be a whole number, got 'eighty'"),
        ("PORT", "70000", "KOHTAAMO_PORT: must be between 0 and 65535, got 70000"),
        ("TIME_ZONE", "Mars/Olympus", "KOHTAAMO_TIME_ZONE: is not a known IANA time zone"),
        (
            "DEFAULT_LANGUAGE",
            "de",
            "KOHTAAMO_DEFAULT_LANGUAGE: must be one of fi, sv, en, got 'de'",
        ),
        ("DATABASE_URL", "mysql://x", "KOHTAAMO_DATABASE_URL: must start with sqlite+aiosqlite://"),
        ("BASE_URL", "kohtaamo.fi", "KOHTAAMO_BASE_URL: must be an absolute http(s) URL"),
        ("SECRET_KEY", "short", "KOHTAAMO_SECRET_KEY: must be at least 32 characters long"),
        ("SMTP_SECURITY", "ssl", "KOHTAAMO_SMTP_SECURITY: must be one of none, starttls, tls"),
        ("TURN_URLS", "http://turn.example", "KOHTAAMO_TURN_URLS: each URL must start with turn:"),
    ],
)
def test_bad_value_names_the_variable_and_the_problem(
    variable: str, value: str, expected: str
) -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({f"KOHTAAMO_{variable}": value})
    assert str(raised.value).startswith(expected)


DATA_KEY = "dGVzdC1kYXRhLWtleS0wMTIzNDU2Nzg5YWJjZGVmMDE="


def test_production_requires_a_secret_key_data_keys_and_https() -> None:
    with pytest.raises(SettingsError, match="KOHTAAMO_SECRET_KEY: is required in production"):
        Settings.from_env({"KOHTAAMO_ENVIRONMENT": "production"})
    with pytest.raises(SettingsError, match="KOHTAAMO_DATA_KEYS: is required in production"):
        Settings.from_env({"KOHTAAMO_ENVIRONMENT": "production", "KOHTAAMO_SECRET_KEY": "k" * 40})
    with pytest.raises(SettingsError, match="KOHTAAMO_BASE_URL: must use https in production"):
        Settings.from_env(
            {
                "KOHTAAMO_ENVIRONMENT": "production",
                "KOHTAAMO_SECRET_KEY": "k" * 40,
                "KOHTAAMO_DATA_KEYS": DATA_KEY,
            }
        )


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ("not base64!", "KOHTAAMO_DATA_KEYS: key 1 is not 32 bytes of url-safe base64"),
        (f"{DATA_KEY},c2hvcnQ=", "KOHTAAMO_DATA_KEYS: key 2 is not 32 bytes of url-safe base64"),
        (f"{DATA_KEY},{DATA_KEY}", "KOHTAAMO_DATA_KEYS: names one key twice"),
    ],
)
def test_a_malformed_data_key_stops_the_start_with_its_position(keys: str, expected: str) -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({"KOHTAAMO_DATA_KEYS": keys})
    assert str(raised.value).startswith(expected)


def test_turn_urls_need_the_shared_secret() -> None:
    with pytest.raises(SettingsError, match="KOHTAAMO_TURN_SECRET"):
        Settings.from_env({"KOHTAAMO_TURN_URLS": "turn:127.0.0.1:3478"})


def test_command_line_stops_with_exit_code_2_and_one_line(tmp_path: Path) -> None:
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith("KOHTAAMO_")
    }
    environment["KOHTAAMO_PORT"] = "not-a-port"
    completed = subprocess.run(
        [sys.executable, "server.py", "migrate"],
        cwd=REPOSITORY,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 2
    assert completed.stdout == ""
    assert completed.stderr.splitlines() == [
        "kohtaamo: configuration error: KOHTAAMO_PORT: must be a whole number, got 'not-a-port'"
    ]


def test_production_relays_every_meeting_and_so_needs_a_turn_server() -> None:
    production = {
        "KOHTAAMO_ENVIRONMENT": "production",
        "KOHTAAMO_SECRET_KEY": "k" * 40,
        "KOHTAAMO_DATA_KEYS": DATA_KEY,
        "KOHTAAMO_BASE_URL": "https://kohtaamo.example.fi",
    }
    with pytest.raises(SettingsError, match="KOHTAAMO_VIDEO_RELAY_ONLY: needs a TURN server"):
        Settings.from_env(production)
    with_turn = Settings.from_env(
        production
        | {"KOHTAAMO_TURN_URLS": "turns:turn.example.fi:443", "KOHTAAMO_TURN_SECRET": "s"}
    )
    assert with_turn.video_relay_only
    assert not Settings.from_env({}).video_relay_only


def test_concern_report_settings_default_to_finland_without_former_report_keys() -> None:
    settings = Settings.from_env({"KOHTAAMO_SECRET_KEY": "s" * 40})
    assert settings.jurisdiction == "fi"
    assert settings.report_retention_days == 365
    assert settings.file_store == Path("var/files")
    assert settings.report_keys == ()  # reports are under the data keys


def test_concern_report_settings_are_read() -> None:
    from cryptography.fernet import Fernet

    new, old = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings = Settings.from_env(
        {
            "KOHTAAMO_JURISDICTION": "se",
            "KOHTAAMO_REPORT_KEYS": f"{new}, {old}",
            "KOHTAAMO_SOCIAL_ONCALL_PHONE": "+46 8 123 456 78",
            "KOHTAAMO_REPORT_RETENTION_DAYS": "30",
            "KOHTAAMO_FILE_STORE": "/srv/kohtaamo/files",
        }
    )
    assert settings.jurisdiction == "se"
    assert settings.report_keys == (new, old)
    assert settings.social_oncall_phone == "+46 8 123 456 78"
    assert settings.report_retention_days == 30
    assert settings.file_store == Path("/srv/kohtaamo/files")


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("JURISDICTION", "no", "KOHTAAMO_JURISDICTION: must be one of fi, se"),
        ("REPORT_KEYS", "not-a-key", "KOHTAAMO_REPORT_KEYS: key 1 is not a Fernet key"),
        ("REPORT_RETENTION_DAYS", "0", "KOHTAAMO_REPORT_RETENTION_DAYS: must be between"),
    ],
)
def test_bad_concern_report_settings_are_named(variable: str, value: str, expected: str) -> None:
    with pytest.raises(SettingsError, match=expected):
        Settings.from_env({f"KOHTAAMO_{variable}": value})
