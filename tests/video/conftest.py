"""Video meetings that start in a few minutes, and the parts media tests need."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import hashlib
import hmac
import os
import random
import shutil
import socket
import struct
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import aioice.ice
import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import update

from booking.models import Booking
from core.app_keys import sessions_key
from tests.booking.conftest import BookingWorld, booking_body, make_world
from tests.conftest import PASSWORD, log_in
from tests.janus_gateway import janus as janus  # the fixtures of the SFU tests
from tests.janus_gateway import sfu_ice as sfu_ice
from tests.video.peers import BLUE, GREEN, RED, Participant

CASEWORKER_EMAIL = "maria@example.com"
CLIENT_NAME = "Liisa Asiakas"


@dataclasses.dataclass(frozen=True)
class VideoMeeting:
    id: str
    manage_token: str
    world: BookingWorld
    starts_at: datetime
    ends_at: datetime

    @property
    def ws_path(self) -> str:
        return f"/api/v1/meetings/{self.id}/ws"

    @property
    def client_hello(self) -> dict[str, Any]:
        return {
            "type": "hello",
            "v": 2,
            "credential": {"kind": "client", "token": self.manage_token},
        }


async def make_video_meeting(
    client: TestClient[Any, Any],
    *,
    starts_in: timedelta = timedelta(minutes=5),
    duration: timedelta = timedelta(minutes=45),
    protected: bool = False,
    world: BookingWorld | None = None,
    client_email: str = "liisa@example.com",
) -> VideoMeeting:
    """Book a video meeting with Maria through the API, then move it to start ``starts_in`` from
    now: the slot rules (working hours, notice) are not what these tests are about. A second
    meeting in the same world needs another ``client_email``."""
    world = world or await make_world(client)
    contact = {"name": CLIENT_NAME, "email": client_email}
    # Booked at a time free in the world, then moved: the email picks one of 8 morning hours.
    hour = 8 + sum(client_email.encode()) % 8
    body = booking_body(world, world.tomorrow_at(hour), client=contact)
    answer = await client.post("/api/v1/bookings", json=body)
    assert answer.status == 201, await answer.text()
    created = await answer.json()
    starts_at = datetime.now(UTC).replace(microsecond=0) + starts_in
    ends_at = starts_at + duration
    async with client.app[sessions_key].begin() as session:
        await session.execute(
            update(Booking)
            .where(Booking.id == created["id"])
            .values(
                starts_at=starts_at,
                ends_at=ends_at,
                blocked_from=starts_at,
                blocked_until=ends_at,
                protected=protected,
            )
        )
    return VideoMeeting(
        id=created["id"],
        manage_token=created["manage_token"],
        world=world,
        starts_at=starts_at,
        ends_at=ends_at,
    )


# ---- media tests: loopback ICE, people in a room, a real TURN server ---------------------------


@pytest.fixture
def loopback_ice(fenced_network: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """aioice leaves 127.0.0.1 out of its host candidates; in the loopback-only namespace that
    is the only address there is. Patched where aioice looks it up."""

    def loopback(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        return ["127.0.0.1"] if use_ipv4 else []

    monkeypatch.setattr(aioice.ice, "get_host_addresses", loopback)


async def log_in_caseworker(client: TestClient[Any, Any]) -> None:
    """Maria, the meeting's caseworker, on ``client``'s cookie jar."""
    await log_in(client, CASEWORKER_EMAIL)


async def invite_guest(
    client: TestClient[Any, Any], meeting: VideoMeeting, display_name: str = "Tulkki Tuula"
) -> str:
    """The host invites a guest (``client`` holds the host's session); returns the link's token."""
    answer = await client.post(
        f"/api/v1/meetings/{meeting.id}/guests", json={"display_name": display_name}
    )
    assert answer.status == 201, await answer.text()
    body = await answer.json()
    assert body["display_name"] == display_name
    assert "/meetings/guest/" in body["join_url"]
    return str(body["join_url"]).rsplit("/", 1)[1]


class People:
    """Makes participants of a meeting, each on its own HTTP session, and closes them all."""

    def __init__(self, client: TestClient[Any, Any]) -> None:
        self.client = client
        self._logged_in = False
        self._participants: list[Participant] = []
        self._sessions: list[aiohttp.ClientSession] = []

    def _url(self, meeting: VideoMeeting) -> str:
        return str(self.client.make_url(meeting.ws_path))

    async def host(self, meeting: VideoMeeting, **options: Any) -> Participant:
        """The caseworker, through the test client's session (which logs in as Maria)."""
        if not self._logged_in:
            await log_in_caseworker(self.client)
            self._logged_in = True
        options.setdefault("colour", RED)
        options.setdefault("label", "host")
        return self._keep(Participant(self.client.session, self._url(meeting), **options))

    def client_of(self, meeting: VideoMeeting, **options: Any) -> Participant:
        """The person who booked, with the manage token, on a session without cookies."""
        options.setdefault("colour", GREEN)
        options.setdefault("hertz", 600)
        credential = {"kind": "client", "token": meeting.manage_token}
        return self._keep(
            Participant(self._session(), self._url(meeting), credential=credential, **options)
        )

    def guest(self, meeting: VideoMeeting, token: str, **options: Any) -> Participant:
        options.setdefault("colour", BLUE)
        options.setdefault("hertz", 800)
        credential = {"kind": "guest", "token": token}
        return self._keep(
            Participant(self._session(), self._url(meeting), credential=credential, **options)
        )

    def _session(self) -> aiohttp.ClientSession:
        session = aiohttp.ClientSession()
        self._sessions.append(session)
        return session

    def _keep(self, participant: Participant) -> Participant:
        self._participants.append(participant)
        return participant

    async def close(self) -> None:
        await asyncio.gather(
            *(participant.close() for participant in self._participants), return_exceptions=True
        )
        for session in self._sessions:
            await session.close()


@pytest.fixture
async def people(client: TestClient[Any, Any], loopback_ice: None) -> AsyncIterator[People]:
    made = People(client)
    try:
        yield made
    finally:
        await made.close()


@pytest.fixture
async def sfu_people(client: TestClient[Any, Any], sfu_ice: None) -> AsyncIterator[People]:
    """People of a meeting through the SFU: their ICE on Janus's fenced interface."""
    made = People(client)
    try:
        yield made
    finally:
        await made.close()


async def admit_and_connect(host: Participant, newcomer: Participant) -> None:
    """``newcomer`` (already joined) appears in the host's lobby, is admitted, and the two
    exchange audio and video."""
    await host.wait_for("lobby", where=lambda m: newcomer.id in waiting_ids(m))
    mark = newcomer.mark()
    await host.admit(newcomer.id)
    await newcomer.wait_for("admitted", after=mark)
    await newcomer.wait_for_media_from(host.id)
    await host.wait_for_media_from(newcomer.id)


def waiting_ids(lobby: dict[str, Any]) -> set[str]:
    return {person["id"] for person in lobby["waiting"]}


# ---- coturn ----------------------------------------------------------------------------------


@dataclasses.dataclass
class Coturn:
    """A coturn started for one test, on 127.0.0.1 (with --allow-loopback-peers: tests only)."""

    port: int
    secret: str
    log: Path
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"turn:127.0.0.1:{self.port}?transport=udp"

    def credentials(
        self, name: str, *, valid_for: int = 3600, secret: str | None = None
    ) -> tuple[str, str]:
        """coturn's REST scheme: ``<unix expiry>:<name>`` and base64(HMAC-SHA1(secret, it))."""
        username = f"{int(time.time()) + valid_for}:{name}"
        return username, turn_password(secret or self.secret, username)

    def ice(self, username: str, password: str) -> dict[str, Any]:
        return {
            "iceServers": [{"urls": [self.url], "username": username, "credential": password}],
            "iceTransportPolicy": "relay",
        }

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    async def wait_for_log(self, text: str, within: float = 5.0) -> None:
        """coturn writes its log with some delay: wait (bounded) until ``text`` shows up."""
        deadline = time.monotonic() + within
        while text not in self.log_text():
            if time.monotonic() > deadline:
                raise AssertionError(f"coturn never logged {text!r}:\n{self.log_text()}")
            await asyncio.sleep(0.1)


def turn_password(secret: str, username: str) -> str:
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _free_port_range(size: int) -> int:
    """The first port of ``size`` consecutive UDP ports that are free now."""
    for _ in range(50):
        first = random.randrange(40000, 60000 - size)
        probes = []
        try:
            for port in range(first, first + size):
                probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                probes.append(probe)
                probe.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            for probe in probes:
                probe.close()
        return first
    raise RuntimeError("no free UDP port range for coturn's relays")


def _answers_stun(port: int) -> bool:
    """Whether something on 127.0.0.1:port answers a STUN binding request (RFC 5389)."""
    transaction = os.urandom(12)
    request = struct.pack("!HHI", 0x0001, 0, 0x2112A442) + transaction
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.settimeout(0.2)
        try:
            probe.sendto(request, ("127.0.0.1", port))
            answer = probe.recv(2048)
        except OSError:  # refused (nothing listens yet) or timed out
            return False
    return answer[:2] == b"\x01\x01" and answer[8:20] == transaction


TURNSERVER = shutil.which("turnserver") or "/usr/sbin/turnserver"


@pytest.fixture
def coturn_relay_ip() -> str:
    """The address coturn relays from (the SFU tests relay from Janus's fenced interface)."""
    return "127.0.0.1"


@pytest.fixture
def coturn(fenced_network: None, tmp_path: Path, coturn_relay_ip: str) -> Iterator[Coturn]:
    if not Path(TURNSERVER).exists():
        reason = "coturn's turnserver is not installed (apt-get install coturn)"
        if os.environ.get("KOHTAAMO_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{reason}, and CI requires it")
        pytest.skip(reason)
    port = _free_port()
    relays = _free_port_range(40)
    secret = f"turn-test-{os.urandom(8).hex()}"
    log = tmp_path / "turnserver.log"
    command = [
        TURNSERVER,
        "-n",
        "--listening-ip=127.0.0.1",
        f"--relay-ip={coturn_relay_ip}",
        f"--listening-port={port}",
        f"--min-port={relays}",
        f"--max-port={relays + 39}",
        "--use-auth-secret",
        f"--static-auth-secret={secret}",
        "--realm=kohtaamo.test",
        "--fingerprint",
        "--no-cli",
        "--no-tls",
        "--no-dtls",
        "--no-multicast-peers",
        "--allow-loopback-peers",  # tests only: the peers here are on 127.0.0.1
        f"--pidfile={tmp_path / 'turnserver.pid'}",
        f"--userdb={tmp_path / 'turnserver.db'}",
        "--log-file=stdout",
        "--simple-log",
    ]
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
    server = Coturn(port=port, secret=secret, log=log, process=process)
    try:
        deadline = time.monotonic() + 10
        while not _answers_stun(port):
            if process.poll() is not None:
                pytest.fail(f"turnserver exited with {process.returncode}:\n{server.log_text()}")
            if time.monotonic() > deadline:
                pytest.fail(f"turnserver did not answer within 10 s:\n{server.log_text()}")
            time.sleep(0.05)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


# ---- the signaling tests' people: the meeting, its caseworker and an anonymous browser ----


@pytest.fixture
async def meeting(client: TestClient[Any, Any]) -> VideoMeeting:
    return await make_video_meeting(client)


@pytest.fixture
async def host_session(
    client: TestClient[Any, Any], meeting: VideoMeeting
) -> AsyncIterator[aiohttp.ClientSession]:
    """Maria, the meeting's caseworker, logged in on her own cookie jar."""
    async with aiohttp.ClientSession(
        base_url=str(client.make_url("")), cookie_jar=aiohttp.CookieJar(unsafe=True)
    ) as session:
        answer = await session.post(
            "/api/v1/auth/login", json={"email": CASEWORKER_EMAIL, "password": PASSWORD}
        )
        assert answer.status == 200
        yield session


@pytest.fixture
async def anonymous(client: TestClient[Any, Any]) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(
        base_url=str(client.make_url("")), cookie_jar=aiohttp.CookieJar(unsafe=True)
    ) as session:
        yield session
