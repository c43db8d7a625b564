"""Every error leaves the API as an OpenAI-style body: {"error": {message, type, param, code}}."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from clarion.errors import ClarionError

log = logging.getLogger(__name__)


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


def _describe_validation(errors: list[Any]) -> tuple[str, str | None]:
    parts = []
    param = None
    for err in errors[:5]:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query")]
        where = ".".join(loc) or "body"
        param = param or (loc[0] if loc else None)
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return "invalid request: " + "; ".join(parts), param


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
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        message, param = _describe_validation(list(exc.errors()))
        return error_response(400, message, "invalid_request_error", param=param, code="invalid_request")

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
    methods: set[str] = set()
    for route in request.app.routes:
        regex = getattr(route, "path_regex", None)
        if regex is not None and regex.match(request.url.path):
            methods |= set(getattr(route, "methods", None) or ())
    return methods
