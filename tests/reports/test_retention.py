"""The leader's scheduled job deletes concern reports that led to nothing after retention."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiohttp.test_utils import TestClient
from sqlalchemy import select, update

from core.app_keys import sessions_key, settings_key
from core.db import utcnow
from notifications.keys import leader_jobs_key
from reports.models import INVESTIGATION_NOT_OPENED, ConcernReport
from reports.schemas import ConcernReportIn
from reports.service import ConcernReportService
from tests.reports.conftest import report_payload


async def test_the_leaders_retention_job_deletes_expired_reports(
    client: TestClient[Any, Any], service: ConcernReportService
) -> None:
    settings = client.app[settings_key]
    submitted = await service.submit(ConcernReportIn.model_validate(report_payload()))
    long_ago = utcnow() - timedelta(days=settings.report_retention_days + 1)
    async with client.app[sessions_key].begin() as session:
        await session.execute(
            update(ConcernReport)
            .where(ConcernReport.reference == submitted.reference)
            .values(status=INVESTIGATION_NOT_OPENED, decided_at=long_ago)
        )

    await client.app[leader_jobs_key].run("concern-report-retention")

    async with client.app[sessions_key]() as session:
        assert (await session.scalars(select(ConcernReport.reference))).all() == []
