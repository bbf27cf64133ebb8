"""The room pages and the caseworker's meeting page, as their users see them (no JavaScript)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import aiohttp
from aiohttp.test_utils import TestClient

from tests.accounts.test_login import csrf_token
from tests.conftest import log_in
from tests.video.conftest import CASEWORKER_EMAIL, VideoMeeting, make_video_meeting


def use_language(client: TestClient[Any, Any], language: str) -> None:
    client.session.cookie_jar.update_cookies({"kohtaamo_lang": language})


async def settings_page(client: TestClient[Any, Any], meeting: VideoMeeting) -> tuple[str, str]:
    page = await client.get(f"/caseworker/bookings/{meeting.id}/meeting/settings")
    assert page.status == 200
    text = await page.text()
    return text, csrf_token(text)


async def post(
    client: TestClient[Any, Any], meeting: VideoMeeting, action: str, data: dict[str, str]
) -> aiohttp.ClientResponse:
    _, token = await settings_page(client, meeting)
    return await client.post(
        f"/caseworker/bookings/{meeting.id}/meeting/{action}", data={"csrf_token": token, **data}
    )


async def test_the_client_link_opens_the_room_only_in_its_window(
    client: TestClient[Any, Any],
) -> None:
    meeting = await make_video_meeting(client)
    room = await client.get(f"/manage/{meeting.manage_token}/join")
    assert room.status == 200
    text = await room.text()
    assert 'id="video-room"' in text
    assert f'data-ws-path="/api/v1/meetings/{meeting.id}/ws"' in text
    # Only the room page may use the camera and microphone.
    assert "camera=(self)" in room.headers["Permissions-Policy"]
    manage = await client.get(f"/manage/{meeting.manage_token}")
    assert "camera=()" in manage.headers["Permissions-Policy"]

    use_language(client, "sv")
    cancelled = await client.post(
        f"/api/v1/bookings/{meeting.id}/cancel",
        json={},
        headers={"Authorization": f"Bearer {meeting.manage_token}"},
    )
    assert cancelled.status == 200, await cancelled.text()
    closed = await (await client.get(f"/manage/{meeting.manage_token}/join")).text()
    assert "Det här videomötet har avbokats" in closed
    assert 'id="video-room"' not in closed

    unknown = await client.get(f"/manage/{'x' * 43}/join")
    assert unknown.status == 404


async def test_the_caseworker_opens_the_room_from_the_booking_page(
    client: TestClient[Any, Any],
) -> None:
    meeting = await make_video_meeting(client)
    path = f"/caseworker/bookings/{meeting.id}/meeting"
    visitor = await client.get(path, allow_redirects=False)
    assert visitor.status == 303
    assert visitor.headers["Location"].startswith("/login")

    await log_in(client, "johan@example.com")
    assert (await client.get(path)).status == 404  # another caseworker's booking
    await client.post("/api/v1/auth/logout")

    await log_in(client, CASEWORKER_EMAIL)
    use_language(client, "en")
    booking_page = await (await client.get(f"/caseworker/bookings/{meeting.id}")).text()
    assert "Open the meeting room" in booking_page
    assert "Waiting in the lobby" not in booking_page

    async with aiohttp.ClientSession(base_url=str(client.make_url(""))) as anonymous:
        socket = await anonymous.ws_connect(meeting.ws_path)
        await socket.send_json(meeting.client_hello)
        await socket.receive_json(timeout=5)
        booking_page = await (await client.get(f"/caseworker/bookings/{meeting.id}")).text()
        assert re.search(r"Waiting in the lobby:</strong>\s*Liisa Asiakas", booking_page)
        await socket.close()

    room = await client.get(path)
    text = await room.text()
    assert 'data-role="host"' in text
    assert 'data-credential-token=""' in text


async def test_the_caseworker_invites_a_guest_and_protects_the_client(
    client: TestClient[Any, Any],
) -> None:
    meeting = await make_video_meeting(client)
    await log_in(client, CASEWORKER_EMAIL)
    use_language(client, "en")

    blank = await post(client, meeting, "guests", {"display_name": "  "})
    assert blank.status == 422
    blank_text = await blank.text()
    assert "Enter the participant's name." in blank_text
    too_long = await post(client, meeting, "guests", {"display_name": "A" * 81})
    assert too_long.status == 422
    assert 'value="' + "A" * 81 + '"' in await too_long.text()  # what was typed is kept

    invited = await post(client, meeting, "guests", {"display_name": "Anna Berg, interpreter"})
    assert invited.status == 200
    text = await invited.text()
    assert "Send this link to Anna Berg, interpreter. It is shown only now." in text
    [link] = re.findall(r"http://127\.0\.0\.1:8080/meetings/guest/[A-Za-z0-9_-]+", text)
    token = link.rsplit("/", 1)[1]
    guest_page = await client.get(f"/meetings/guest/{token}")
    assert guest_page.status == 200
    assert 'data-role="guest"' in await guest_page.text()
    # The link is never shown again.
    again, _ = await settings_page(client, meeting)
    assert token not in again
    assert "Not used yet" in again

    [guest_id] = re.findall(r"/meeting/guests/([0-9a-f-]{36})/revoke", again)
    revoked = await post(client, meeting, f"guests/{guest_id}/revoke", {})
    assert "The invitation was withdrawn." in await revoked.text()
    assert (await client.get(f"/meetings/guest/{token}")).status == 404

    protected = await post(client, meeting, "protection", {"protected": "yes"})
    text = await protected.text()
    assert "The client is now protected: the meeting uses the relay only." in text
    assert "No relay server is configured" in text
    details = await (await client.get(f"/api/v1/meetings/{meeting.id}")).json()
    assert (details["protected"], details["relay_only"]) == (True, True)
    async with aiohttp.ClientSession(base_url=str(client.make_url(""))) as anonymous:
        socket = await anonymous.ws_connect(meeting.ws_path)
        await socket.send_json(meeting.client_hello)
        welcome = await socket.receive_json(timeout=5)
        assert welcome["ice"]["iceTransportPolicy"] == "relay"
        await socket.close()


async def test_the_not_open_page_says_when_in_the_clients_language(
    client: TestClient[Any, Any],
) -> None:
    meeting = await make_video_meeting(client, starts_in=timedelta(hours=3))
    use_language(client, "fi")
    text = await (await client.get(f"/manage/{meeting.manage_token}/join")).text()
    assert "Videohuone ei ole vielä auki" in text
    opens = meeting.starts_at - timedelta(minutes=15)
    local = opens.astimezone(meeting.world.tomorrow_at(10).tzinfo)
    assert f"{local.hour}.{local.minute:02d}" in text
