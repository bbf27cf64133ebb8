"""A concern report as a school would send it, and files to attach."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from core.settings import Settings
from reports.keys import report_service_key
from reports.service import ConcernReportService
from tests.conftest import make_settings

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
PDF = b"%PDF-1.7\n% Oppilaan piirustus\n"
SECRET_TEXT = "Eino kertoi, että isä lyö häntä vyöllä"
IDENTITY_NUMBER = "010516B903X"


def report_payload(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "submission_id": uuid.uuid4().hex,
        "reporter_kind": "professional",
        "language": "fi",
        "reporter": {
            "name": "Opettaja Olli",
            "role": "luokanopettaja",
            "organisation": "Kallion koulu",
            "phone": "040 123 4567",
            "email": "olli.opettaja@koulu.example.fi",
        },
        "child": {"name": "Eino Esimerkki", "identity_number": IDENTITY_NUMBER},
        "guardians": [{"name": "Erkki Esimerkki", "phone": "050 765 4321"}],
        "informed": {"guardians_told": False, "child_told": True, "why_not": "väkivalta"},
        "child_whereabouts": "koulussa",
        "concern": {"categories": ["violence"], "description": SECRET_TEXT},
    }
    payload.update(overrides)
    return payload


def service_of(app: web.Application) -> ConcernReportService:
    return app[report_service_key]


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(database_url, file_store=str(tmp_path / "files"))


@pytest.fixture
def service(client: TestClient[Any, Any]) -> ConcernReportService:
    return service_of(client.app)
