"""The application factory. No globals: Settings and engines come in, an app goes out."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import Response

from clarion import __version__, allocator, background
from clarion.api.connections import guarded_protocol
from clarion.api.errors import install_error_handlers
from clarion.api.middleware import RequestContext
from clarion.api.openapi import install_openapi
from clarion.api.routers import batch, health, models, speech, speech_ws, stats, text, voices, web
from clarion.api.security import ApiKeyAuth, BodyLimit, TokenBucket, load_keys
from clarion.api.serving import SpeechServing
from clarion.audio import sandbox
from clarion.config import Settings
from clarion.engines.base import Engine
from clarion.jobs import BatchJobs
from clarion.observability.metrics import CONTENT_TYPE, Metrics, process_age_s
from clarion.service import Service
from clarion.text import zh as text_zh

log = logging.getLogger(__name__)


def server_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's connection settings, the same for `clarion serve` and an embedding server."""
    return {
        # uvicorn's own 5 s equals httpx's and the OpenAI SDK's idle limit. With uvloop, a loop
        # busy across that moment runs the keep-alive timer before reading a request that came
        # in meanwhile, and resets the connection under it.
        "timeout_keep_alive": settings.keep_alive_s,
        "timeout_graceful_shutdown": int(settings.shutdown_grace_s),
        # A header deadline and a connection cap, which uvicorn's own protocols lack.
        "http": guarded_protocol(settings),
    }


def create_app(settings: Settings | None = None, engines: Mapping[str, Engine] | None = None) -> FastAPI:
    """Build the app. ``engines`` replaces loading ``settings.engines`` from the registry.

    Engines load in the background after start-up, so /health/live answers at once and
    /health/ready turns true once every engine is loaded and warmed up."""
    settings = settings or Settings()
    metrics = Metrics()
    service = Service(settings, engines, metrics)
    jobs = BatchJobs(service, settings)
    metrics.watch_engines(service.scheduler_snapshots)
    metrics.watch_cache(lambda: service.cache)
    metrics.ready.set_function(lambda: float(service.ready and not service.draining))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async def start() -> None:
            allocator.configure(settings)  # before the models load
            try:
                await service.start()
                age = process_age_s()
                log.info(
                    "ready%s: engines %s",
                    "" if age is None else f" {age:.1f} s after the process started",
                    "; ".join(
                        f"{n} in {rt.load_seconds:.1f} s ({rt.describe_load()})"
                        for n, rt in service.runtimes.items()
                    ),
                )
            except Exception as e:
                app.state.startup_error = e
                log.exception("start-up failed")
                return
            await jobs.start()
            # What the first Mandarin number would otherwise load.
            background.start(text_zh.preload, "front-end-preload")
            try:
                # The upload decoder's forkserver, started now so the first upload is quick.
                await asyncio.to_thread(sandbox.warm)
            except Exception:
                log.warning("the upload decoder could not start; uploads will fail", exc_info=True)

        starting = asyncio.create_task(start())
        app.state.starting = starting
        try:
            yield
        finally:
            service.draining = True
            if not starting.done():
                starting.cancel()
            await asyncio.gather(starting, return_exceptions=True)
            await jobs.stop()  # before the engines go: unfinished items resume at the next start
            await service.stop()

    app = FastAPI(
        title="Clarion",
        version=__version__,
        description="OpenAI-compatible text-to-speech serving with dynamic batching and streaming.\n\n"
        "**WebSocket** `/v1/audio/speech/stream` (not listed below: OpenAPI has no WebSocket "
        "operations): send JSON settings (`model`, `voice`, `sample_rate`, `speed`, `extras`, "
        '`api_key`), then `{"type": "text", "text": ...}` as the text is written, and `flush`, '
        "`cancel` (barge-in) or `close`; PCM audio comes back in binary frames between "
        "`segment.start` and `segment.end` events. See docs/voice-agents.md.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.service = service
    app.state.speech = SpeechServing(service, settings, metrics)
    app.state.jobs = jobs
    app.state.startup_error = None
    app.state.metrics = metrics
    install_error_handlers(app)
    install_openapi(app, keys_required=bool(settings.api_keys or settings.api_keys_file))
    # Added innermost first: request ids and metrics wrap everything, CORS answers preflights
    # before auth, and oversized bodies are refused before anything reads them.
    keys = load_keys([k.get_secret_value() for k in settings.api_keys], settings.api_keys_file)
    limiter = (
        TokenBucket(settings.rate_limit_per_minute / 60, settings.rate_limit_burst)
        if settings.rate_limit_per_minute
        else None
    )
    # WS /v1/audio/speech/stream checks the same keys and limits itself (a key may come in
    # its first message: browsers cannot set headers on a WebSocket).
    app.state.api_keys = keys
    app.state.rate_limiter = limiter
    app.add_middleware(
        ApiKeyAuth, keys=keys, limiter=limiter, on_reject=lambda r: metrics.rejected.labels(r).inc()
    )
    app.add_middleware(web.PublicPage)  # the web page holds no secret: served before the key check
    # Uploads may be larger (multipart overhead on top of the clip itself).
    upload_limit = (settings.max_upload_bytes + 64 * 1024, "CLARION_MAX_UPLOAD_BYTES")
    batch_limit = (settings.batch_max_body_bytes, "CLARION_BATCH_MAX_BODY_BYTES")
    app.add_middleware(
        BodyLimit,
        max_bytes=settings.max_body_bytes,
        timeout_s=settings.body_timeout_s,
        routes={"/v1/audio/voices": upload_limit, "/v1/audio/speech/batch": batch_limit},
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "DELETE", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
            expose_headers=["X-Request-ID", "Retry-After"],
        )
    app.add_middleware(RequestContext, metrics=metrics)

    @app.get("/metrics", include_in_schema=False)
    async def prometheus_metrics() -> Response:
        return Response(metrics.render(), media_type=CONTENT_TYPE)

    app.include_router(health.router)
    app.include_router(models.router)
    app.include_router(speech.router)
    app.include_router(speech_ws.router)
    app.include_router(text.router)
    app.include_router(stats.router)
    app.include_router(voices.router)
    app.include_router(batch.router)
    return app
