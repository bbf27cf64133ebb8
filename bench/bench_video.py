"""Video meeting figures through a real server process on 127.0.0.1.

    tests/run-fenced .venv/bin/python bench/bench_video.py [--rooms 2000] [--joins 20] [--hold 30]

WebRTC peers gather candidates on every interface, so this refuses to run outside a
loopback-only network namespace (tests/run-fenced). There aioice would find no address at all
(it leaves 127.0.0.1 out), so this process and the server process both tell it that 127.0.0.1 is
the host's address: the server is started as ``bench_video.py --serve``, which applies that patch
and then runs ``server.py serve`` unchanged.

Measures, and prints as Markdown:
- join to first remote video frame: an aiortc client says hello, waits in the lobby, an aiortc
  host admits it at once, the client offers; the time until the client decodes the host's first
  video frame (and its phases),
- signaling round trip through the server: a ``signal`` (an ICE candidate) from A to B that B
  sends straight back, and ``ping``/``pong``; in a quiet server and with the idle rooms open,
- idle rooms: N rooms, each with a host and an admitted client on WebSockets that only answer
  the server's heartbeat pings; server RSS per connection, CPU while idle, and whether every
  connection survived the hold,
- connection tests: server CPU per second while k aiortc "browsers" (640x480 at 30 fps) have
  their media echoed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

# Run as a script, so the repository root is not on the path by itself.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (
    PASSWORD,
    ROOT,
    bench_unit,
    close_websocket,
    free_port,
    hello_message,
    percentile,
    process_seconds,
    server_environment,
    stop_process,
    video_meeting,
    wait_until_healthy,
)

HOST_EMAIL = "host@example.com"
HEARTBEAT_SECONDS = 10
# Rooms are opened in a burst first (everyone joining at the full hour), then steadily.
BURST_ROOMS = 100
BURST_CONCURRENCY = 50
OPEN_CONCURRENCY = 5
SERVER_SCRIPT = str(Path(__file__).resolve())
CANDIDATE = {
    "candidate": "candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host",
    "sdpMid": "0",
    "sdpMLineIndex": 0,
}


def patch_aioice_for_loopback() -> None:
    """aioice leaves 127.0.0.1 out of host candidates; in the namespace it is all there is."""
    import aioice.ice

    def loopback(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        return ["127.0.0.1"] if use_ipv4 else []

    aioice.ice.get_host_addresses = loopback


def more_open_files() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def loopback_only() -> bool:
    return all(name == "lo" for _, name in socket.if_nameindex())


# ---- the data: one caseworker hosting many video meetings that start in five minutes ----------


@dataclass
class Meeting:
    id: str
    token: str


async def prepare(database_url: str, meetings: int) -> list[Meeting]:
    async with bench_unit(database_url, threads=1) as unit:
        host = await unit.caseworker(HOST_EMAIL, "Hilkka Host")
        meeting_type = await unit.video_meeting_type(
            ("Videotapaaminen", "Videomöte", "Video meeting"),
            duration_minutes=45,
            horizon_days=30,
        )
        # Written straight into the table (SQLite has no overlap constraint): many rooms at once
        # for one caseworker is what a benchmark wants, not what the booking rules allow.
        starts_at = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=5)
        made = []
        async with unit.sessions.begin() as session:
            for number in range(meetings):
                booking, token = video_meeting(
                    host,
                    meeting_type,
                    starts_at,
                    minutes=45,
                    client_name=f"Client {number}",
                    client=f"bench-{number}",
                )
                session.add(booking)
                made.append(Meeting(booking.id, token))
        return made


# ---- the server process -----------------------------------------------------------------------


@dataclass
class Server:
    base: str
    pid: int

    def ws_url(self, meeting: Meeting) -> str:
        return f"{self.base.replace('http', 'ws', 1)}/api/v1/meetings/{meeting.id}/ws"

    def rss_kib(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS")

    def cpu_seconds(self) -> float:
        return process_seconds(self.pid)


@contextlib.asynccontextmanager
async def server_process(database_url: str, **settings: str) -> AsyncIterator[Server]:
    """``server.py serve`` on a free port, with ``settings`` besides the benchmark's own."""
    port = free_port()
    environment = server_environment(
        database_url,
        port,
        **{
            "login_attempt_limit": "1000",
            "log_level": os.environ.get("KOHTAAMO_LOG_LEVEL", "WARNING"),
            "video_test_limit": "8",
            "video_heartbeat_seconds": str(HEARTBEAT_SECONDS),
        }
        | settings,
    )
    process = subprocess.Popen(
        [sys.executable, SERVER_SCRIPT, "--serve"], cwd=ROOT, env=environment
    )
    base = f"http://127.0.0.1:{port}"
    try:
        await wait_until_healthy(base, process, within=20)
        yield Server(base, process.pid)
    finally:
        stop_process(process)


async def staff_session(server: Server) -> aiohttp.ClientSession:
    http = aiohttp.ClientSession(
        cookie_jar=aiohttp.CookieJar(unsafe=True), connector=aiohttp.TCPConnector(limit=0)
    )
    async with http.post(
        f"{server.base}/api/v1/auth/login", json={"email": HOST_EMAIL, "password": PASSWORD}
    ) as answer:
        if answer.status != 200:
            raise RuntimeError(f"login failed: {answer.status} {await answer.text()}")
    return http


# ---- a bare WebSocket participant (no media): idle rooms and round trips ----------------------


@dataclass
class Socket:
    """A participant's WebSocket that answers heartbeat pings itself (to count them)."""

    ws: aiohttp.ClientWebSocketResponse
    messages: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)
    pings: int = 0
    closed_with: int | None = None
    echo_signals: bool = False
    reader: asyncio.Task[None] | None = None
    you: str = ""

    @classmethod
    async def open(
        cls, http: aiohttp.ClientSession, url: str, credential: dict[str, str] | None
    ) -> tuple[Socket, dict[str, Any]]:
        ws = await http.ws_connect(url, autoping=False, timeout=aiohttp.ClientWSTimeout(ws_close=5))
        made = cls(ws)
        made.reader = asyncio.create_task(made._read())
        await made.send(hello_message(credential))
        welcome = await made.expect("welcome")
        made.you = welcome["you"]["id"]
        return made, welcome

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send_str(json.dumps(message))

    async def expect(self, kind: str, within: float = 15) -> dict[str, Any]:
        async with asyncio.timeout(within):
            while True:
                message = await self.messages.get()
                if message["type"] == kind:
                    return message

    async def _read(self) -> None:
        while True:
            frame = await self.ws.receive()
            if frame.type is aiohttp.WSMsgType.TEXT:
                message = json.loads(frame.data)
                if self.echo_signals and message["type"] == "signal":
                    await self.send(
                        {"type": "signal", "to": message["from"], "candidate": message["candidate"]}
                    )
                else:
                    self.messages.put_nowait(message)
            elif frame.type is aiohttp.WSMsgType.PING:
                self.pings += 1
                await self.ws.pong(frame.data)
            elif frame.type in (
                aiohttp.WSMsgType.CLOSE,
                aiohttp.WSMsgType.CLOSING,
                aiohttp.WSMsgType.CLOSED,
                aiohttp.WSMsgType.ERROR,
            ):
                self.closed_with = self.ws.close_code or 1006
                return

    async def close(self) -> None:
        await close_websocket(self.ws, self.reader)


async def open_room(
    server: Server, staff: aiohttp.ClientSession, public: aiohttp.ClientSession, meeting: Meeting
) -> tuple[Socket, Socket]:
    """A host and its admitted client, both on bare WebSockets."""
    host, _ = await Socket.open(staff, server.ws_url(meeting), None)
    client, welcome = await Socket.open(
        public, server.ws_url(meeting), {"kind": "client", "token": meeting.token}
    )
    assert welcome["state"] == "lobby", welcome
    await host.send({"type": "admit", "participant": client.you})
    await client.expect("admitted")
    return host, client


async def round_trips(host: Socket, client: Socket, count: int) -> tuple[list[float], list[float]]:
    """``signal`` host → client → host, and ``ping`` → ``pong``; in ms. Paced at 40 a second
    per connection, under the server's 50 messages a second."""
    client.echo_signals = True
    signals, pings = [], []
    for _ in range(count):
        started = time.perf_counter()
        await host.send({"type": "signal", "to": client.you, "candidate": CANDIDATE})
        await host.expect("signal")
        signals.append((time.perf_counter() - started) * 1000)
        await asyncio.sleep(0.025)
        started = time.perf_counter()
        await host.send({"type": "ping"})
        await host.expect("pong")
        pings.append((time.perf_counter() - started) * 1000)
        await asyncio.sleep(0.025)
    client.echo_signals = False
    return signals, pings


# ---- the measurements -------------------------------------------------------------------------


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)

    def add(self, *lines: str) -> None:
        self.lines.extend(lines)
        for line in lines:
            print(line, file=sys.stderr, flush=True)


async def join_to_first_frame(
    server: Server, staff: aiohttp.ClientSession, meetings: list[Meeting], report: Report
) -> None:
    from tests.video.peers import GREEN, RED, Participant

    totals: list[float] = []
    phases: dict[str, list[float]] = {"welcome": [], "admitted": [], "connected": []}
    host_sees: list[float] = []
    async with aiohttp.ClientSession() as public:
        for meeting in meetings:
            host = Participant(
                staff, server.ws_url(meeting), colour=RED, width=640, height=480, auto_admit=True
            )
            guest = Participant(
                public,
                server.ws_url(meeting),
                credential={"kind": "client", "token": meeting.token},
                colour=GREEN,
                width=640,
                height=480,
            )
            try:
                await host.join()
                await host.wait_for("admitted")
                await guest.join()
                endpoint = await guest.wait_for_media_from(host.id, video_frames=1, audio_frames=1)
                back = await host.wait_for_media_from(guest.id, video_frames=1, audio_frames=1)
                hello = guest.hello_sent_at
                assert hello is not None
                first = endpoint.first_video_at()
                assert first is not None and endpoint.connected_at is not None
                totals.append((first - hello) * 1000)
                phases["welcome"].append((guest.arrival(guest.welcome) - hello) * 1000)
                admitted = await guest.wait_for("admitted")
                phases["admitted"].append((guest.arrival(admitted) - hello) * 1000)
                phases["connected"].append((endpoint.connected_at - hello) * 1000)
                seen = back.first_video_at()
                assert seen is not None
                host_sees.append((seen - hello) * 1000)
            finally:
                await guest.close()
                await host.close()
    report.add(
        f"**Join to first remote video frame** ({len(totals)} joins, aiortc host and client, "
        "640x480 at 30 fps, each in a fresh room; the host admits as soon as its lobby shows "
        "the client):",
        "",
        "| from the client's hello to | p50 ms | p95 ms |",
        "|---|---:|---:|",
        f"| `welcome` (lobby) | {statistics.median(phases['welcome']):.0f} | {percentile(phases['welcome'], 0.95):.0f} |",
        f"| `admitted` | {statistics.median(phases['admitted']):.0f} | {percentile(phases['admitted'], 0.95):.0f} |",
        f"| peer connection connected | {statistics.median(phases['connected']):.0f} | {percentile(phases['connected'], 0.95):.0f} |",
        f"| **first video frame of the host decoded** | **{statistics.median(totals):.0f}** | **{percentile(totals, 0.95):.0f}** |",
        f"| the host decodes the client's first frame | {statistics.median(host_sees):.0f} | {percentile(host_sees, 0.95):.0f} |",
        "",
    )


async def connection_tests(server: Server, meeting: Meeting, report: Report) -> None:
    from aiortc import RTCSessionDescription

    from tests.video.peers import GREEN, MediaEndpoint, rtc_configuration

    window = 10.0
    idle_before = server.cpu_seconds()
    await asyncio.sleep(5)
    idle = (server.cpu_seconds() - idle_before) / 5
    rows = []
    async with aiohttp.ClientSession() as http:
        for k in (1, 2, 4):
            endpoints = [
                MediaEndpoint(
                    rtc_configuration({"iceServers": [], "iceTransportPolicy": "all"}),
                    colour=GREEN,
                    hertz=500,
                    width=640,
                    height=480,
                    fps=30,
                )
                for _ in range(k)
            ]
            try:
                for endpoint in endpoints:
                    endpoint.add_tracks()
                    await endpoint.pc.setLocalDescription(await endpoint.pc.createOffer())
                    body = {
                        "credential": {"kind": "client", "token": meeting.token},
                        "offer": {"type": "offer", "sdp": endpoint.pc.localDescription.sdp},
                    }
                    async with http.post(
                        f"{server.base}/api/v1/meetings/{meeting.id}/connection-test", json=body
                    ) as answer:
                        if answer.status != 200:
                            raise RuntimeError(f"connection test: {answer.status}")
                        sdp = (await answer.json())["answer"]["sdp"]
                    await endpoint.pc.setRemoteDescription(
                        RTCSessionDescription(sdp=sdp, type="answer")
                    )
                for endpoint in endpoints:
                    await endpoint.wait_for_media(video_frames=30, audio_frames=30, within=30)
                await asyncio.sleep(2)  # past the first keyframes and bitrate ramp-up
                frames_before = sum(endpoint.frames("video") for endpoint in endpoints)
                cpu_before = server.cpu_seconds()
                began = time.monotonic()
                await asyncio.sleep(window)
                elapsed = time.monotonic() - began
                cpu = (server.cpu_seconds() - cpu_before) / elapsed
                fps = (sum(e.frames("video") for e in endpoints) - frames_before) / elapsed / k
                rows.append(
                    f"| {k} | {cpu * 100:.0f} % | {(cpu - idle) / k * 100:.0f} % | {fps:.1f} |"
                )
            finally:
                for endpoint in endpoints:
                    await endpoint.close()
            await asyncio.sleep(2)  # let the server close its echo peers
    report.add(
        f"**Connection tests** (aiortc browsers sending 640x480 at 30 fps and a tone, echoed by "
        f"the server; server CPU over {window:.0f} s once media flows; 100 % = one core; the "
        f"browsers run on the same 2 cores; idle server {idle * 100:.1f} %):",
        "",
        "| concurrent tests | server CPU | per test | echoed fps per test |",
        "|---:|---:|---:|---:|",
        *rows,
        "",
    )


async def signaling_round_trips(
    server: Server,
    staff: aiohttp.ClientSession,
    public: aiohttp.ClientSession,
    meeting: Meeting,
    count: int,
) -> tuple[list[float], list[float]]:
    host, client = await open_room(server, staff, public, meeting)
    try:
        return await round_trips(host, client, count)
    finally:
        await client.close()
        await host.close()


def rtt_row(name: str, signals: list[float], pings: list[float]) -> list[str]:
    return [
        f"| {name}: `signal` A→B→A | {len(signals)} | {statistics.median(signals):.2f} | {percentile(signals, 0.99):.2f} |",
        f"| {name}: `ping`→`pong` | {len(pings)} | {statistics.median(pings):.2f} | {percentile(pings, 0.99):.2f} |",
    ]


async def idle_rooms(
    server: Server,
    staff: aiohttp.ClientSession,
    public: aiohttp.ClientSession,
    meetings: list[Meeting],
    rtt_meeting: Meeting,
    hold: float,
    rtt_count: int,
    report: Report,
) -> list[str]:
    rss_before = server.rss_kib()
    rooms: list[tuple[Socket, Socket]] = []

    async def open_rooms(batch: list[Meeting], concurrency: int) -> tuple[float, float]:
        """Rooms a second, and server CPU ms per room."""
        gate = asyncio.Semaphore(concurrency)

        async def one(meeting: Meeting) -> None:
            async with gate:
                rooms.append(await open_room(server, staff, public, meeting))

        cpu = server.cpu_seconds()
        began = time.monotonic()
        await asyncio.gather(*(one(meeting) for meeting in batch))
        elapsed = time.monotonic() - began
        return len(batch) / elapsed, (server.cpu_seconds() - cpu) / len(batch) * 1000

    sockets: list[Socket] = []
    try:
        burst = meetings[: min(BURST_ROOMS, len(meetings) // 2)]
        burst_rate, burst_cpu = await open_rooms(burst, BURST_CONCURRENCY)
        steady_rate, steady_cpu = await open_rooms(meetings[len(burst) :], OPEN_CONCURRENCY)
        sockets = [socket for room in rooms for socket in room]
        await asyncio.sleep(2)
        rss_open = server.rss_kib()
        pings_before = sum(socket.pings for socket in sockets)
        cpu_hold = server.cpu_seconds()
        held_from = time.monotonic()
        await asyncio.sleep(hold / 2)
        idle_cpu = (server.cpu_seconds() - cpu_hold) / (time.monotonic() - held_from)
        # Half-way through the hold, the round trips again, now with every room open.
        loaded = await signaling_round_trips(server, staff, public, rtt_meeting, rtt_count)
        await asyncio.sleep(max(0.0, hold - (time.monotonic() - held_from)))
        held = time.monotonic() - held_from
        rss_after = server.rss_kib()
        pings = sum(socket.pings for socket in sockets) - pings_before
        dropped = [socket.closed_with for socket in sockets if socket.closed_with is not None]
        fewest = min(socket.pings for socket in sockets)
        # Still alive means still answered: every one gets a pong for an app-level ping.
        await asyncio.gather(*(socket.send({"type": "ping"}) for socket in sockets))
        answered = await asyncio.gather(
            *(socket.expect("pong", within=30) for socket in sockets), return_exceptions=True
        )
        alive = sum(1 for answer in answered if isinstance(answer, dict))
    finally:
        await asyncio.gather(*(socket.close() for room in rooms for socket in room))
    count = len(sockets)
    report.add(
        f"**Idle rooms** ({len(rooms)} rooms, each a host and an admitted client: {count} "
        f"WebSockets that only answer the heartbeat; heartbeat every {HEARTBEAT_SECONDS} s; "
        f"held {held:.0f} s):",
        "",
        "| measurement | value |",
        "|---|---:|",
        f"| opening rooms (hello, welcome, lobby, admit, admitted), {len(burst)} rooms {BURST_CONCURRENCY} at a time | {burst_rate:.0f} rooms/s; {burst_cpu:.1f} ms server CPU per room |",
        f"| opening rooms, the other {len(rooms) - len(burst)} {OPEN_CONCURRENCY} at a time | {steady_rate:.0f} rooms/s; {steady_cpu:.1f} ms server CPU per room |",
        f"| server RSS before → with the rooms open → after the hold | {rss_before / 1024:.0f} → {rss_open / 1024:.0f} → {rss_after / 1024:.0f} MiB |",
        f"| RSS growth per WebSocket | {(rss_open - rss_before) / count:.1f} KiB |",
        f"| heartbeat pings answered during the hold | {pings} (at least {fewest} per socket) |",
        f"| server CPU while they idle | {idle_cpu * 100:.1f} % of a core |",
        f"| connections dropped during the hold | {len(dropped)} |",
        f"| answering an app `ping` after the hold | {alive} of {count} |",
        "",
    )
    return rtt_row(f"with {count} idle WebSockets", *loaded)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rooms", type=int, default=2000)
    parser.add_argument("--joins", type=int, default=20)
    parser.add_argument("--hold", type=float, default=30.0)
    parser.add_argument("--round-trips", type=int, default=300)
    parser.add_argument("--skip-tests", action="store_true", help="no connection tests")
    arguments = parser.parse_args()
    if not loopback_only():
        sys.exit(
            "bench_video.py needs a loopback-only network namespace: "
            "tests/run-fenced .venv/bin/python bench/bench_video.py"
        )
    patch_aioice_for_loopback()
    more_open_files()
    workdir = Path(tempfile.mkdtemp(prefix="kohtaamo-bench-video-"))
    database_url = f"sqlite+aiosqlite:///{workdir / 'bench.sqlite3'}"
    meetings = await prepare(database_url, arguments.rooms + arguments.joins + 3)
    joins = meetings[: arguments.joins]
    rtt_quiet, rtt_loaded, test_meeting = meetings[arguments.joins : arguments.joins + 3]
    rooms = meetings[arguments.joins + 3 :]
    report = Report()
    report.add(
        f"Python {sys.version.split()[0]}; {os.cpu_count()} cores; aiortc "
        f"{__import__('aiortc').__version__}; server: one `server.py serve` process (SQLite); "
        "the clients run in the benchmark process on the same cores.",
        "",
    )
    async with server_process(database_url) as server:
        staff = await staff_session(server)
        public = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        try:
            if arguments.joins:
                await join_to_first_frame(server, staff, joins, report)
            quiet = await signaling_round_trips(
                server, staff, public, rtt_quiet, arguments.round_trips
            )
            if not arguments.skip_tests:
                await connection_tests(server, test_meeting, report)
            loaded = await idle_rooms(
                server,
                staff,
                public,
                rooms,
                rtt_loaded,
                arguments.hold,
                arguments.round_trips,
                report,
            )
            report.add(
                "**Signaling round trips through the server** (one message every 25 ms, under "
                "the 50 a second limit):",
                "",
                "| path | samples | p50 ms | p99 ms |",
                "|---|---:|---:|---:|",
                *rtt_row("quiet server", *quiet),
                *loaded,
                "",
            )
        finally:
            await public.close()
            await staff.close()
    print("\n".join(report.lines))


def serve() -> int:
    """The server process: the loopback patch, then ``server.py serve`` as usual."""
    patch_aioice_for_loopback()
    more_open_files()
    import server

    return server.main(["serve"])


if __name__ == "__main__":
    if sys.argv[1:] == ["--serve"]:
        sys.exit(serve())
    asyncio.run(main())
