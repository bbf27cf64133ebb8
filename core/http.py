"""The middlewares every request passes, and the few routes that belong to no domain.

Order (outermost first): request context (id, language, access log, metrics), errors (domain
errors to problem+json or a translated page), then the accounts session and CSRF checks.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import secrets
import time
import uuid
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, urlsplit

from aiohttp import web
from aiohttp.typedefs import Handler
from sqlalchemy import text

from core.api import ERROR_TITLES, FieldError, Problem, problem_response
from core.app_keys import engine_key, health_checks_key, metrics_key, settings_key
from core.errors import DomainError, Forbidden, NotFound, TryLater, ValidationFailed
from core.i18n import LANGUAGE_COOKIE, N_, SUPPORTED_LANGUAGES, negotiate_language
from core.request_keys import csrf_token_key, language_key, request_id_key
from core.templating import render, translate

access_log = logging.getLogger("kohtaamo.access")
error_log = logging.getLogger("kohtaamo.error")

CSRF_COOKIE = "kohtaamo_csrf"
CSRF_FIELD = "csrf_token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ONE_YEAR = 365 * 24 * 3600


def content_security_policy(form_targets: Iterable[str] = ()) -> str:
    """The policy of every page; ``form_targets`` are other origins a form on the page may lead
    to (a form's redirect counts: the identification pages send the browser to a provider)."""
    form_action = " ".join(("'self'", *form_targets))
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "media-src 'self' blob:",
            "connect-src 'self'",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            f"form-action {form_action}",
            "frame-ancestors 'none'",
        )
    )


CONTENT_SECURITY_POLICY = content_security_policy()

HTML_ERROR_MESSAGES = {
    400: N_("The request could not be understood."),
    401: N_("Please log in first."),
    403: N_("You do not have permission to do this."),
    404: N_("The page or item was not found."),
    405: N_("This address does not accept that kind of request."),
    409: N_("This conflicts with the current state."),
    413: N_("What you sent is too large."),
    415: N_("This kind of content is not accepted here."),
    422: N_("Some of the information given is not valid."),
    429: N_("Too many attempts. Please wait before trying again."),
}


def is_api(request: web.Request) -> bool:
    return request.path.startswith("/api/")


def client_address(request: web.Request) -> str:
    """The client's address: the connection's peer, or, when that peer is a trusted proxy
    (KOHTAAMO_TRUSTED_PROXIES), the nearest X-Forwarded-For hop that is not one."""
    peer = request.remote or "unknown"
    trusted = request.app[settings_key].trusted_proxies
    if peer not in trusted:
        return peer
    hops = [hop.strip() for hop in request.headers.get("X-Forwarded-For", "").split(",")]
    for hop in reversed(hops):
        if hop and hop not in trusted:
            return hop
    return peer


@web.middleware
async def request_context_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    started = time.perf_counter()
    request[request_id_key] = uuid.uuid4().hex
    settings = request.app[settings_key]
    request[language_key] = negotiate_language(
        request.cookies.get(LANGUAGE_COOKIE),
        request.headers.get("Accept-Language"),
        settings.default_language,
    )
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exception:
        status = exception.status
        raise
    finally:
        elapsed = time.perf_counter() - started
        route = _route_name(request)
        request.app[metrics_key].observe(route, request.method, status, elapsed)
        # Never the query string, the client's address or anything typed: only what identifies
        # the kind of request.
        access_log.info(
            "request",
            extra={
                "request_id": request[request_id_key],
                "method": request.method,
                "route": route,
                "status": status,
                "duration_ms": round(elapsed * 1000, 2),
            },
        )


def _route_name(request: web.Request) -> str:
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        if "\x00" in request.path:
            # A NUL in an id can match no record (and PostgreSQL refuses it in text).
            raise NotFound()
        return await handler(request)
    except web.HTTPException as exception:
        if exception.status < 400:
            raise
        headers = {"Allow": exception.headers["Allow"]} if "Allow" in exception.headers else {}
        return error_answer(request, exception.status, headers=headers)
    except TryLater as error:
        headers = {"Retry-After": str(error.retry_after_seconds)}
        return error_answer(request, error.status, detail=error.detail, headers=headers)
    except ValidationFailed as error:
        return error_answer(request, error.status, detail=error.detail, fields=error.fields)
    except DomainError as error:
        return error_answer(
            request, error.status, detail=error.detail, extensions=error.problem_extensions()
        )
    except asyncio.CancelledError:
        raise
    except Exception:
        error_log.exception("unhandled error", extra={"request_id": request.get(request_id_key)})
        return error_answer(request, 500)


def error_answer(
    request: web.Request,
    status: int,
    *,
    detail: str | None = None,
    fields: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    extensions: dict[str, object] | None = None,
) -> web.Response:
    request_id = request.get(request_id_key)
    message = detail or HTML_ERROR_MESSAGES.get(status, N_("Something went wrong on our side."))
    if is_api(request):
        problem = Problem(
            type=f"urn:kohtaamo:problem:{status}",
            title=ERROR_TITLES.get(status, "Internal server error"),
            status=status,
            detail=translate(request, message),
            instance=request.path,
            request_id=request_id,
            errors=[
                FieldError(field=name, message=translate(request, text))
                for name, text in (fields or {}).items()
            ],
            **(extensions or {}),
        )
        return problem_response(problem, headers=headers)
    response = render(
        request,
        "error.html",
        {"status": status, "message": message, "show_request_id": status >= 500},
        status=status,
    )
    response.headers.update(headers or {})
    return response


class CsrfFailed(Forbidden):
    title = N_("This form has expired. Go back, reload the page and try again.")


def csrf_token_for(secret_key: str, cookie_value: str) -> str:
    return hmac.new(
        secret_key.encode(), b"csrf:" + cookie_value.encode(), hashlib.sha256
    ).hexdigest()


@web.middleware
async def csrf_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Forms carry a token bound to a per-browser cookie; the API accepts only same-origin writes.

    JSON writes need no token: a cross-site page cannot send application/json without a CORS
    preflight (which we never grant) and the session cookie is SameSite=Lax. A mismatching
    Origin header is refused all the same.
    """
    settings = request.app[settings_key]
    cookie = request.cookies.get(CSRF_COOKIE, "")
    new_cookie = ""
    if len(cookie) < 32:
        cookie = new_cookie = secrets.token_urlsafe(32)
    request[csrf_token_key] = csrf_token_for(settings.secret_key, cookie)
    if request.method in UNSAFE_METHODS:
        _check_origin(request, settings.base_url)
        if not is_api(request):
            await _check_form_token(request)
    response = await handler(request)
    if new_cookie and not response.prepared:
        response.set_cookie(
            CSRF_COOKIE,
            new_cookie,
            httponly=True,
            samesite="Lax",
            secure=settings.secure_cookies,
            path="/",
        )
    return response


def _check_origin(request: web.Request, base_url: str) -> None:
    origin = request.headers.get("Origin")
    # With Referrer-Policy no-referrer browsers send "Origin: null" even for same-origin writes.
    if origin is None or origin == "null":
        return
    allowed = {base_url, f"{request.scheme}://{request.host}"}
    if origin not in allowed:
        raise CsrfFailed()


async def _check_form_token(request: web.Request) -> None:
    if request.content_type not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        raise CsrfFailed()
    form = await request.post()
    submitted = form.get(CSRF_FIELD)
    if not isinstance(submitted, str) or not hmac.compare_digest(
        submitted, request[csrf_token_key]
    ):
        raise CsrfFailed()
    # No form field may hold NUL: PostgreSQL refuses it in text, and no person types it.
    if any(isinstance(value, str) and "\x00" in value for value in form.values()):
        raise web.HTTPBadRequest()


async def add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    settings = request.app[settings_key]
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "no-referrer"
    headers["X-Frame-Options"] = "DENY"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    # The video room sets its own, allowing the camera and microphone there only.
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
    if settings.secure_cookies:
        headers["Strict-Transport-Security"] = f"max-age={ONE_YEAR}; includeSubDomains"
    if request.path.startswith("/static/"):
        headers.setdefault("Cache-Control", "public, max-age=3600")
    else:
        # Pages may hold personal data: never keep them in a shared or back-button cache.
        headers.setdefault("Cache-Control", "no-store")
    if request_id := request.get(request_id_key):
        headers["X-Request-ID"] = request_id


# ---- routes that belong to no domain -------------------------------------------------------

routes = web.RouteTableDef()


@routes.get("/language", name="language")
async def choose_language(request: web.Request) -> web.StreamResponse:
    """Remember the chosen language in a cookie and go back where the reader was."""
    language = request.query.get("lang", "")
    next_path = local_path(request.query.get("next"), "/")
    response = web.HTTPSeeOther(next_path)
    if language in SUPPORTED_LANGUAGES:
        response.set_cookie(
            LANGUAGE_COOKIE,
            language,
            max_age=ONE_YEAR,
            samesite="Lax",
            secure=request.app[settings_key].secure_cookies,
            path="/",
        )
    raise response


@routes.get("/healthz", name="healthz")
async def healthz(request: web.Request) -> web.Response:
    try:
        async with request.app[engine_key].connect() as connection:
            await asyncio.wait_for(connection.execute(text("SELECT 1")), timeout=5)
    except Exception:
        error_log.exception("health check failed")
        return web.json_response({"status": "unavailable", "database": "unreachable"}, status=503)
    report: dict[str, Any] = {"status": "ok", "database": "ok"}
    healthy = True
    for check in request.app.get(health_checks_key, []):
        try:
            part = await asyncio.wait_for(check(request.app), timeout=5)
        except Exception:
            error_log.exception("health check failed")
            part = {"healthy": False}
        healthy = part.pop("healthy", True) and healthy
        report.update(part)
    if not healthy:
        report["status"] = "unavailable"
        return web.json_response(report, status=503)
    return web.json_response(report)


@routes.get("/metrics", name="metrics")
async def metrics(request: web.Request) -> web.Response:
    body = request.app[metrics_key].exposition()
    return web.Response(
        body=body, headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"}
    )


CALENDAR_CONTENT_TYPE = "text/calendar"


def ics_response(body: bytes, filename: str) -> web.Response:
    return web.Response(
        body=body,
        headers={
            "Content-Type": f"{CALENDAR_CONTENT_TYPE}; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{filename}"',
        },
    )


def attachment_response(data: bytes, media_type: str, filename: str) -> web.Response:
    """A file someone uploaded, as a download, never shown inline; its name is encoded
    (RFC 5987), so no name can break or add to the header."""
    return web.Response(
        body=data,
        content_type=media_type,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename, safe='')}",
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


def json_download(document: Any, filename: str) -> web.Response:
    """A JSON document as a file to save (an export with personal data: never cached)."""
    return web.Response(
        text=json.dumps(document, ensure_ascii=False, indent=2),
        content_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


def local_path(value: str | None, fallback: str) -> str:
    """``value`` if it is a path on this site, else ``fallback``: a ``next`` parameter never
    redirects elsewhere ("//evil", "https://…", "/\\evil")."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value[:400]
    return fallback


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
