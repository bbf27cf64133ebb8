"""Jinja2 pages in the reader's language, with the context every page's layout needs."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp_jinja2
import jinja2
from aiohttp import web
from babel.support import Translations
from markupsafe import Markup

from core.app_keys import catalogs_key, identification_on_key, settings_key
from core.i18n import LANGUAGE_NAMES, SUPPORTED_LANGUAGES, format_local_datetime
from core.request_keys import csrf_token_key, language_key, request_id_key, viewer_key

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "web" / "templates"
STATIC_DIR = TEMPLATES_DIR.parent / "static"


def setup_templates(app: web.Application) -> None:
    environment = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=jinja2.select_autoescape(("html", "xml")),
        extensions=["jinja2.ext.i18n"],
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        default_helpers=True,
    )
    environment.policies["ext.i18n.trimmed"] = True
    environment.globals["static"] = static_url


@functools.cache
def static_url(path: str) -> str:
    """The address of a static file with a hash of its content, so a proxy may cache it for a
    year (deploy/nginx): a changed file gets a new address."""
    digest = hashlib.sha256((STATIC_DIR / path).read_bytes()).hexdigest()[:12]
    return f"/static/{path}?v={digest}"


def translations_for(request: web.Request) -> Translations:
    return request.app[catalogs_key][request.get(language_key, "fi")]


def translate(request: web.Request, message: str, **variables: Any) -> str:
    text = translations_for(request).gettext(message)
    return text % variables if variables else text


def _newstyle_gettext(translations: Translations) -> Callable[..., str]:
    # The shape jinja2.ext.i18n expects with newstyle gettext: autoescape-safe, %(name)s variables.
    @jinja2.pass_context
    def gettext(context: jinja2.runtime.Context, message: str, **variables: Any) -> str:
        text = translations.gettext(message)
        if context.eval_ctx.autoescape:
            text = Markup(text)  # noqa: S704  (our own catalog; Markup escapes the variables)
        return text % variables if variables else text

    return gettext


def _newstyle_ngettext(translations: Translations) -> Callable[..., str]:
    @jinja2.pass_context
    def ngettext(
        context: jinja2.runtime.Context, singular: str, plural: str, count: int, **variables: Any
    ) -> str:
        variables.setdefault("num", count)
        text = translations.ngettext(singular, plural, count)
        if context.eval_ctx.autoescape:
            text = Markup(text)  # noqa: S704  (our own catalog; Markup escapes the variables)
        return text % variables

    return ngettext


def page_context(request: web.Request) -> dict[str, Any]:
    """What the base layout reads: language, viewer, CSRF token, language links."""
    settings = request.app[settings_key]
    language = request.get(language_key, settings.default_language)
    translations = request.app[catalogs_key][language]
    here = request.path_qs
    zone = settings.zone

    def local_time(moment: datetime) -> str:
        return format_local_datetime(moment, zone, language)

    return {
        "lang": language,
        "gettext": _newstyle_gettext(translations),
        "ngettext": _newstyle_ngettext(translations),
        "viewer": request.get(viewer_key),
        "csrf_token": request.get(csrf_token_key, ""),
        "request_id": request.get(request_id_key, ""),
        "exit_url": settings.exit_url,
        "current_path": request.path,
        "identification_on": request.app.get(identification_on_key, False),
        "local_time": local_time,
        "language_links": [
            {
                "code": code,
                "name": LANGUAGE_NAMES[code],
                "href": f"/language?lang={code}&next={quote(here, safe='')}",
                "current": code == language,
            }
            for code in SUPPORTED_LANGUAGES
        ],
    }


def render(
    request: web.Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status: int = 200,
) -> web.Response:
    full_context = page_context(request)
    if context:
        full_context.update(context)
    response = aiohttp_jinja2.render_template(template, request, full_context, status=status)
    response.headers["Content-Language"] = full_context["lang"]
    return response
