"""Network meetings through Janus: what a meeting of 4, 8 and 16 costs, and what one person
sends in a mesh of 6 against the SFU.

    tests/run-fenced .venv/bin/python bench/bench_sfu.py [--write]

Runs inside a loopback-only namespace (tests/run-fenced): it starts Debian's Janus there (on
its portless bridge, tests/janus_gateway.py), one `server.py serve` pointed at it, and aiortc
participants in this process (160x120 synthetic video at 15 fps, no sound: sixteen decoders
of fifteen streams each share the two cores with everything else). For each size:

- join to first frame through the SFU: each participant admitted after the room moved, from
  its hello to the first decoded video frame of the host (p50, p95),
- over a 10 s steady window with everyone seeing everyone: Janus's CPU and Kohtaamo's CPU, per
  participant and per forwarded video stream (n × (n − 1)),
- one participant's uplink (bytes its peer connections sent in 10 s) in a mesh of 6 against
  through the SFU with 6.

With ``--write`` the tables replace the "Video through the SFU" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_video import Meeting, Server, prepare, server_process, staff_session
from bench.common import (
    percentile,
    process_seconds,
    replace_section,
)

SIZES = (4, 8, 16)
WINDOW_SECONDS = 10.0
VIDEO = {"width": 160, "height": 120, "fps": 15, "microphone": False, "motion": False}
# For the uplink: a picture that changes, so that the encoder spends a camera's bitrate.
MOVING = VIDEO | {"motion": True}
HEADING = "## Video through the SFU"


async def invite(staff: aiohttp.ClientSession, server: Server, meeting: Meeting, name: str) -> str:
    async with staff.post(
        f"{server.base}/api/v1/meetings/{meeting.id}/guests", json={"display_name": name}
    ) as answer:
        body = await answer.json()
        if answer.status != 201:
            raise RuntimeError(f"invitation refused: {answer.status} {body}")
        return str(body["join_url"]).rsplit("/", 1)[1]


async def seat_everyone(
    server: Server,
    staff: aiohttp.ClientSession,
    meeting: Meeting,
    size: int,
    video: dict[str, Any] = VIDEO,
) -> list[Any]:
    """Host, client and guests, joined one after another; the host admits each at once."""
    from tests.video.peers import Participant

    public = [aiohttp.ClientSession() for _ in range(size - 1)]
    host = Participant(staff, server.ws_url(meeting), auto_admit=True, label="host", **video)
    await host.join()
    people = [host]
    credentials = [{"kind": "client", "token": meeting.token}]
    for number in range(size - 2):
        token = await invite(staff, server, meeting, f"Guest {number + 1}")
        credentials.append({"kind": "guest", "token": token})
    for number, credential in enumerate(credentials):
        person = Participant(
            public[number],
            server.ws_url(meeting),
            credential=credential,
            label=f"p{number}",
            **video,
        )
        person._bench_session = public[number]  # type: ignore[attr-defined]
        await person.join()
        await person.wait_for("admitted", within=30)
        people.append(person)
    return people


async def close_all(people: list[Any]) -> None:
    for person in people:
        await person.close()
        session = getattr(person, "_bench_session", None)
        if session is not None:
            await session.close()


def sees_everyone(people: list[Any]) -> bool:
    for viewer in people:
        media = viewer.sfu
        if media is None:
            return False
        if any(media.frames(other.id) < 5 for other in people if other is not viewer):
            return False
    return True


async def until(condition: Any, within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        await asyncio.sleep(0.1)


async def sent_bytes(person: Any) -> int:
    """The video this participant's peer connections have sent so far (RTP bytes)."""
    connections = [endpoint.pc for endpoint in person.peers.values()]
    if person.sfu is not None:
        connections.append(person.sfu.publisher)
    total = 0
    for pc in connections:
        for stat in (await pc.getStats()).values():
            if getattr(stat, "type", "") == "outbound-rtp" and stat.kind == "video":
                total += int(stat.bytesSent)
    return total


async def meeting_of(
    size: int,
    server: Server,
    staff: aiohttp.ClientSession,
    meeting: Meeting,
    janus_pid: int,
    video: dict[str, Any] = VIDEO,
) -> dict[str, Any]:
    people = await seat_everyone(server, staff, meeting, size, video)
    try:
        await until(lambda: sees_everyone(people), 90, f"everyone seeing everyone ({size})")
        host = people[0]
        joins = []
        for person in people[3:]:  # admitted after the room moved to the SFU
            first = person.sfu.first_frame_at(host.id) if person.sfu else None
            if first is not None and person.hello_sent_at is not None:
                joins.append((first - person.hello_sent_at) * 1000)
        janus_before, server_before = process_seconds(janus_pid), process_seconds(server.pid)
        frames_before = sum(p.sfu.frames(o.id) for p in people for o in people if o is not p)
        uplink_before = await sent_bytes(people[1])
        started = time.monotonic()
        await asyncio.sleep(WINDOW_SECONDS)
        elapsed = time.monotonic() - started
        janus_cpu = (process_seconds(janus_pid) - janus_before) / elapsed
        server_cpu = (process_seconds(server.pid) - server_before) / elapsed
        frames = sum(p.sfu.frames(o.id) for p in people for o in people if o is not p)
        uplink = (await sent_bytes(people[1]) - uplink_before) * 8 / elapsed / 1000
        streams = size * (size - 1)
        return {
            "size": size,
            "joins": joins,
            "janus": janus_cpu,
            "server": server_cpu,
            "streams": streams,
            "fps": (frames - frames_before) / elapsed / streams,
            "uplink_kbps": uplink,
        }
    finally:
        await close_all(people)


async def mesh_uplink(database_url: str, meeting: Meeting) -> float:
    """One participant's uplink in a mesh of 6 (a server without Janus)."""
    async with server_process(database_url) as server:
        staff = await staff_session(server)
        try:
            people = await seat_everyone(server, staff, meeting, 6, MOVING)
            try:
                await until(
                    lambda: (
                        all(
                            endpoint.frames("video") >= 5
                            for person in people
                            for endpoint in person.peers.values()
                        )
                        and all(len(person.peers) == 5 for person in people)
                    ),
                    90,
                    "the mesh of 6",
                )
                before = await sent_bytes(people[1])
                started = time.monotonic()
                await asyncio.sleep(WINDOW_SECONDS)
                return (
                    (await sent_bytes(people[1]) - before) * 8 / (time.monotonic() - started) / 1000
                )
            finally:
                await close_all(people)
        finally:
            await staff.close()


async def main() -> None:
    from tests.janus_gateway import ADDRESS, fenced_interface, running_janus

    parser = argparse.ArgumentParser()
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    arguments = parser.parse_args()
    if not all(name in ("lo",) for _, name in __import__("socket").if_nameindex()):
        sys.exit("bench_sfu.py needs a loopback-only namespace: tests/run-fenced ...")
    import aioice.ice

    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: [ADDRESS] if use_ipv4 else []
    workdir = Path(tempfile.mkdtemp(prefix="kohtaamo-bench-sfu-"))
    database_url = f"sqlite+aiosqlite:///{workdir / 'bench.sqlite3'}"
    meetings = await prepare(database_url, len(SIZES) + 2)
    results = []
    with fenced_interface(), running_janus(workdir / "janus") as janus:
        async with server_process(database_url, **janus.settings()) as server:
            staff = await staff_session(server)
            try:
                for size, meeting in zip(SIZES, meetings, strict=False):
                    results.append(
                        await meeting_of(size, server, staff, meeting, janus.process.pid)
                    )
                six = await meeting_of(
                    6, server, staff, meetings[len(SIZES)], janus.process.pid, MOVING
                )
            finally:
                await staff.close()
        mesh = await mesh_uplink(database_url, meetings[len(SIZES) + 1])
    lines = [
        HEADING,
        "",
        f"Measured {time.strftime('%Y-%m-%d')} by `bench/bench_sfu.py`: Debian's Janus "
        f"{janus_version()}, one `server.py serve` (SQLite), aiortc participants in the benchmark "
        f"process, all on the same {os.cpu_count()} cores (the participants' decoding takes most "
        "of them). Video 160x120 at 15 fps of one still colour (a few kbit/s per stream: a "
        "changing picture for 16 people is more than one Python process can decode here), VP8, "
        "one layer (aiortc does not send simulcast), no sound. CPU is the share of one core.",
        "",
        "| participants | forwarded video streams | join to first frame p50 / p95 ms | Janus CPU | per participant | per stream | Kohtaamo CPU | per participant | frames per second per stream |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in results:
        joins = row["joins"] or [float("nan")]
        lines.append(
            f"| {row['size']} | {row['streams']} | {statistics.median(joins):.0f} / "
            f"{percentile(joins, 0.95):.0f} | {row['janus'] * 100:.1f} % | "
            f"{row['janus'] / row['size'] * 100:.2f} % | {row['janus'] / row['streams'] * 100:.3f} % | "
            f"{row['server'] * 100:.1f} % | {row['server'] / row['size'] * 100:.2f} % | {row['fps']:.1f} |"
        )
    lines += [
        "",
        "**One participant's video uplink, 6 people** (a picture with a strip of noise changing "
        "every frame, so the encoder spends a camera's bitrate): "
        f"{mesh:.0f} kbit/s in the mesh (their camera "
        f"sent to each of the 5 others) against {six['uplink_kbps']:.0f} kbit/s through the SFU "
        f"(sent once): {mesh / max(six['uplink_kbps'], 1):.1f} times less.",
        "",
    ]
    print("\n".join(lines))
    if arguments.write:
        replace_section(HEADING, lines)


def janus_version() -> str:
    done = subprocess.run(["janus", "--version"], capture_output=True, text=True, check=False)
    for line in done.stdout.splitlines():
        if line.startswith("Janus version"):
            return line.split("(")[-1].rstrip(")")
    return "?"


if __name__ == "__main__":
    asyncio.run(main())
