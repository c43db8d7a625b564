"""The OpenAPI document, completed: every error a route can give is documented with the
OpenAI-style error body, and the bearer-key scheme is declared (required when keys are
configured), so clients and schema-driven fuzzers see what the server really does."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from clarion.api.protocol import ErrorBody
from clarion.config import Settings

PUBLIC = ("/health/",)  # no key needed, ever

# Any route can answer these: bad input, a missing key, an oversized body, a rate limit,
# an unexpected failure, a server starting or draining.
COMMON = {
    "400": "Invalid request: the message says what to fix.",
    "401": "Missing or wrong API key.",
    "413": "Body or input too large.",
    "429": "Rate limited or refused by admission control; see Retry-After.",
    "500": "Unexpected server error.",
    "503": "Starting, draining, overloaded or an engine is unavailable; see Retry-After.",
}
PER_ROUTE: dict[str, dict[str, str]] = {
    "/v1/audio/speech": {"404": "Model not found.", "504": "The request's deadline passed."},
    "/v1/tts": {"404": "Model not found.", "504": "The request's deadline passed."},
    "/v1/audio/voices": {
        "409": "A voice with that name exists.",
        "415": "Not an audio file, or the name's extension disagrees with the content.",
        "422": "Audio that cannot be used: damaged, too short or long, silent, odd rate or channels.",
        "507": "No space left to store the voice.",
    },
    "/v1/audio/voices/{name}": {"404": "No such uploaded voice."},
    "/v1/text/normalize": {"404": "Model not found."},
    "/v1/audio/speech/batch": {"404": "Model not found.", "507": "No space left to store the job."},
    "/v1/audio/speech/batch/{job_id}": {"404": "No such batch job."},
    "/v1/audio/speech/batch/{job_id}/download": {
        "404": "No such batch job.",
        "409": "The job is not done yet.",
    },
}


def install_openapi(app: FastAPI, keys_required: bool) -> None:
    def build() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        components = schema.setdefault("components", {})
        components.setdefault("schemas", {})["ErrorBody"] = ErrorBody.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
        for name, sub in (
            ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}").get("$defs", {}).items()
        ):
            components["schemas"][name] = sub
        components["schemas"]["ErrorBody"].pop("$defs", None)
        components["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
        error = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
        for path, item in schema.get("paths", {}).items():
            public = path.startswith(PUBLIC)
            for op in item.values():
                responses = op.setdefault("responses", {})
                responses.pop("422", None)  # FastAPI's validation shape: Clarion answers 400 instead
                wanted = {k: v for k, v in COMMON.items() if not (public and k in ("401", "413", "429"))}
                wanted.update(PER_ROUTE.get(path, {}))
                for status, text in wanted.items():
                    responses.setdefault(status, {"description": text, "content": error})
                if not public:
                    op["security"] = [{"bearer": []}] if keys_required else [{}, {"bearer": []}]
        settings: Settings | None = getattr(app.state, "settings", None)
        if settings is not None:
            state_limits(schema, settings)
        app.openapi_schema = schema
        return schema

    app.openapi = build  # type: ignore[method-assign]


def state_limits(schema: dict[str, Any], settings: Settings) -> None:
    """The limits this server's settings put on fields, stated on the fields: a request that
    passes the schema is not then refused for its length, its count or its deadline."""
    models = schema.get("components", {}).get("schemas", {})

    def field(model: str, name: str) -> dict[str, Any]:
        found: dict[str, Any] = models.get(model, {}).get("properties", {}).get(name, {})
        return found

    for model in ("SpeechRequest", "NormalizeRequest", "BatchItem"):
        if field(model, "input"):
            field(model, "input")["maxLength"] = settings.max_input_chars
    if field("BatchRequest", "items"):
        field("BatchRequest", "items")["maxItems"] = settings.batch_max_items
    for branch in field("SpeechRequest", "timeout").get("anyOf", []):
        if branch.get("type") == "number":
            branch["maximum"] = settings.max_request_timeout_s
    for param in schema.get("paths", {}).get("/v1/tts", {}).get("get", {}).get("parameters", []):
        if param.get("name") == "text":
            param["schema"]["maxLength"] = settings.max_get_input_chars
