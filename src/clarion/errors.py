"""One error tree. Every error knows its HTTP status and OpenAI error type, so the API
layer renders any of them without string matching."""

from __future__ import annotations

from typing import Any


class ClarionError(Exception):
    status: int = 500
    type: str = "server_error"
    code: str | None = None

    def __init__(
        self,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        if code is not None:
            self.code = code
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


class InvalidRequest(ClarionError):
    status = 400
    type = "invalid_request_error"
    code = "invalid_request"


class NoSpeakableText(InvalidRequest):
    """The input reads as nothing: punctuation, symbols or emoji only."""

    code = "no_speakable_text"


class InvalidSsml(InvalidRequest):
    """SSML that is malformed, unsafe or outside the supported subset."""

    code = "invalid_ssml"


class Unauthorized(ClarionError):
    status = 401
    type = "authentication_error"
    code = "invalid_api_key"


class NotFound(ClarionError):
    status = 404
    type = "invalid_request_error"
    code = "not_found"


class ModelNotFound(NotFound):
    code = "model_not_found"


class VoiceNotFound(InvalidRequest):
    code = "voice_not_found"


class InputTooLarge(ClarionError):
    status = 413
    type = "invalid_request_error"
    code = "input_too_long"


class UnreadableScript(InvalidRequest):
    """Letters of a script the voice cannot read (it would spell them out by name)."""

    code = "unsupported_language"


class ExceedsDeadline(InputTooLarge):
    """More text than the engine can read within the request's deadline, even when idle."""

    code = "input_exceeds_deadline"


class Conflict(ClarionError):
    status = 409
    type = "invalid_request_error"
    code = "conflict"


class UnsupportedMedia(ClarionError):
    status = 415
    type = "invalid_request_error"
    code = "unsupported_media_type"


class Unprocessable(ClarionError):
    """Well-formed but unusable content, e.g. an audio clip that is too short or silent."""

    status = 422
    type = "invalid_request_error"
    code = "unprocessable_content"


class StorageFull(ClarionError):
    status = 507
    type = "server_error"
    code = "insufficient_storage"


class RateLimited(ClarionError):
    status = 429
    type = "rate_limit_error"
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: float = 1.0, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.headers.setdefault("Retry-After", str(max(1, round(retry_after))))


class ServiceUnavailable(ClarionError):
    status = 503
    type = "server_error"
    code = "service_unavailable"

    def __init__(self, message: str, *, retry_after: float = 1.0, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.headers.setdefault("Retry-After", str(max(1, round(retry_after))))


class QueueFull(ServiceUnavailable):
    code = "queue_full"


class TooManyStreams(ServiceUnavailable):
    code = "too_many_streams"


class NotReady(ServiceUnavailable):
    code = "not_ready"


class DeadlineExceeded(ClarionError):
    status = 504
    type = "server_error"
    code = "deadline_exceeded"


class EngineError(ClarionError):
    """The engine failed on this request's input; other requests are unaffected."""

    status = 500
    type = "server_error"
    code = "engine_error"


class EngineUnavailable(ClarionError):
    """An engine cannot be loaded here: its extra is not installed or its files are missing."""

    status = 503
    type = "server_error"
    code = "engine_unavailable"


class ConfigError(ClarionError):
    """The configuration cannot work, e.g. an engine option that engine does not have: start-up
    fails with the variable to fix."""

    status = 500
    type = "server_error"
    code = "invalid_configuration"


class WorkerLost(ServiceUnavailable):
    """An engine worker process crashed or hung while it held this request's work; the
    watchdog restarts it, so a retry is expected to succeed."""

    code = "engine_worker_lost"


class Cancelled(ClarionError):
    """The client went away; nobody will read this error, it only unwinds work."""

    status = 499
    type = "invalid_request_error"
    code = "client_closed_request"
