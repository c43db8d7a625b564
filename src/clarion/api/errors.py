"""Every error leaves the API as an OpenAI-style body: {"error": {message, type, param, code}}."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from clarion.errors import ClarionError

log = logging.getLogger(__name__)

# Validation errors of these pydantic types (PydanticCustomError) keep their type as the code:
# a client, or a fuzzer, can tell them from a malformed request.
CODED_VALIDATION_ERRORS = frozenset({"duplicate_item_id"})


def error_response(
    status: int,
    message: str,
    type_: str,
    *,
    param: str | None = None,
    code: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = {"error": {"message": message, "type": type_, "param": param, "code": code}}
    return JSONResponse(body, status_code=status, headers=headers)


def _describe_validation(errors: list[Any], content_type: str | None) -> tuple[str, str | None]:
    whole = _whole_body_problem(errors, content_type)
    if whole is not None:
        return whole, None
    parts = []
    param = None
    for err in errors[:5]:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query")]
        where = ".".join(loc) or "body"
        param = param or (loc[0] if loc else None)
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        parts.append(f"{where}: {msg}")
    return "invalid request: " + "; ".join(parts), param


def _whole_body_problem(errors: list[Any], content_type: str | None) -> str | None:
    """A message for a body that is not a JSON object at all, saying what to send instead of
    pointing at a field (or, for bad JSON, at a bare character offset as the param)."""
    for err in errors:
        loc = tuple(err.get("loc", ()))
        if err.get("type") == "json_invalid":
            where = f" (at character {loc[1]})" if len(loc) > 1 else ""
            reason = str((err.get("ctx") or {}).get("error", "")).strip()
            return f"the body is not valid JSON{where}" + (f": {reason}" if reason else "")
        if loc != ("body",):
            continue
        media = (content_type or "").split(";")[0].strip().lower()
        is_json = media == "application/json" or media.endswith("+json")
        if not is_json:
            got = f"'{media}'" if media else "none"
            return f"send the body as JSON with 'Content-Type: application/json' (Content-Type here: {got})"
        if err.get("type") == "missing":
            return "the body is empty: send a JSON object"
        return "the body must be a JSON object ({...}), not another JSON value"
    return None


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ClarionError)
    async def _clarion(request: Request, exc: ClarionError) -> JSONResponse:
        if exc.status in (413, 429, 503, 504):
            # Refusals by policy (size, rate, load, time): the code names are a fixed set.
            request.app.state.metrics.rejected.labels(exc.code or "unknown").inc()
        if exc.status >= 500:
            log.warning("%s: %s", type(exc).__name__, exc.message)
        return error_response(
            exc.status, exc.message, exc.type, param=exc.param, code=exc.code, headers=exc.headers
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = list(exc.errors())
        message, param = _describe_validation(errors, request.headers.get("content-type"))
        types = [e.get("type") for e in errors]
        code = next((t for t in types if t in CODED_VALIDATION_ERRORS), "invalid_request")
        return error_response(400, message, "invalid_request_error", param=param, code=code)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        type_ = "invalid_request_error" if exc.status_code < 500 else "server_error"
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            # Starlette names only the first route's methods; a path can have several routes.
            headers["Allow"] = ", ".join(sorted(_allowed(request)))
        return error_response(exc.status_code, str(exc.detail), type_, headers=headers)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return error_response(
            500, f"internal error: {type(exc).__name__}", "server_error", code="internal_error"
        )


def _allowed(request: Request) -> set[str]:
    path = request.url.path
    matching = [r for prefix, r in _routes(request.app.router.routes) if _matches(r, prefix, path)]
    # A fixed path shadows a parameter's: GET /v1/audio/voices/uploaded lists voices, and
    # "uploaded" is no voice name for DELETE /v1/audio/voices/{name} to take.
    fixed = [r for r in matching if "{" not in getattr(r, "path", "{")]
    methods: set[str] = set()
    for route in fixed or matching:
        methods |= set(getattr(route, "methods", None) or ())
    return methods


def _routes(routes: Iterable[Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every route with the prefix it is served under, through included routers (which FastAPI
    keeps as routers of their own, not as copies of their routes)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _routes(inner.routes, prefix + getattr(route.include_context, "prefix", ""))
        else:
            yield prefix, route


def _matches(route: Any, prefix: str, path: str) -> bool:
    regex = getattr(route, "path_regex", None)
    return regex is not None and path.startswith(prefix) and regex.match(path[len(prefix) :]) is not None
