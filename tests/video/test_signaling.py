"""The signaling WebSocket through the real protocol: lobby, admission, relay, resume, and every
kind of bad input refused with its documented close code while the meeting goes on."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import WSMsgType
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from core.app_keys import sessions_key
from server import create_app
from tests.conftest import PASSWORD, make_settings
from tests.video.conftest import CASEWORKER_EMAIL, CLIENT_NAME, VideoMeeting, make_video_meeting
from video.models import MeetingEvent

Socket = aiohttp.ClientWebSocketResponse


async def expect(socket: Socket, kind: str, within: float = 5) -> dict[str, Any]:
    """The next message of type ``kind``, skipping others (heartbeats, lobby updates)."""
    async with asyncio.timeout(within):
        while True:
            frame = await socket.receive()
            assert frame.type is WSMsgType.TEXT, f"wanted {kind}, got {frame.type} {frame.data!r}"
            message: dict[str, Any] = json.loads(frame.data)
            if message["type"] == kind:
                return message


async def closed_with(socket: Socket, within: float = 5) -> tuple[int | None, str]:
    async with asyncio.timeout(within):
        while True:
            frame = await socket.receive()
            if frame.type is WSMsgType.CLOSE:  # the code and reason the server sent
                return int(frame.data), str(frame.extra or "")
            if frame.type in (WSMsgType.CLOSED, WSMsgType.CLOSING):
                return socket.close_code, str(frame.extra or "")


async def join_as_host(session: aiohttp.ClientSession, meeting: VideoMeeting) -> Socket:
    socket = await session.ws_connect(meeting.ws_path)
    await socket.send_json({"type": "hello", "v": 1})
    welcome = await expect(socket, "welcome")
    assert welcome["state"] == "admitted"
    assert welcome["you"]["role"] == "host"
    return socket


async def join_as_client(
    session: aiohttp.ClientSession, meeting: VideoMeeting, **hello: Any
) -> tuple[Socket, dict[str, Any]]:
    socket = await session.ws_connect(meeting.ws_path)
    await socket.send_json(meeting.client_hello | hello)
    return socket, await expect(socket, "welcome")


async def test_the_client_waits_until_the_caseworker_admits_them(
    meeting: VideoMeeting, host_session: aiohttp.ClientSession, anonymous: aiohttp.ClientSession
) -> None:
    client_socket, welcome = await join_as_client(anonymous, meeting)
    assert welcome["v"] == 2
    assert welcome["state"] == "lobby"
    assert welcome["you"]["name"] == CLIENT_NAME
    assert welcome["ice"] == {"iceServers": [], "iceTransportPolicy": "all"}
    client_id = welcome["you"]["id"]

    host = await join_as_host(host_session, meeting)
    lobby = await expect(host, "lobby")
    assert [(p["id"], p["name"], p["role"]) for p in lobby["waiting"]] == [
        (client_id, CLIENT_NAME, "client")
    ]
    # The lobby shows whether the client's device check passed.
    await client_socket.send_json({"type": "device-check", "passed": True, "rtt_ms": 42, "loss": 0})
    lobby = await expect(host, "lobby")
    assert lobby["waiting"][0]["device_check"] == {"passed": True, "rtt_ms": 42.0, "loss": 0.0}

    # In the lobby the client cannot reach anyone.
    await host.send_json({"type": "admit", "participant": client_id})
    admitted = await expect(client_socket, "admitted")
    assert [peer["role"] for peer in admitted["peers"]] == ["host"]
    host_id = admitted["peers"][0]["id"]
    joined = await expect(host, "peer-joined")
    assert joined["peer"]["id"] == client_id
    assert (await expect(host, "lobby"))["waiting"] == []

    # The newcomer offers; the server relays offers, candidates and chat between the two.
    offer = {"type": "offer", "sdp": "v=0\r\n"}
    await client_socket.send_json({"type": "signal", "to": host_id, "description": offer})
    relayed = await expect(host, "signal")
    assert relayed == {"type": "signal", "from": client_id, "description": offer}
    candidate = {"candidate": "candidate:1 1 udp 1 127.0.0.1 5000 typ host", "sdpMid": "0"}
    await host.send_json({"type": "signal", "to": client_id, "candidate": candidate})
    assert (await expect(client_socket, "signal"))["candidate"] == candidate
    await host.send_json({"type": "chat", "text": "  Hei Liisa!  "})
    for socket in (client_socket, host):
        said = await expect(socket, "chat")
        assert (said["from"], said["name"], said["text"]) == (
            host_id,
            "Maria Virtanen",
            "Hei Liisa!",
        )
    await client_socket.send_json({"type": "media", "audio": False, "video": True, "screen": False})
    assert (await expect(host, "media")) == {
        "type": "media",
        "from": client_id,
        "audio": False,
        "video": True,
        "screen": False,
    }

    await client_socket.send_json({"type": "leave"})
    assert (await closed_with(client_socket))[0] == 1000
    left = await expect(host, "peer-left")
    assert left == {"type": "peer-left", "id": client_id, "reason": "left"}


async def test_declined_and_removed_participants_are_closed_with_4403(
    meeting: VideoMeeting, host_session: aiohttp.ClientSession, anonymous: aiohttp.ClientSession
) -> None:
    host = await join_as_host(host_session, meeting)
    first, welcome = await join_as_client(anonymous, meeting)
    await host.send_json({"type": "decline", "participant": welcome["you"]["id"]})
    assert await closed_with(first) == (4403, "declined")

    second, welcome = await join_as_client(anonymous, meeting)
    await host.send_json({"type": "admit", "participant": welcome["you"]["id"]})
    await expect(second, "admitted")
    await host.send_json({"type": "remove", "participant": welcome["you"]["id"]})
    assert await closed_with(second) == (4403, "removed")
    left = await expect(host, "peer-left")
    assert left["reason"] == "removed"


async def test_a_dropped_participant_resumes_without_a_second_admission(
    meeting: VideoMeeting, host_session: aiohttp.ClientSession, anonymous: aiohttp.ClientSession
) -> None:
    host = await join_as_host(host_session, meeting)
    client_socket, welcome = await join_as_client(anonymous, meeting)
    client_id = welcome["you"]["id"]
    await host.send_json({"type": "admit", "participant": client_id})
    await expect(client_socket, "admitted")

    await client_socket.close()  # the network dropped: no "leave"
    assert (await expect(host, "peer-away"))["id"] == client_id

    again, welcome = await join_as_client(anonymous, meeting, resume=welcome["resume"])
    assert welcome["state"] == "admitted"
    assert welcome["you"]["id"] == client_id
    assert [peer["role"] for peer in (await expect(again, "admitted"))["peers"]] == ["host"]
    assert (await expect(host, "peer-joined"))["peer"]["id"] == client_id

    # A used resume token is worthless: the next one is in the newest welcome.
    stale, stale_welcome = await join_as_client(anonymous, meeting, resume="not-the-token")
    assert stale_welcome["state"] == "lobby"
    assert await closed_with(again) == (4409, "replaced")
    await stale.close()


async def test_a_seat_is_given_up_after_the_grace_period(
    client: TestClient[Any, Any],
    meeting: VideoMeeting,
    host_session: aiohttp.ClientSession,
    anonymous: aiohttp.ClientSession,
) -> None:
    from video.keys import room_registry_key

    client.app[room_registry_key]._grace = 0.2
    host = await join_as_host(host_session, meeting)
    client_socket, welcome = await join_as_client(anonymous, meeting)
    await host.send_json({"type": "admit", "participant": welcome["you"]["id"]})
    await expect(client_socket, "admitted")
    await client_socket.close()
    left = await expect(host, "peer-left")
    assert left["reason"] == "timeout"
    _, again = await join_as_client(anonymous, meeting, resume=welcome["resume"])
    assert again["state"] == "lobby"


async def test_the_host_ends_the_meeting_for_everyone_and_events_are_kept(
    client: TestClient[Any, Any],
    meeting: VideoMeeting,
    host_session: aiohttp.ClientSession,
    anonymous: aiohttp.ClientSession,
) -> None:
    host = await join_as_host(host_session, meeting)
    client_socket, welcome = await join_as_client(anonymous, meeting)
    await host.send_json({"type": "admit", "participant": welcome["you"]["id"]})
    await expect(client_socket, "admitted")
    await host.send_json({"type": "end"})
    assert await closed_with(client_socket) == (4410, "ended")
    assert await closed_with(host) == (4410, "ended")

    again = await anonymous.ws_connect(meeting.ws_path)
    await again.send_json(meeting.client_hello)
    assert (await closed_with(again))[0] == 4410

    details = await (await host_session.get(f"/api/v1/meetings/{meeting.id}")).json()
    kinds = [(event["kind"], event["role"]) for event in details["events"]]
    assert kinds[:3] == [("joined", "host"), ("joined", "client"), ("admitted", "client")]
    assert ("ended", "host") in kinds
    assert {kind for kind in kinds if kind[0] == "left"} == {("left", "host"), ("left", "client")}
    # Metadata only: the events name roles and the room's random ids, never a person.
    async with client.app[sessions_key]() as session:
        stored = (await session.scalars(select(MeetingEvent))).all()
    assert all(CLIENT_NAME not in repr(vars(row)) for row in stored)


async def test_joining_outside_the_window_is_refused_with_the_opening_time(
    client: TestClient[Any, Any], anonymous: aiohttp.ClientSession
) -> None:
    later = await make_video_meeting(client, starts_in=timedelta(hours=2))
    socket, _ = await anonymous.ws_connect(later.ws_path), None
    await socket.send_json(later.client_hello)
    code, reason = await closed_with(socket)
    opens = (later.starts_at - timedelta(minutes=15)).isoformat().replace("+00:00", "Z")
    assert (code, reason) == (4423, f"opens {opens}")

    page = await anonymous.get(f"/manage/{later.manage_token}/join")
    assert page.status == 200
    text = await page.text()
    assert 'id="video-room"' not in text


async def test_tokens_are_checked(
    client: TestClient[Any, Any],
    meeting: VideoMeeting,
    host_session: aiohttp.ClientSession,
    anonymous: aiohttp.ClientSession,
) -> None:
    host = await join_as_host(host_session, meeting)
    other = await make_video_meeting(
        client,
        starts_in=timedelta(hours=1, minutes=50),
        world=meeting.world,
        client_email="pekka@example.com",
    )
    cases = [
        ({"credential": {"kind": "client", "token": "x" * 43}}, 4401),
        ({"credential": {"kind": "client", "token": other.manage_token}}, 4403),
        ({"credential": {"kind": "guest", "token": meeting.manage_token}}, 4401),
        ({}, 4401),  # no credential and no staff session
    ]
    for credential, code in cases:
        socket = await anonymous.ws_connect(meeting.ws_path)
        await socket.send_json({"type": "hello", "v": 1, **credential})
        assert (await closed_with(socket))[0] == code, credential
    unknown = await host_session.ws_connect("/api/v1/meetings/no-such-meeting/ws")
    await unknown.send_json({"type": "hello", "v": 1})
    assert (await closed_with(unknown))[0] == 4404
    await host.send_json({"type": "ping"})
    assert await expect(host, "pong") == {"type": "pong"}


OFFER = {"type": "offer", "sdp": "v=0\r\na=ice-ufrag:abcd\r\n"}


@pytest.mark.parametrize(
    ("frames", "code"),
    [
        (["not json"], 4400),
        (["[1, 2]"], 4400),
        ([{"type": "chat", "text": "hi"}], 4400),  # the first message must be hello
        ([{"type": "hello", "v": 3}], 4400),
        ([{"type": "hello", "v": 1, "extra": True}], 4400),
        (["HELLO", {"type": "nonsense"}], 4400),
        (["HELLO", {"type": "hello", "v": 1}], 4400),
        (["HELLO", {"type": "admit", "participant": "someone"}], 4403),
        (["HELLO", {"type": "chat", "text": "in the lobby"}], 4403),
        (["HELLO", {"type": "signal", "to": "x"}], 4400),
        (["HELLO", {"type": "chat", "text": "x" * 2001}], 4400),
        (["HELLO", {"type": "device-check", "passed": "yes"}], 4400),
        (["HELLO", b"binary"], 4400),
        # What a page might try to make Janus do: nothing but the protocol's own messages passes.
        (["HELLO", {"type": "janus", "janus": "message", "body": {"request": "list"}}], 4400),
        (["HELLO", {"type": "sfu-publish", "description": OFFER, "room": "other"}], 4400),
        (["HELLO", {"type": "sfu-publish", "description": OFFER | {"type": "answer"}}], 4400),
        (["HELLO", {"type": "sfu-subscribed", "description": OFFER}], 4400),
        (["HELLO", {"type": "sfu-candidate", "target": "admin", "candidate": None}], 4400),
        (["HELLO", {"type": "sfu-receive", "feed": "x", "layer": "ultra"}], 4400),
        (["HELLO", {"type": "sfu-publish", "description": OFFER}], 4403),  # from the lobby
        (["HELLO", "x" * (64 * 1024 + 1)], 1009),
    ],
)
async def test_bad_messages_close_only_the_sender(
    meeting: VideoMeeting,
    host_session: aiohttp.ClientSession,
    anonymous: aiohttp.ClientSession,
    frames: list[Any],
    code: int,
) -> None:
    host = await join_as_host(host_session, meeting)
    socket = await anonymous.ws_connect(meeting.ws_path)
    for frame in frames:
        if frame == "HELLO":
            await socket.send_json(meeting.client_hello)
            await expect(socket, "welcome")
        elif isinstance(frame, bytes):
            await socket.send_bytes(frame)
        elif isinstance(frame, str):
            await socket.send_str(frame)
        else:
            await socket.send_json(frame)
    assert (await closed_with(socket))[0] == code
    await host.send_json({"type": "ping"})
    assert await expect(host, "pong") == {"type": "pong"}


async def test_a_flood_is_cut_off_and_the_meeting_goes_on(
    meeting: VideoMeeting, host_session: aiohttp.ClientSession, anonymous: aiohttp.ClientSession
) -> None:
    host = await join_as_host(host_session, meeting)
    socket, _ = await join_as_client(anonymous, meeting)
    for _ in range(200):
        await socket.send_str('{"type":"ping"}')
    assert (await closed_with(socket))[0] == 4429
    await host.send_json({"type": "ping"})
    assert await expect(host, "pong") == {"type": "pong"}


async def test_no_hello_in_time_is_refused(
    meeting: VideoMeeting, anonymous: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("video.routes.HELLO_TIMEOUT_SECONDS", 0.2)
    socket = await anonymous.ws_connect(meeting.ws_path)
    assert await closed_with(socket) == (4401, "no hello within 10 s")


async def test_another_sites_page_cannot_open_the_socket(
    meeting: VideoMeeting, host_session: aiohttp.ClientSession
) -> None:
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await host_session.ws_connect(meeting.ws_path, origin="https://evil.example")
    assert refused.value.status == 403


async def test_heartbeats_notice_a_dead_connection(aiohttp_client: Any, database_url: str) -> None:
    app = create_app(make_settings(database_url, video_heartbeat_seconds="1"))
    client = await aiohttp_client(app)
    meeting = await make_video_meeting(client)
    async with aiohttp.ClientSession(
        base_url=str(client.make_url("")), cookie_jar=aiohttp.CookieJar(unsafe=True)
    ) as host_session:
        await host_session.post(
            "/api/v1/auth/login", json={"email": CASEWORKER_EMAIL, "password": PASSWORD}
        )
        host = await join_as_host(host_session, meeting)
        async with aiohttp.ClientSession(
            base_url=str(client.make_url("")), cookie_jar=aiohttp.CookieJar(unsafe=True)
        ) as silent:
            # This client never answers the server's pings, as a vanished phone would not.
            socket = await silent.ws_connect(meeting.ws_path, autoping=False)
            await socket.send_json(meeting.client_hello)
            welcome = await expect(socket, "welcome")
            await host.send_json({"type": "admit", "participant": welcome["you"]["id"]})
            away = await expect(host, "peer-away", within=5)
            assert away["id"] == welcome["you"]["id"]


async def test_guests_join_once_with_their_link(
    meeting: VideoMeeting, host_session: aiohttp.ClientSession, anonymous: aiohttp.ClientSession
) -> None:
    host = await join_as_host(host_session, meeting)
    created = await host_session.post(
        f"/api/v1/meetings/{meeting.id}/guests", json={"display_name": " Anna  Berg, tulkki "}
    )
    assert created.status == 201
    invitation = await created.json()
    assert invitation["display_name"] == "Anna Berg, tulkki"
    token = invitation["join_url"].rsplit("/", 1)[1]
    guest_hello = {"type": "hello", "v": 1, "credential": {"kind": "guest", "token": token}}

    guest = await anonymous.ws_connect(meeting.ws_path)
    await guest.send_json(guest_hello)
    welcome = await expect(guest, "welcome")
    assert (welcome["you"]["role"], welcome["state"]) == ("guest", "lobby")
    lobby = await expect(host, "lobby")
    while not lobby["waiting"]:  # the host's first lobby may predate the guest
        lobby = await expect(host, "lobby")
    assert [p["name"] for p in lobby["waiting"]] == ["Anna Berg, tulkki"]

    # The same link on another device is refused; the guest's own resume still works.
    copy = await anonymous.ws_connect(meeting.ws_path)
    await copy.send_json(guest_hello)
    assert (await closed_with(copy))[0] == 4401
    await guest.close()
    back = await anonymous.ws_connect(meeting.ws_path)
    await back.send_json(guest_hello | {"resume": welcome["resume"]})
    assert (await expect(back, "welcome"))["you"]["id"] == welcome["you"]["id"]

    for number in range(3):
        answer = await host_session.post(
            f"/api/v1/meetings/{meeting.id}/guests", json={"display_name": f"Guest {number}"}
        )
        assert answer.status == 201
    fifth = await host_session.post(
        f"/api/v1/meetings/{meeting.id}/guests", json={"display_name": "One too many"}
    )
    assert fifth.status == 409
    blank = await host_session.post(
        f"/api/v1/meetings/{meeting.id}/guests", json={"display_name": "   "}
    )
    assert blank.status == 422
    assert (await blank.json())["errors"][0]["field"] == "display_name"


async def test_turn_credentials_follow_coturns_rest_scheme_and_protection_relays(
    aiohttp_client: Any, database_url: str
) -> None:
    secret = "turn-shared-secret"
    settings = make_settings(
        database_url,
        turn_urls="stun:turn.example.fi:3478,turn:turn.example.fi:3478?transport=udp",
        turn_secret=secret,
    )
    client = await aiohttp_client(create_app(settings))
    meeting = await make_video_meeting(client, protected=True)
    async with aiohttp.ClientSession(
        base_url=str(client.make_url("")), cookie_jar=aiohttp.CookieJar(unsafe=True)
    ) as anonymous:
        _, welcome = await join_as_client(anonymous, meeting)
    stun, turn = welcome["ice"]["iceServers"]
    assert stun == {"urls": ["stun:turn.example.fi:3478"]}
    assert turn["urls"] == ["turn:turn.example.fi:3478?transport=udp"]
    expiry, participant = turn["username"].split(":")
    assert participant == welcome["you"]["id"]
    closes = meeting.ends_at + timedelta(minutes=30)
    assert int(expiry) == int((closes + timedelta(hours=1)).timestamp())
    digest = hmac.new(secret.encode(), turn["username"].encode(), hashlib.sha1).digest()
    assert turn["credential"] == base64.b64encode(digest).decode()
    assert welcome["ice"]["iceTransportPolicy"] == "relay"


async def test_a_stopping_server_tells_everyone_to_reconnect_elsewhere(
    client: TestClient[Any, Any],
    meeting: VideoMeeting,
    host_session: aiohttp.ClientSession,
    anonymous: aiohttp.ClientSession,
) -> None:
    host = await join_as_host(host_session, meeting)
    waiting, _ = await join_as_client(anonymous, meeting)
    await client.server.close()
    assert await closed_with(host) == (4503, "restarting")
    assert await closed_with(waiting) == (4503, "restarting")


async def test_a_waiting_client_who_drops_keeps_their_place_in_the_lobby(
    meeting: VideoMeeting, host_session: aiohttp.ClientSession, anonymous: aiohttp.ClientSession
) -> None:
    host = await join_as_host(host_session, meeting)
    first, welcome = await join_as_client(anonymous, meeting)
    await first.send_json({"type": "device-check", "passed": True, "rtt_ms": 30, "loss": 0.01})
    lobby = await expect(host, "lobby")
    while not lobby["waiting"] or lobby["waiting"][0]["device_check"] is None:
        lobby = await expect(host, "lobby")
    await first.close()
    lobby = await expect(host, "lobby")
    assert lobby["waiting"] == []  # off the list while away

    again, back = await join_as_client(anonymous, meeting, resume=welcome["resume"])
    assert (back["state"], back["you"]["id"]) == ("lobby", welcome["you"]["id"])
    lobby = await expect(host, "lobby")
    assert [(p["id"], p["device_check"]["passed"]) for p in lobby["waiting"]] == [
        (welcome["you"]["id"], True)
    ]
    # A signal to someone not in the room says which peer it was about.
    await host.send_json({"type": "signal", "to": "nobody", "candidate": None})
    assert await expect(host, "error") == {
        "type": "error",
        "code": "peer-gone",
        "detail": "peer not connected",
        "peer": "nobody",
    }
    await again.close()
