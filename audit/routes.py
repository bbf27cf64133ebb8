"""The admin's access-log pages: search who read which client's data, and export it.

Registered by ``setup(app)`` (server.create_app). The export answers a client's request under the
Finnish client data act (who has seen my data, when and why) or an audit of one staff member.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from aiohttp import web

from accounts.keys import (
    account_service_key,
    second_factor_listener_key,
    staff_page,
    unit_settings_listener_key,
)
from audit.keys import access_log_retention_key, audit_log_key
from audit.retention import AccessLogRetention
from audit.service import (
    AccessQuery,
    AccessRecord,
    AuditLog,
    SecondFactorAudit,
    UnitSettingsAudit,
)
from core.app_keys import sessions_key, settings_key
from core.i18n import N_
from core.principal import Role
from core.templating import render

pages = web.RouteTableDef()

FILTERS = ("user_id", "subject_type", "subject_id", "from", "to")
BAD_DATE = N_("Enter a real date, for example 2026-03-27.")
EXPORT_COLUMNS = (
    "at",
    "user_id",
    "user_name",
    "actor_kind",
    "action",
    "subject_type",
    "subject_id",
    "purpose",
)


async def audit_context(app: web.Application) -> AsyncIterator[None]:
    app[audit_log_key] = AuditLog(app[sessions_key])
    app[access_log_retention_key] = AccessLogRetention(
        app[sessions_key], app[settings_key].access_log_retention_days
    )
    yield


def _query(request: web.Request, params: Mapping[str, str]) -> tuple[AccessQuery, dict[str, str]]:
    """The search as typed, and an error per field that could not be read."""
    zone = request.app[settings_key].zone
    errors: dict[str, str] = {}

    def day(name: str, shift: int) -> datetime | None:
        raw = params.get(name, "").strip()
        if not raw:
            return None
        try:
            value = date.fromisoformat(raw)
        except ValueError:
            errors[name] = BAD_DATE
            return None
        # Whole local days: "to" includes its own day.
        return datetime.combine(value + timedelta(days=shift), time(), zone).astimezone(UTC)

    query = AccessQuery(
        user_id=params.get("user_id", "").strip()[:64] or None,
        subject_type=params.get("subject_type", "").strip()[:40] or None,
        subject_id=params.get("subject_id", "").strip()[:64] or None,
        since=day("from", 0),
        until=day("to", 1),
    )
    return query, errors


@pages.get("/admin/access-log", name="admin_access_log")
async def access_log(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.ADMIN)
    values = {name: request.query.get(name, "") for name in FILTERS}
    query, errors = _query(request, request.query)
    searched = any(values.values())
    records: list[AccessRecord] = []
    if searched and not errors:
        records = await request.app[audit_log_key].search(viewer, query)
    users = await request.app[account_service_key].list_users(viewer)
    names = {user.id: user.name for user in users}
    context: dict[str, Any] = {
        "values": values,
        "errors": errors,
        "users": users,
        "names": names,
        "records": records,
        "searched": searched,
        "export_query": "&".join(f"{k}={v}" for k, v in values.items() if v),
    }
    return render(request, "audit/access_log.html", context, status=422 if errors else 200)


@pages.get("/admin/access-log/export.{format:csv|json}", name="admin_access_log_export")
async def access_log_export(request: web.Request) -> web.Response:
    viewer = staff_page(request, Role.ADMIN)
    query, errors = _query(request, request.query)
    if errors:
        raise web.HTTPUnprocessableEntity()
    records = await request.app[audit_log_key].search(viewer, query)
    users = await request.app[account_service_key].list_users(viewer)
    names = {user.id: user.name for user in users}
    rows = [
        {
            "at": record.at.isoformat(),
            "user_id": record.user_id or "",
            "user_name": names.get(record.user_id or "", ""),
            "actor_kind": record.actor_kind,
            "action": record.action,
            "subject_type": record.subject_type,
            "subject_id": record.subject_id,
            "purpose": record.purpose,
        }
        for record in records
    ]
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%MZ")
    if request.match_info["format"] == "json":
        body = json.dumps(rows, ensure_ascii=False, indent=2)
        content_type = "application/json"
    else:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=EXPORT_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
        body = buffer.getvalue()
        content_type = "text/csv"
    return web.Response(
        text=body,
        content_type=content_type,
        charset="utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="access-log-{stamp}.{request.match_info["format"]}"'
        },
    )


def setup(app: web.Application) -> None:
    # Set here, not in the context: the accounts context reads it when the app starts.
    app[second_factor_listener_key] = SecondFactorAudit()
    app[unit_settings_listener_key] = UnitSettingsAudit()
    app.cleanup_ctx.append(audit_context)
    app.router.add_routes(pages)
