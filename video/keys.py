"""The video package's app keys, shared by its routes and pages and the packages above it."""

from __future__ import annotations

from aiohttp import web

from core.app_keys import settings_key
from video.cluster import Rooms
from video.echo import ConnectionTests
from video.live_state import LiveAssessments, LivePlans
from video.rooms import RoomRegistry
from video.service import MeetingService

meeting_service_key = web.AppKey("meeting_service", MeetingService)
room_registry_key = web.AppKey("room_registry", RoomRegistry)
# Where connections are seated: this process's registry, or the rooms shared through Redis.
rooms_key = web.AppKey("rooms", Rooms)
connection_tests_key = web.AppKey("connection_tests", ConnectionTests)
# Set by the assessments package when it starts (after this one): what the host can push.
live_assessments_key = web.AppKey("live_assessments", LiveAssessments)
# Set by the plans package when it starts: the wellbeing plan the host opens in the room.
live_plans_key = web.AppKey("live_plans", LivePlans)


def guest_join_url(request: web.Request, token: str) -> str:
    return f"{request.app[settings_key].base_url}/meetings/guest/{token}"
