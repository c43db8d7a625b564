"""Schemathesis against the server's own OpenAPI document, every operation, with and
without API keys, with every check and both positive and negative data: no 5xx, every
response conforms to the documented schema, and the schema is exactly as strict as the
server (what it calls valid is accepted, what it calls invalid is refused)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.server import serve_process

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
KEY = "fuzz-key-123"
SEED = "20261122"

# Answers a schema-valid request may rightly get, by operation: each depends on the server's state
# or on what the content means, which no schema can state. positive_data_acceptance is replaced by
# a copy that lets exactly these through, as (status, error code, words of the message or "");
# every other check runs as is.
Rightful = tuple[int, str, str]
VOICE = (400, "voice_not_found", "")  # voices are what is loaded or uploaded now: an enum would go stale
UNSPEAKABLE = (400, "no_speakable_text", "")  # "." is a valid string; that it reads as nothing is not form
SSML = (400, "invalid_ssml", "")  # input_format=ssml with input that is not well-formed SSML
# Han characters in a string for an English-only server: no loaded voice reads them.
LANGUAGE = (400, "unsupported_language", "")
# timestamps: true where the engine gives none (which engines do is the server's state), or
# with a raw audio stream (a combination of two fields, which JSON Schema does not say simply).
TIMESTAMPS = (400, "timestamps_unsupported", "")
SPEECH = {VOICE, UNSPEAKABLE, SSML, LANGUAGE, TIMESTAMPS}
RIGHTFUL: dict[str, set[Rightful]] = {
    "POST /v1/audio/speech": SPEECH,
    "GET /v1/tts": SPEECH,
    "POST /v1/text/normalize": {VOICE},
    # JSON Schema cannot say "unique by one property" (the schema says it as x-unique-property).
    "POST /v1/audio/speech/batch": {*SPEECH, (400, "duplicate_item_id", "")},
    # Any bytes are a valid file part; whether they are usable audio is the decoder's finding.
    "POST /v1/audio/voices": {(415, "unsupported_media_type", ""), (422, "unprocessable_content", "")},
}


def register_checks() -> None:
    """Run in the schemathesis process, before its CLI parses the arguments."""
    import schemathesis
    from schemathesis.specs.openapi.checks import positive_data_acceptance

    @schemathesis.check
    def positive_data_acceptance_but_stateful(ctx: Any, response: Any, case: Any) -> bool | None:
        rightful = RIGHTFUL.get(f"{case.method.upper()} {case.operation.path}", set())
        try:
            error = json.loads(response.content)["error"]
        except (ValueError, KeyError, TypeError):
            error = {}
        for status, code, words in rightful:
            if response.status_code == status and error.get("code") == code and words in error["message"]:
                return None
        result: bool | None = positive_data_acceptance(ctx, response, case)
        return result


# The limits that settings put on inputs (CLARION_MAX_INPUT_CHARS, CLARION_MAX_GET_INPUT_CHARS,
# CLARION_BATCH_MAX_ITEMS) are in the schema, and input past them is refused with 413 (input or
# body too large), which is the right status though not on schemathesis's list for invalid data.
CONFIG = """
[[operations]]
include-path = ["/v1/audio/speech", "/v1/tts", "/v1/text/normalize", "/v1/audio/speech/batch"]
checks.negative_data_rejection.expected-statuses = [
    400, 401, 403, 404, 405, 406, 409, 413, 415, 422, 428, 429, "5xx"
]
"""


def schemathesis(url: str, *extra: str, examples: int, tmp: Path) -> subprocess.CompletedProcess[str]:
    if importlib.util.find_spec("schemathesis") is None:
        pytest.skip("schemathesis is not installed (the test extra)")
    # Its CLI through this interpreter (the `st` script's shebang may name another checkout),
    # with the check above registered first.
    cli = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r}); "
        "from tests.integration.test_fuzz import register_checks; register_checks(); "
        "from schemathesis.cli import schemathesis; sys.exit(schemathesis())"
    )
    config = tmp / "schemathesis.toml"
    config.write_text(CONFIG)
    cmd = [sys.executable, "-c", cli, "--config-file", str(config), "run", f"{url}/openapi.json"]
    cmd += ["--checks", "all"]
    cmd += ["--exclude-checks", "positive_data_acceptance", "--mode", "all"]
    # One worker, a fixed seed and no example database (which would replay earlier runs' finds):
    # the same requests in the same order on every run.
    cmd += ["--max-examples", str(examples), "--workers", "1", "--seed", SEED]
    cmd += ["--generation-database", "none", "--no-color", *extra]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=900, cwd=ROOT)


def verdict(done: subprocess.CompletedProcess[str]) -> str:
    return done.stdout[-6000:] + done.stderr[-2000:]


def test_schema_is_as_strict_as_the_server_without_keys(tmp_path: Path) -> None:
    env = {"CLARION_DATA_DIR": str(tmp_path)}
    with serve_process("-e", "hibari", "--default-engine", "hibari", env=env) as server:
        done = schemathesis(server.url, examples=100, tmp=tmp_path)
        assert done.returncode == 0, verdict(done)  # 1 on any failure or error
        assert "Traceback" not in server.stderr()


def test_schema_is_as_strict_as_the_server_with_keys(tmp_path: Path) -> None:
    env = {"CLARION_DATA_DIR": str(tmp_path), "CLARION_API_KEYS": f'["{KEY}"]'}
    with serve_process("-e", "hibari", "--default-engine", "hibari", env=env) as server:
        # The document opens without the key (Swagger UI loads it before taking one).
        assert httpx.get(f"{server.url}/openapi.json").status_code == 200
        # Fewer examples than without keys (that test fuzzes the same routes in depth): here the
        # point is that each route conforms with the key, and (ignored_auth) refuses without it.
        auth = ("--header", f"Authorization: Bearer {KEY}")
        done = schemathesis(server.url, *auth, examples=30, tmp=tmp_path)
        assert done.returncode == 0, verdict(done)  # 1 on any failure or error
        assert "Traceback" not in server.stderr()
