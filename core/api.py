"""JSON API plumbing: typed request parsing and the OpenAPI document built from the same models.

A handler is declared once with ``ApiRoutes``: its path, its request and response models and
the error statuses it can give. That declaration registers the aiohttp route and describes the
operation in ``/api/v1/openapi.json``, so the document cannot drift from what is validated.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ConfigDict, ValidationError

from core.errors import DomainError, ValidationFailed
from core.i18n import N_

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
ModelT = TypeVar("ModelT", bound=BaseModel)

PROBLEM_CONTENT_TYPE = "application/problem+json"
ERROR_TITLES = {
    400: "Bad request",
    401: "Not logged in",
    403: "Forbidden",
    404: "Not found",
    409: "Conflict",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Validation failed",
    429: "Too many requests",
    503: "Service unavailable",
}


NUL_MESSAGE = N_("This value contains a character that is not allowed.")


class FieldError(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details, with field errors for validation failures.

    Extension members are allowed (e.g. ``alternatives`` when a booked time was just taken).
    """

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    request_id: str | None = None
    errors: list[FieldError] = []


@dataclasses.dataclass(frozen=True, slots=True)
class Operation:
    method: str
    path: str
    name: str
    summary: str
    tags: tuple[str, ...]
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    response: type[BaseModel] | None
    status: int
    errors: tuple[int, ...]
    auth: tuple[str, ...]


class ApiRoutes:
    """A domain's JSON routes and their OpenAPI description."""

    def __init__(self, tag: str) -> None:
        self.tag = tag
        self.table = web.RouteTableDef()
        self.operations: list[Operation] = []

    def route(
        self,
        method: str,
        path: str,
        *,
        summary: str,
        body: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None,
        response: type[BaseModel] | None = None,
        status: int = 200,
        errors: Iterable[int] = (),
        auth: Iterable[str] = (),
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            statuses = set(errors)
            if body is not None:
                statuses |= {400, 413, 415, 422}
            if query is not None or "{" in path:
                statuses.add(422 if query is not None else 404)
            auth_schemes = tuple(auth)
            if auth_schemes:
                statuses |= {401}
            self.operations.append(
                Operation(
                    method=method.upper(),
                    path=path,
                    name=handler.__name__,
                    summary=summary,
                    tags=(self.tag,),
                    body=body,
                    query=query,
                    response=response,
                    status=status,
                    errors=tuple(sorted(statuses)),
                    auth=auth_schemes,
                )
            )
            self.table.route(method.upper(), path, name=handler.__name__)(handler)
            return handler

        return register

    def get(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        return self.route("GET", path, **options)

    def post(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        return self.route("POST", path, **options)

    def put(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        return self.route("PUT", path, **options)

    def patch(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        return self.route("PATCH", path, **options)

    def delete(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        return self.route("DELETE", path, **options)


async def parse_body(request: web.Request, model: type[ModelT]) -> ModelT:
    """The JSON body as ``model``, or a ValidationFailed naming each bad field."""
    if request.content_type != "application/json":
        raise UnsupportedMediaType()
    raw = await request.read()
    try:
        parsed = model.model_validate_json(raw or b"null")
    except ValidationError as error:
        if any(item["type"] == "json_invalid" for item in error.errors()):
            raise MalformedJson() from None
        raise ValidationFailed(_field_errors(error)) from None
    # JSON may carry \u0000, which PostgreSQL cannot store in text: refuse it as bad input.
    if b"\\u0000" in raw:
        raise ValidationFailed({"body": NUL_MESSAGE})
    return parsed


def parse_query(request: web.Request, model: type[ModelT]) -> ModelT:
    nul = [key for key, value in request.query.items() if "\x00" in key or "\x00" in value]
    if nul:
        raise ValidationFailed({key.replace("\x00", "") or "query": NUL_MESSAGE for key in nul})
    try:
        return model.model_validate(dict(request.query))
    except ValidationError as error:
        raise ValidationFailed(_field_errors(error)) from None


def _field_errors(error: ValidationError) -> dict[str, str]:
    fields: dict[str, str] = {}
    for item in error.errors():
        name = ".".join(str(part) for part in item["loc"]) or "body"
        fields.setdefault(name, _message_for(item))
    return fields


def _message_for(item: Any) -> str:
    # Validators raise ValueError with our own msgids; pydantic's built-in messages are replaced
    # by a few plain ones that have translations.
    kind = item["type"]
    if kind == "value_error":
        return str(item["ctx"]["error"])
    if kind == "missing":
        return N_("This field is required.")
    if kind in ("extra_forbidden",):
        return N_("This field is not allowed.")
    if kind.startswith(("string_too_long",)):
        return N_("This is too long.")
    if kind.startswith(("string_too_short",)):
        return N_("This is too short.")
    return N_("This value is not valid.")


class MalformedJson(DomainError):
    status = 400
    title = N_("The request body is not valid JSON.")


class UnsupportedMediaType(DomainError):
    status = 415
    title = N_("Send the request body as application/json.")


def json_response(model: BaseModel, status: int = 200) -> web.Response:
    return web.json_response(
        text=model.model_dump_json(), status=status, content_type="application/json"
    )


def problem_response(problem: Problem, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        text=problem.model_dump_json(exclude_none=True),
        status=problem.status,
        content_type=PROBLEM_CONTENT_TYPE,
        headers=headers,
    )


# ---- OpenAPI ---------------------------------------------------------------------------------

_PATH_PARAMETER = re.compile(r"{(\w+)(?::[^}]*)?}")


def openapi_document(
    operations: Iterable[Operation], *, title: str, version: str
) -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    paths: dict[str, dict[str, Any]] = {}
    for operation in operations:
        path = _PATH_PARAMETER.sub(r"{\1}", operation.path)
        paths.setdefault(path, {})[operation.method.lower()] = _describe(operation, schemas)
    schemas["Problem"] = _schema_of(Problem, schemas)
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "kohtaamo_session"},
                "manageToken": {"type": "http", "scheme": "bearer"},
                "clientSession": {"type": "apiKey", "in": "cookie", "name": "kohtaamo_client"},
            },
        },
    }


def _describe(operation: Operation, schemas: dict[str, Any]) -> dict[str, Any]:
    described: dict[str, Any] = {
        "operationId": operation.name,
        "summary": operation.summary,
        "tags": list(operation.tags),
        "parameters": _path_parameters(operation.path) + _query_parameters(operation.query),
        "responses": {},
    }
    if operation.body is not None:
        described["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _reference(operation.body, schemas)}},
        }
    if operation.auth:
        described["security"] = [{scheme: []} for scheme in operation.auth]
    success: dict[str, Any] = {"description": "Success"}
    if operation.response is not None:
        success["content"] = {
            "application/json": {"schema": _reference(operation.response, schemas)}
        }
    described["responses"][str(operation.status)] = success
    for status in operation.errors:
        described["responses"][str(status)] = {
            "description": ERROR_TITLES.get(status, "Error"),
            "content": {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
    return described


def _path_parameters(path: str) -> list[dict[str, Any]]:
    return [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in _PATH_PARAMETER.findall(path)
    ]


def _query_parameters(model: type[BaseModel] | None) -> list[dict[str, Any]]:
    if model is None:
        return []
    schema = model.model_json_schema()
    required = set(schema.get("required", ()))
    return [
        {"name": name, "in": "query", "required": name in required, "schema": property_schema}
        for name, property_schema in schema.get("properties", {}).items()
    ]


def _reference(model: type[BaseModel], schemas: dict[str, Any]) -> dict[str, str]:
    schemas[model.__name__] = _schema_of(model, schemas)
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _schema_of(model: type[BaseModel], schemas: dict[str, Any]) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in schema.pop("$defs", {}).items():
        schemas[name] = definition
    return schema
