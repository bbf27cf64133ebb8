"""Shared fixtures: a fresh database per test made by the real migrations, and the real app.

SQLite (default): the migrations run once into a template file, and each test gets its own copy.
PostgreSQL (``KOHTAAMO_TEST_DATABASE_URL``): a new database is created for the test session and
migrated once; every table is emptied before each test.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from argon2 import PasswordHasher
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

import accounts.service
from accounts.keys import account_service_key
from accounts.service import SYSTEM
from core.db import Base, create_engine, migrate
from core.lookup import PersonHasher
from core.principal import Role
from core.settings import Settings
from server import create_app
from tests.identification.provider import running_for_the_session

pytest_plugins = ["tests.time_limits"]

TEST_DATABASE_URL = os.environ.get("KOHTAAMO_TEST_DATABASE_URL", "")
TEST_SECRET_KEY = "test-secret-key-that-is-long-enough-0123456789"
# 32 bytes, url-safe base64: the data key every test app, process and command shares.
TEST_DATA_KEY = "dGVzdC1kYXRhLWtleS0wMTIzNDU2Nzg5YWJjZGVmMDE="
# For code that hashes identifiers outside an app (an app loads its own key from its database).
TEST_HASHER = PersonHasher(b"test lookup key, 32 bytes long..")
PASSWORD = "correct horse battery staple"

# Argon2id still, at the lowest cost: the suite makes thousands of hashes of throwaway
# passwords (a hash names its own parameters, so those the command line makes still verify).
accounts.service.new_password_hasher = lambda: PasswordHasher(
    time_cost=1, memory_cost=1024, parallelism=1
)


@dataclasses.dataclass(frozen=True)
class DatabaseTemplate:
    url: str
    sqlite_file: Path | None


def _postgres_admin_url(url: str) -> str:
    return make_url(url).set(database="postgres").render_as_string(hide_password=False)


async def _create_postgres_database(url: str, name: str) -> None:
    engine = create_async_engine(_postgres_admin_url(url), isolation_level="AUTOCOMMIT")
    async with engine.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    await engine.dispose()


async def _drop_postgres_database(url: str, name: str) -> None:
    engine = create_async_engine(_postgres_admin_url(url), isolation_level="AUTOCOMMIT")
    async with engine.connect() as connection:
        await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await engine.dispose()


async def _migrate_url(url: str) -> None:
    engine = create_engine(url)
    try:
        await migrate(engine)
    finally:
        # Closing SQLite's last connection folds its write-ahead log into the main file, so
        # copying that one file copies the whole migrated schema.
        await engine.dispose()


@pytest.fixture(scope="session")
def database_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DatabaseTemplate]:
    if TEST_DATABASE_URL:
        name = f"kohtaamo_test_{uuid.uuid4().hex[:12]}"
        url = make_url(TEST_DATABASE_URL).set(database=name).render_as_string(hide_password=False)
        asyncio.run(_create_postgres_database(TEST_DATABASE_URL, name))
        try:
            asyncio.run(_migrate_url(url))
            yield DatabaseTemplate(url=url, sqlite_file=None)
        finally:
            asyncio.run(_drop_postgres_database(TEST_DATABASE_URL, name))
        return
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    asyncio.run(_migrate_url(f"sqlite+aiosqlite:///{path}"))
    yield DatabaseTemplate(url="", sqlite_file=path)


async def fresh_database(template: DatabaseTemplate, directory: Path) -> str:
    """A database URL whose schema is fully migrated and whose tables are empty."""
    if template.sqlite_file is not None:
        path = directory / "kohtaamo.sqlite3"
        shutil.copyfile(template.sqlite_file, path)
        return f"sqlite+aiosqlite:///{path}"
    # DELETE, dependants first, rather than one TRUNCATE of every table: on tables this small
    # it is about 40 ms against TRUNCATE's 600 (TRUNCATE replaces each table's files).
    engine = create_async_engine(template.url)
    async with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            await connection.execute(table.delete())
    await engine.dispose()
    return template.url


@pytest.fixture
async def database_url(database_template: DatabaseTemplate, tmp_path: Path) -> str:
    return await fresh_database(database_template, tmp_path)


def make_settings(database_url: str, **overrides: str) -> Settings:
    environ = {
        "KOHTAAMO_DATABASE_URL": database_url,
        "KOHTAAMO_SECRET_KEY": TEST_SECRET_KEY,
        "KOHTAAMO_DATA_KEYS": TEST_DATA_KEY,
        "KOHTAAMO_BASE_URL": "http://127.0.0.1:8080",
        "KOHTAAMO_DEFAULT_LANGUAGE": "fi",
    }
    environ.update({f"KOHTAAMO_{key.upper()}": value for key, value in overrides.items()})
    return Settings.from_env(environ)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture
def app(settings: Settings) -> web.Application:
    return create_app(settings)


@pytest.fixture
async def client(aiohttp_client: Any, app: web.Application) -> TestClient[Any, Any]:
    return await aiohttp_client(app)


async def create_user(app: web.Application, role: Role, email: str, *, name: str = "") -> str:
    service = app[account_service_key]
    user = await service.create_user(
        SYSTEM, email=email, name=name or email.split("@")[0].title(), role=role, password=PASSWORD
    )
    return user.id


async def log_in(client: TestClient[Any, Any], email: str, password: str = PASSWORD) -> None:
    response = await client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert response.status == 200, await response.text()


@pytest.fixture
async def admin(client: TestClient[Any, Any]) -> AsyncIterator[str]:
    """An admin logged in on ``client``; yields the admin's user id."""
    user_id = await create_user(client.app, Role.ADMIN, "admin@example.com", name="Alma Admin")
    await log_in(client, "admin@example.com")
    yield user_id


@pytest.fixture
async def world(client: TestClient[Any, Any]) -> Any:
    """A unit with two caseworkers open 08–16 every day and a unit meeting type (tests/booking)."""
    from tests.booking.conftest import make_world

    return await make_world(client)


@pytest.fixture(autouse=True)
def _forget_vobject_time_zones() -> None:
    """vobject keeps the first definition of each TZID for the whole process, and icalendar
    writes only the transitions a file needs: each test's calendars are read on their own."""
    import vobject.icalendar

    getattr(vobject.icalendar, "__tzidMap").clear()


# ---- the network fence ------------------------------------------------------------------------


def loopback_only() -> bool:
    """True inside a network namespace whose only interface is loopback (see tests/run-fenced),
    or a portless bridge a test made there for Janus (tests/janus_gateway.py): no way out."""
    return all(name in ("lo", "kfence0") for _, name in socket.if_nameindex())


@pytest.fixture
def fenced_network() -> None:
    """For tests whose peers would use every interface (WebRTC): refuse to run unfenced."""
    if loopback_only():
        return
    message = (
        "needs a loopback-only network namespace: run it through `make test` (tests/run-fenced)"
    )
    if os.environ.get("KOHTAAMO_REQUIRE_BROWSER") == "1":
        pytest.fail(message)
    pytest.skip(message)


# ---- Redis ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A redis-server of our own on 127.0.0.1 for the test session (the machine's own Redis is
    out of reach inside the loopback-only namespace); yields its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        reason = "redis-server is not installed (apt-get install redis-server)"
        if os.environ.get("KOHTAAMO_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{reason}, and CI requires it")
        pytest.skip(reason)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    directory = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(
        [
            *(binary, "--bind", "127.0.0.1", "--port", str(port)),
            *("--save", "", "--appendonly", "no"),
            *("--dir", str(directory), "--logfile", str(directory / "redis.log")),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
                    connection.sendall(b"PING\r\n")
                    if connection.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"redis-server did not start on port {port}")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def redis_url(redis_server: str) -> Iterator[str]:
    """The session's Redis, emptied after each test."""
    yield redis_server
    port = int(redis_server.rsplit(":", 1)[1].split("/")[0])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        connection.sendall(b"FLUSHALL\r\n")
        connection.recv(16)


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    """A client of the session's Redis, to read what the instances keep there."""
    client = Redis.from_url(redis_url, decode_responses=True)
    yield client
    await client.aclose()


@pytest.fixture(scope="session")
def shared_identification(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """One local OpenID provider for every test of the identified client's own features (their
    apps all live at http://127.0.0.1:8080): the settings that turn identification on. The
    identification tests themselves start their own, which they stop, rotate and slow down."""
    directory = tmp_path_factory.mktemp("identification")
    with running_for_the_session("http://127.0.0.1:8080", directory) as settings:
        yield settings
