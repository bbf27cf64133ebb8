"""Kohtaamo: ``create_app(settings)`` and the command line (serve, migrate, create-user, demo,
reencrypt, reencrypt-reports, new-data-key)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

import accounts.passkey_routes
import accounts.routes
import accounts.second_factor_pages
import agenda.pages
import agenda.week_grid_pages
import assessments.routes
import audit.routes
import booking.pages
import booking.routes
import calendars.pages
import calendars.routes
import calendars.service
import chat.admin_pages
import chat.pages
import chat.routes
import consents.pages
import consents.routes
import discussions.pages
import discussions.routes
import discussions.staff_pages
import documents.pages
import documents.routes
import figures.pages
import identification.pages
import identification.routes
import messaging.admin_pages
import messaging.client_pages
import messaging.routes
import messaging.staff_pages
import mypages.pages
import mypages.routes
import notifications.routes
import plans.pages
import plans.routes
import privacy.pages
import privacy.routes
import publicinfo.admin_pages
import publicinfo.lost_link_pages
import publicinfo.pages
import publicinfo.routes
import reports.routes
import video.pages
import video.routes
from accounts.service import SYSTEM, AccountService
from assessments.templates import TemplateError, load_catalog
from audit.service import AuditLog
from booking.service import BookingService
from chat.service import ChatServices
from core.api import openapi_document
from core.app_keys import (
    catalogs_key,
    cpu_executor_key,
    engine_key,
    health_checks_key,
    metrics_key,
    person_hasher_key,
    redis_key,
    sessions_key,
    settings_key,
)
from core.crypto import DataKeyError, new_key
from core.data_keys import check_data_keys, cipher_for
from core.db import Base, create_engine, create_sessionmaker, migrate
from core.errors import ValidationFailed
from core.http import (
    add_security_headers,
    csrf_middleware,
    error_middleware,
    request_context_middleware,
)
from core.http import routes as core_routes
from core.i18n import load_catalogs
from core.logs import configure_logging
from core.lookup import load_person_hasher
from core.metrics import HttpMetrics
from core.principal import Role
from core.reencryption import Progress, reencrypt
from core.settings import Settings, SettingsError
from core.templating import STATIC_DIR, render, setup_templates
from discussions.service import GroupSessions
from identification.jwks import rotate as rotate_identity_keys
from identification.keys import providers_key
from identification.providers import load_providers
from video.service import turn_credentials

API_TITLE = "Kohtaamo API"
API_VERSION = "1.0.0"

openapi_key = web.AppKey("openapi", dict[str, Any])


def create_app(settings: Settings) -> web.Application:
    app = web.Application(
        client_max_size=settings.max_body_bytes,
        middlewares=[
            request_context_middleware,
            error_middleware,
            accounts.routes.session_middleware,
            csrf_middleware,
        ],
    )
    app[settings_key] = settings
    app[catalogs_key] = load_catalogs()
    app[metrics_key] = HttpMetrics()
    app[health_checks_key] = []
    setup_templates(app)
    app.cleanup_ctx.append(_watch_loop_lag)
    app.cleanup_ctx.append(_cpu_executor)
    app.cleanup_ctx.append(_database)
    if settings.redis_url:
        app.cleanup_ctx.append(_redis)
    app.on_response_prepare.append(add_security_headers)

    accounts.routes.setup(app)
    accounts.second_factor_pages.setup(app)
    accounts.passkey_routes.setup(app)
    identification.routes.setup(app)
    identification.pages.setup(app)
    calendars.routes.setup(app)
    notifications.routes.setup(app)
    booking.routes.setup(app)
    booking.pages.setup(app)
    calendars.pages.setup(app)
    video.routes.setup(app)
    video.pages.setup(app)
    agenda.pages.setup(app)
    agenda.week_grid_pages.setup(app)
    assessments.routes.setup(app)
    reports.routes.setup(app)
    audit.routes.setup(app)
    publicinfo.routes.setup(app)
    publicinfo.pages.setup(app)
    publicinfo.lost_link_pages.setup(app)
    publicinfo.admin_pages.setup(app)
    figures.pages.setup(app)
    # The identified client's features, then what reads across them (in their layers' order).
    messaging.routes.setup(app)
    messaging.admin_pages.setup(app)
    messaging.client_pages.setup(app)
    messaging.staff_pages.setup(app)
    documents.routes.setup(app)
    documents.pages.setup(app)
    consents.routes.setup(app)
    consents.pages.setup(app)
    plans.routes.setup(app)
    plans.pages.setup(app)
    privacy.routes.setup(app)
    privacy.pages.setup(app)
    mypages.routes.setup(app)
    chat.routes.setup(app)
    chat.pages.setup(app)
    chat.admin_pages.setup(app)
    discussions.routes.setup(app)
    discussions.pages.setup(app)
    discussions.staff_pages.setup(app)
    mypages.pages.setup(app)
    app.router.add_routes(core_routes)
    app.router.add_get("/", _start_page, name="start")
    app.router.add_static("/static/", STATIC_DIR, name="static")

    identified_operations = [
        *messaging.routes.api.operations,
        *documents.routes.api.operations,
        *consents.routes.api.operations,
        *plans.routes.api.operations,
        *mypages.routes.api.operations,
    ]
    app[openapi_key] = openapi_document(
        [
            *accounts.routes.api.operations,
            *accounts.passkey_routes.api.operations,
            *calendars.routes.api.operations,
            *booking.routes.api.operations,
            *video.routes.api.operations,
            *reports.routes.api.operations,
            *publicinfo.routes.api.operations,
            *assessments.routes.api.operations,
            *privacy.routes.api.operations,
            *chat.routes.api.operations,
            *discussions.routes.api.operations,
            # The identified client's features answer only when identification is on.
            *(identified_operations if app.get(providers_key) else []),
        ],
        title=API_TITLE,
        version=API_VERSION,
    )
    app.router.add_get("/api/v1/openapi.json", _openapi, name="openapi")
    return app


async def _openapi(request: web.Request) -> web.Response:
    return web.json_response(request.app[openapi_key])


async def _start_page(request: web.Request) -> web.Response:
    return render(request, "start.html")


async def _cpu_executor(app: web.Application) -> AsyncIterator[None]:
    # Password hashing and other CPU-heavy work, off the event loop.
    executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="kohtaamo-cpu")
    app[cpu_executor_key] = executor
    yield
    executor.shutdown(wait=True)


async def _database(app: web.Application) -> AsyncIterator[None]:
    cipher = cipher_for(app[settings_key])
    engine = create_engine(app[settings_key].database_url, cipher)
    app[engine_key] = engine
    app[sessions_key] = create_sessionmaker(engine)
    try:
        await check_data_keys(app[sessions_key], cipher)
    except DataKeyError:
        await engine.dispose()
        raise
    app[person_hasher_key] = await load_person_hasher(
        app[sessions_key], app[settings_key].jurisdiction
    )
    yield
    await engine.dispose()


async def _watch_loop_lag(app: web.Application) -> AsyncIterator[None]:
    task = asyncio.get_running_loop().create_task(
        app[metrics_key].watch_loop_lag(), name="kohtaamo-loop-lag"
    )
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _redis(app: web.Application) -> AsyncIterator[None]:
    redis = Redis.from_url(app[settings_key].redis_url, decode_responses=True)
    app[redis_key] = redis
    yield
    await redis.aclose()


# ---- command line -------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="server.py", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="migrate the database and serve HTTP")
    commands.add_parser("migrate", help="bring the database schema up to date")
    create_user = commands.add_parser(
        "create-user", help="add a staff user; the password is read from stdin"
    )
    create_user.add_argument("--role", required=True, choices=[role.value for role in Role])
    create_user.add_argument("--email", required=True)
    create_user.add_argument("--name", required=True)
    create_user.add_argument("--password-stdin", action="store_true", required=True)
    commands.add_parser("demo", help="load demo data (safe to run again) and print the logins")
    commands.add_parser(
        "reencrypt-reports",
        help="move concern reports and their files to the newest data key (part of reencrypt)",
    )
    reencrypt = commands.add_parser(
        "reencrypt",
        help="move every encrypted value to the newest KOHTAAMO_DATA_KEYS key (safe while serving)",
    )
    reencrypt.add_argument("--batch", type=int, default=500, help="rows per transaction")
    commands.add_parser("new-data-key", help="print a new random data key for KOHTAAMO_DATA_KEYS")
    commands.add_parser(
        "keys",
        help="make or rotate the identification keys in KOHTAAMO_IDENTITY_KEYS (old ones kept)",
    )
    credential = commands.add_parser(
        "turn-credential",
        help="print a long-lived TURN username and password (from KOHTAAMO_TURN_SECRET) for a "
        "server such as Janus",
    )
    credential.add_argument("name", help="who uses it, e.g. janus")
    credential.add_argument("--days", type=int, default=365, help="valid for this many days")
    arguments = parser.parse_args(argv)
    if arguments.command == "new-data-key":
        print(new_key())  # needs no settings: it is how the first production key is made
        return 0

    try:
        settings = Settings.from_env(os.environ)
        load_catalog()  # a broken questionnaire file stops the program here, with its name
        load_providers(settings.identity_providers_file)  # and so does a broken providers file
    except (SettingsError, TemplateError) as error:
        print(f"kohtaamo: configuration error: {error}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    try:
        return _run(arguments, settings)
    except DataKeyError as error:
        print(f"kohtaamo: configuration error: {error}", file=sys.stderr)
        return 2


def _run(arguments: argparse.Namespace, settings: Settings) -> int:
    if arguments.command == "serve":
        asyncio.run(_migrate(settings))
        web.run_app(
            create_app(settings),
            host=settings.host,
            port=settings.port,
            access_log=None,
            print=_announce,
        )
        return 0
    if arguments.command == "migrate":
        asyncio.run(_migrate(settings))
        print("kohtaamo: database is up to date")
        return 0
    if arguments.command == "turn-credential":
        if not settings.turn_secret:
            print("kohtaamo: configuration error: KOHTAAMO_TURN_SECRET is not set", file=sys.stderr)
            return 2
        expires = datetime.now(UTC) + timedelta(days=max(1, arguments.days))
        username, password = turn_credentials(settings.turn_secret, arguments.name, expires)
        print(f'turn_user = "{username}"\nturn_pwd = "{password}"')
        return 0
    if arguments.command == "create-user":
        password = sys.stdin.readline().rstrip("\n")
        try:
            asyncio.run(
                _create_user(
                    settings, Role(arguments.role), arguments.email, arguments.name, password
                )
            )
        except ValidationFailed as error:
            for field, message in error.fields.items():
                print(f"kohtaamo: {field}: {message}", file=sys.stderr)
            return 1
        print(f"kohtaamo: created {arguments.role} {arguments.email}")
        return 0
    if arguments.command == "demo":
        asyncio.run(_migrate(settings))
        for line in asyncio.run(_load_demo(settings)):
            print(line)
        return 0
    if arguments.command == "reencrypt":
        progress = asyncio.run(_reencrypt(settings, max(1, arguments.batch)))
        print(
            f"kohtaamo: re-encrypted {progress.rewritten} values; all {progress.current} "
            "encrypted values are under the newest key"
        )
        if progress.retired_keys:
            print(f"kohtaamo: retired keys {', '.join(progress.retired_keys)}: drop them now")
        return 0
    if arguments.command == "keys":
        keys = rotate_identity_keys(settings.identity_keys_file)
        print(
            f"kohtaamo: new signing key {keys.signing.kid} and encryption key in "
            f"{settings.identity_keys_file}; providers fetch them from /.well-known/jwks.json"
        )
        return 0
    if arguments.command == "reencrypt-reports":
        count = asyncio.run(_reencrypt_reports(settings))
        print(f"kohtaamo: re-encrypted {count} items with the newest key")
        return 0
    return 2


def _announce(message: str) -> None:
    print(message.replace("======== ", "kohtaamo: ").replace(" ========", ""), flush=True)


def _engine(settings: Settings) -> AsyncEngine:
    return create_engine(settings.database_url, cipher_for(settings))


async def _migrate(settings: Settings) -> None:
    """Migrate, then check that the keys read what is stored (and record the newest as used,
    so that data written by any command, the demo's too, is known to need it)."""
    cipher = cipher_for(settings)
    engine = create_engine(settings.database_url, cipher)
    try:
        await migrate(engine)
        await check_data_keys(create_sessionmaker(engine), cipher)
    finally:
        await engine.dispose()


async def _create_user(
    settings: Settings, role: Role, email: str, name: str, password: str
) -> None:
    engine = _engine(settings)
    executor = ThreadPoolExecutor(max_workers=1)
    try:
        service = AccountService(create_sessionmaker(engine), settings, executor)
        await service.create_user(SYSTEM, email=email, name=name, role=role, password=password)
    finally:
        executor.shutdown()
        await engine.dispose()


async def _reencrypt(settings: Settings, batch: int) -> Progress:
    # Reports first: their values and files are not columns the generic pass knows, and the
    # generic pass retires the older keys once it is done.
    reports = await _reencrypt_reports(settings)
    cipher = cipher_for(settings)
    engine = create_engine(settings.database_url, cipher)
    try:
        sessions = create_sessionmaker(engine)
        await check_data_keys(sessions, cipher)
        progress = await reencrypt(sessions, cipher, Base.metadata, batch=batch)
        progress.rewritten += reports
        return progress
    finally:
        await engine.dispose()


async def _reencrypt_reports(settings: Settings) -> int:
    from reports.service import ConcernReportService

    engine = _engine(settings)
    executor = ThreadPoolExecutor(max_workers=1)
    try:
        sessions = create_sessionmaker(engine)
        hasher = await load_person_hasher(sessions, settings.jurisdiction)
        service = ConcernReportService(sessions, settings, hasher, executor=executor)
        return await service.reencrypt()
    finally:
        executor.shutdown()
        await engine.dispose()


async def _load_demo(settings: Settings) -> list[str]:
    from demo import load_demo  # the demo is a command, not part of the running service

    engine = _engine(settings)
    executor = ThreadPoolExecutor(max_workers=1)
    try:
        sessions = create_sessionmaker(engine)
        accounts = AccountService(sessions, settings, executor)
        calendar_service = calendars.service.CalendarService(sessions)
        bookings = BookingService(
            sessions,
            settings,
            accounts,
            calendar_service,
            AuditLog(sessions),
            await load_person_hasher(sessions, settings.jurisdiction),
        )
        chats = ChatServices.for_settings(sessions, settings)
        groups = GroupSessions(sessions, accounts, AuditLog(sessions), settings.zone)
        return await load_demo(
            accounts, calendar_service, bookings, chats, groups, base_url=settings.base_url
        )
    finally:
        executor.shutdown()
        await engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
