"""Settings read from ``KOHTAAMO_*`` environment variables, validated once at start.

A bad value stops the program with exit code 2 and one line naming the variable
(see ``server.main``); nothing else in the code reads the environment.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Literal, NamedTuple
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cryptography.fernet import Fernet

from core.crypto import decode_key
from core.i18n import SUPPORTED_LANGUAGES

PREFIX = "KOHTAAMO_"
DEFAULT_SQLITE_URL = "sqlite+aiosqlite:///var/kohtaamo.sqlite3"

SmtpSecurity = Literal["none", "starttls", "tls"]

# How long the access log is kept when KOHTAAMO_ACCESS_LOG_RETENTION_DAYS is unset, by
# KOHTAAMO_JURISDICTION; the reasoning, and how sure it is, in docs/privacy.md.
# fi: 12 years from the entry. The client data act (703/2023) keeps the usage log of client data
#     for years (a client may ask for two years of it without giving a reason); 12 years is the
#     retention long used for social and health care log data. Not checked against the act's
#     wording here: the controller confirms it.
# se: 5 years. HSLF-FS 2016:40 4 kap. 9 § keeps access logs of patient data at least five years;
#     social services have no rule as specific, and the closest one is followed.
ACCESS_LOG_RETENTION_DEFAULTS = {"fi": 12 * 365 + 3, "se": 5 * 365 + 2}


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable."""

    def __init__(self, name: str, problem: str) -> None:
        super().__init__(f"{PREFIX}{name}: {problem}")
        self.name = name


@dataclasses.dataclass(frozen=True, slots=True)
class Settings:
    database_url: str = DEFAULT_SQLITE_URL
    secret_key: str = ""
    base_url: str = "http://127.0.0.1:8080"
    time_zone: str = "Europe/Helsinki"
    default_language: str = "fi"
    host: str = "127.0.0.1"
    port: int = 8080
    environment: Literal["development", "production"] = "development"
    max_body_bytes: int = 11 * 1024 * 1024
    exit_url: str = "https://yle.fi/saa"
    session_idle_minutes: int = 8 * 60
    # Staff must log in with a second factor (an authenticator code): "required" or "optional";
    # required by default when the service is served over https.
    staff_second_factor: Literal["required", "optional"] = "optional"
    login_attempt_limit: int = 5
    login_window_minutes: int = 15
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_security: SmtpSecurity = "none"
    smtp_username: str = ""
    smtp_password: str = ""
    # Open SMTP connections the outbox keeps and sends through at once.
    smtp_connections: int = 4
    mail_from: str = "kohtaamo@localhost"
    turn_urls: tuple[str, ...] = ()
    turn_secret: str = ""
    log_level: str = "INFO"
    booking_rate_limit: int = 60
    sms_url: str = ""
    sms_token: str = ""
    # The municipality's client record system: shared documents and closed message threads are
    # sent there (a signed JSON body, retried through the outbox). Empty: nothing is sent.
    records_webhook_url: str = ""
    records_webhook_secret: str = ""
    reminder_minutes: tuple[int, ...] = (24 * 60, 60)
    ics_fetch_private_addresses: bool = False
    # Video rooms open this many minutes before the start and close 30 minutes after the end.
    video_open_minutes: int = 15
    # Relay-only ICE for every meeting, not just protected bookings (the production default).
    video_relay_only: bool = False
    video_test_limit: int = 4
    # Open advice-chat and group-discussion sockets per client address (in memory, per process).
    chat_connections_per_address: int = 20
    # Frames a second from all of one address's chat and group sockets together.
    chat_frames_per_address: int = 30
    video_heartbeat_seconds: int = 10
    # Janus gateways (their WebSocket API, on a private address) for network meetings: empty
    # means none, and rooms stay a mesh of at most 6. The API secret is Janus's ``api_secret``;
    # the admin key its VideoRoom ``admin_key``, which creating a room needs.
    janus_urls: tuple[str, ...] = ()
    janus_api_secret: str = ""
    janus_admin_key: str = ""
    # Proxies (nginx) whose X-Forwarded-For is believed: rate limits count the real client.
    trusted_proxies: tuple[str, ...] = ()
    # Several instances share live meeting rooms through Redis; empty: rooms live in one process.
    redis_url: str = ""
    # Concern reports (reports/): whose law sets the deadlines, the Fernet keys that encrypted
    # reports before they moved to the data keys (only read, until `reencrypt`), the social on-call
    # number shown on every report page, how long reports that led to nothing are kept, and
    # where encrypted attachments are stored.
    jurisdiction: Literal["fi", "se"] = "fi"
    report_keys: tuple[str, ...] = ()
    # Strong identification of clients (identification/): the providers file (none: the feature
    # is off), the service's private JWKS for signing requests and opening encrypted tokens, and
    # how long a client's identified session lasts idle and at most.
    identity_providers_file: Path | None = None
    identity_keys_file: Path = Path("var/identity-keys.json")
    client_session_idle_minutes: int = 30
    client_session_hours: int = 8
    identity_provider_timeout_seconds: int = 10
    # Staff single sign-on's client secret, for a provider that takes no private_key_jwt.
    staff_sso_client_secret: str = ""
    # Personal data at rest (core/crypto.py): AES keys, newest first. Empty in development: the
    # machine's own key file, var/data-keys, made on first start.
    data_keys: tuple[str, ...] = ()
    social_oncall_phone: str = ""
    report_retention_days: int = 365
    # Closed message threads (messaging/) are deleted this many days after closing.
    message_retention_days: int = 730
    file_store: Path = Path("var/files")
    # Retention of personal data (docs/privacy.md), run by the leader. Bookings (with their
    # answers, messages, guest links, meeting events and assessment results) this many days
    # after the meeting's end; assessment results at most as long, earlier if set so; the
    # content of a delivered message this many days after it was sent; the access log per
    # the jurisdiction's rule (ACCESS_LOG_RETENTION_DEFAULTS).
    booking_retention_days: int = 180
    assessment_retention_days: int = 180
    outbox_retention_days: int = 7
    access_log_retention_days: int = 12 * 365 + 3

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def sqlite_path(self) -> Path | None:
        """The database file of a file-backed SQLite URL, or None."""
        if not self.is_sqlite:
            return None
        path = self.database_url.split(":///", 1)[1].split("?", 1)[0]
        return None if path in ("", ":memory:") else Path(path)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Build settings from an environment mapping, raising SettingsError on the first bad value."""
        reader = _Reader(environ)
        environment = reader.choice("ENVIRONMENT", ("development", "production"), "development")
        secret_key = reader.text("SECRET_KEY", "")
        if not secret_key:
            if environment == "production":
                raise SettingsError(
                    "SECRET_KEY", "is required in production (at least 32 characters)"
                )
            # Development without a key: sessions and CSRF tokens simply do not survive a restart.
            secret_key = secrets.token_urlsafe(32)
        elif len(secret_key) < 32:
            raise SettingsError("SECRET_KEY", "must be at least 32 characters long")
        retention = _retention_days(reader)
        base_url = reader.url("BASE_URL", "http://127.0.0.1:8080")
        settings = cls(
            database_url=reader.database_url("DATABASE_URL", DEFAULT_SQLITE_URL),
            secret_key=secret_key,
            base_url=base_url,
            time_zone=reader.zone("TIME_ZONE", "Europe/Helsinki"),
            default_language=reader.choice("DEFAULT_LANGUAGE", SUPPORTED_LANGUAGES, "fi"),
            host=reader.text("HOST", "127.0.0.1"),
            port=reader.integer("PORT", 8080, minimum=0, maximum=65535),
            environment=environment,  # type: ignore[arg-type]
            max_body_bytes=reader.integer(
                "MAX_BODY_BYTES", 11 * 1024 * 1024, minimum=1024, maximum=2**30
            ),
            exit_url=reader.url("EXIT_URL", "https://yle.fi/saa"),
            session_idle_minutes=reader.integer(
                "SESSION_IDLE_MINUTES", 480, minimum=5, maximum=10080
            ),
            login_attempt_limit=reader.integer("LOGIN_ATTEMPT_LIMIT", 5, minimum=1, maximum=1000),
            login_window_minutes=reader.integer(
                "LOGIN_WINDOW_MINUTES", 15, minimum=1, maximum=1440
            ),
            smtp_host=reader.text("SMTP_HOST", ""),
            smtp_port=reader.integer("SMTP_PORT", 25, minimum=1, maximum=65535),
            smtp_security=reader.choice("SMTP_SECURITY", ("none", "starttls", "tls"), "none"),  # type: ignore[arg-type]
            smtp_username=reader.text("SMTP_USERNAME", ""),
            smtp_password=reader.text("SMTP_PASSWORD", ""),
            smtp_connections=reader.integer("SMTP_CONNECTIONS", 4, minimum=1, maximum=100),
            mail_from=reader.text("MAIL_FROM", "kohtaamo@localhost"),
            turn_urls=reader.turn_urls("TURN_URLS"),
            turn_secret=reader.text("TURN_SECRET", ""),
            janus_urls=reader.janus_urls("JANUS_URLS"),
            janus_api_secret=reader.text("JANUS_API_SECRET", ""),
            janus_admin_key=reader.text("JANUS_ADMIN_KEY", ""),
            log_level=reader.choice("LOG_LEVEL", ("DEBUG", "INFO", "WARNING", "ERROR"), "INFO"),
            booking_rate_limit=reader.integer(
                "BOOKING_RATE_LIMIT", 60, minimum=0, maximum=1_000_000
            ),
            ics_fetch_private_addresses=reader.flag("ICS_FETCH_PRIVATE_ADDRESSES", False),
            sms_url=reader.url("SMS_URL", "") if reader.text("SMS_URL", "") else "",
            sms_token=reader.text("SMS_TOKEN", ""),
            records_webhook_url=(
                reader.url("RECORDS_WEBHOOK_URL", "")
                if reader.text("RECORDS_WEBHOOK_URL", "")
                else ""
            ),
            records_webhook_secret=reader.text("RECORDS_WEBHOOK_SECRET", ""),
            reminder_minutes=reader.minutes_list("REMINDER_MINUTES", "1440,60"),
            video_open_minutes=reader.integer("VIDEO_OPEN_MINUTES", 15, minimum=0, maximum=240),
            video_relay_only=reader.flag("VIDEO_RELAY_ONLY", environment == "production"),
            video_test_limit=reader.integer("VIDEO_TEST_LIMIT", 4, minimum=0, maximum=1000),
            chat_connections_per_address=reader.integer(
                "CHAT_CONNECTIONS_PER_ADDRESS", 20, minimum=1, maximum=1_000_000
            ),
            chat_frames_per_address=reader.integer(
                "CHAT_FRAMES_PER_ADDRESS", 30, minimum=1, maximum=10_000_000
            ),
            video_heartbeat_seconds=reader.integer(
                "VIDEO_HEARTBEAT_SECONDS", 10, minimum=1, maximum=60
            ),
            trusted_proxies=reader.addresses("TRUSTED_PROXIES"),
            redis_url=reader.redis_url("REDIS_URL"),
            jurisdiction=reader.choice("JURISDICTION", ("fi", "se"), "fi"),  # type: ignore[arg-type]
            staff_second_factor=reader.choice(  # type: ignore[arg-type]
                "STAFF_SECOND_FACTOR",
                ("required", "optional"),
                "required" if base_url.startswith("https://") else "optional",
            ),
            report_keys=reader.fernet_keys("REPORT_KEYS"),
            identity_providers_file=reader.optional_path("IDENTITY_PROVIDERS"),
            identity_keys_file=Path(
                reader.text("IDENTITY_KEYS", "var/identity-keys.json") or "var/identity-keys.json"
            ),
            client_session_idle_minutes=reader.integer(
                "CLIENT_SESSION_IDLE_MINUTES", 30, minimum=5, maximum=24 * 60
            ),
            client_session_hours=reader.integer("CLIENT_SESSION_HOURS", 8, minimum=1, maximum=24),
            identity_provider_timeout_seconds=reader.integer(
                "IDENTITY_PROVIDER_TIMEOUT_SECONDS", 10, minimum=1, maximum=60
            ),
            staff_sso_client_secret=reader.text("STAFF_SSO_CLIENT_SECRET", ""),
            data_keys=reader.data_keys("DATA_KEYS"),
            social_oncall_phone=reader.text("SOCIAL_ONCALL_PHONE", ""),
            report_retention_days=reader.integer(
                "REPORT_RETENTION_DAYS", 365, minimum=1, maximum=36500
            ),
            message_retention_days=reader.integer(
                "MESSAGE_RETENTION_DAYS", 730, minimum=1, maximum=36500
            ),
            file_store=Path(reader.text("FILE_STORE", "var/files") or "var/files"),
            booking_retention_days=retention.bookings,
            assessment_retention_days=retention.assessments,
            outbox_retention_days=retention.outbox,
            access_log_retention_days=retention.access_log,
        )
        if settings.sms_url and not settings.sms_token:
            raise SettingsError("SMS_TOKEN", "is required when KOHTAAMO_SMS_URL is set")
        if settings.records_webhook_url and len(settings.records_webhook_secret) < 32:
            raise SettingsError(
                "RECORDS_WEBHOOK_SECRET",
                "of at least 32 characters is required when KOHTAAMO_RECORDS_WEBHOOK_URL is set",
            )
        if settings.turn_urls and not settings.turn_secret:
            raise SettingsError("TURN_SECRET", "is required when KOHTAAMO_TURN_URLS is set")
        if settings.janus_urls and not (settings.janus_api_secret and settings.janus_admin_key):
            raise SettingsError(
                "JANUS_API_SECRET",
                "and KOHTAAMO_JANUS_ADMIN_KEY are required when KOHTAAMO_JANUS_URLS is set",
            )
        if environment == "production" and not settings.data_keys:
            raise SettingsError(
                "DATA_KEYS", "is required in production (make one with `server.py new-data-key`)"
            )
        if environment == "production" and not settings.secure_cookies:
            raise SettingsError("BASE_URL", "must use https in production")
        if settings.video_relay_only and not any(
            url.startswith(("turn:", "turns:")) for url in settings.turn_urls
        ):
            raise SettingsError("VIDEO_RELAY_ONLY", "needs a TURN server in KOHTAAMO_TURN_URLS")
        return settings


class _RetentionDays(NamedTuple):
    bookings: int
    assessments: int
    outbox: int  # a delivered message's content
    access_log: int


def _retention_days(reader: _Reader) -> _RetentionDays:
    bookings = reader.integer("BOOKING_RETENTION_DAYS", 180, minimum=1, maximum=36500)
    # A result cannot outlive its booking (it refers to it), so at most the booking's period.
    assessments = reader.integer("ASSESSMENT_RETENTION_DAYS", bookings, minimum=1, maximum=bookings)
    outbox = reader.integer("OUTBOX_RETENTION_DAYS", 7, minimum=1, maximum=36500)
    jurisdiction = reader.choice("JURISDICTION", ("fi", "se"), "fi")
    # At least a year: a shorter log could not answer a client asking who read their data.
    access_log = reader.integer(
        "ACCESS_LOG_RETENTION_DAYS",
        ACCESS_LOG_RETENTION_DEFAULTS[jurisdiction],
        minimum=365,
        maximum=36500,
    )
    return _RetentionDays(bookings, assessments, outbox, access_log)


class _Reader:
    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    def text(self, name: str, default: str) -> str:
        return self._environ.get(PREFIX + name, default).strip()

    def optional_path(self, name: str) -> Path | None:
        raw = self.text(name, "")
        return Path(raw) if raw else None

    def integer(self, name: str, default: int, *, minimum: int, maximum: int) -> int:
        raw = self.text(name, str(default))
        try:
            value = int(raw)
        except ValueError:
            raise SettingsError(name, f"must be a whole number, got {raw!r}") from None
        if not minimum <= value <= maximum:
            raise SettingsError(name, f"must be between {minimum} and {maximum}, got {value}")
        return value

    def minutes_list(self, name: str, default: str) -> tuple[int, ...]:
        raw = self.text(name, default)
        try:
            values = tuple(
                sorted({int(part) for part in raw.split(",") if part.strip()}, reverse=True)
            )
        except ValueError:
            raise SettingsError(
                name, f"must be whole minutes separated by commas, got {raw!r}"
            ) from None
        if any(not 1 <= value <= 60 * 24 * 14 for value in values):
            raise SettingsError(name, "each reminder must be 1 to 20160 minutes before the meeting")
        return values

    def flag(self, name: str, default: bool) -> bool:
        value = self.text(name, "true" if default else "false").lower()
        if value not in ("true", "false", "1", "0", "yes", "no"):
            raise SettingsError(name, f"must be true or false, got {value!r}")
        return value in ("true", "1", "yes")

    def choice(self, name: str, allowed: tuple[str, ...], default: str) -> str:
        value = self.text(name, default)
        if value not in allowed:
            raise SettingsError(name, f"must be one of {', '.join(allowed)}, got {value!r}")
        return value

    def url(self, name: str, default: str) -> str:
        value = self.text(name, default).rstrip("/")
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise SettingsError(name, f"must be an absolute http(s) URL, got {value!r}")
        return value

    def zone(self, name: str, default: str) -> str:
        value = self.text(name, default)
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder such as 'Europe'
            raise SettingsError(name, f"is not a known IANA time zone: {value!r}") from None
        return value

    def database_url(self, name: str, default: str) -> str:
        value = self.text(name, default)
        if value.startswith("sqlite+aiosqlite://") or value.startswith("postgresql+asyncpg://"):
            return value
        raise SettingsError(
            name, f"must start with sqlite+aiosqlite:// or postgresql+asyncpg://, got {value!r}"
        )

    def fernet_keys(self, name: str) -> tuple[str, ...]:
        # Only to read concern reports written before they moved to the data keys (reports/crypto.py).
        raw = [part.strip() for part in self.text(name, "").split(",") if part.strip()]
        for position, key in enumerate(raw, start=1):
            try:
                Fernet(key)
            except ValueError:
                raise SettingsError(
                    name, f"key {position} is not a Fernet key (32 url-safe base64 bytes)"
                ) from None
        return tuple(raw)

    def data_keys(self, name: str) -> tuple[str, ...]:
        raw = [part.strip() for part in self.text(name, "").split(",") if part.strip()]
        for position, key in enumerate(raw, start=1):
            try:
                decode_key(key)
            except ValueError as error:
                raise SettingsError(
                    name, f"key {position} is not 32 bytes of url-safe base64 ({error})"
                ) from None
        if len(set(raw)) != len(raw):
            raise SettingsError(name, "names one key twice")
        return tuple(raw)

    def addresses(self, name: str) -> tuple[str, ...]:
        raw = [part.strip() for part in self.text(name, "").split(",") if part.strip()]
        try:
            return tuple(str(ipaddress.ip_address(part)) for part in raw)
        except ValueError:
            raise SettingsError(
                name, f"must be IP addresses separated by commas, got {raw!r}"
            ) from None

    def redis_url(self, name: str) -> str:
        value = self.text(name, "")
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise SettingsError(
                name, f"must start with redis://, rediss:// or unix://, got {value!r}"
            )
        return value

    def turn_urls(self, name: str) -> tuple[str, ...]:
        urls = tuple(u.strip() for u in self.text(name, "").split(",") if u.strip())
        for url in urls:
            if not url.startswith(("turn:", "turns:", "stun:")):
                raise SettingsError(
                    name, f"each URL must start with turn:, turns: or stun:, got {url!r}"
                )
        return urls

    def janus_urls(self, name: str) -> tuple[str, ...]:
        urls = tuple(u.strip() for u in self.text(name, "").split(",") if u.strip())
        for url in urls:
            if not url.startswith(("ws://", "wss://")):
                raise SettingsError(
                    name, f"each URL must be Janus's WebSocket API (ws:// or wss://), got {url!r}"
                )
        return urls
