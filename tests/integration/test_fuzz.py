"""Schemathesis against the server's own OpenAPI document, every operation, with and
without API keys: no 5xx, and every response conforms to the documented schema (status
codes, content types, bodies, headers, Allow on 405)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.server import serve_process

pytestmark = pytest.mark.slow
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "response_headers_conformance",
        "allow_header_conformance",
        "ignored_auth",
    ]
)
KEY = "fuzz-key-123"


def schemathesis(
    url: str, *extra: str, schema: Path | None = None, examples: int = 20
) -> subprocess.CompletedProcess[str]:
    if importlib.util.find_spec("schemathesis") is None:
        pytest.skip("schemathesis is not installed (the test extra)")
    where = [str(schema), "--url", url] if schema else [f"{url}/openapi.json"]
    # Its CLI through this interpreter: the `st` script's shebang may name another checkout.
    cli = "import sys; from schemathesis.cli import schemathesis; sys.exit(schemathesis())"
    cmd = [sys.executable, "-c", cli, "run", *where, "--checks", CHECKS, "--max-examples", str(examples)]
    cmd += ["--workers", "1", "--seed", "20261122", *extra]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600)


def verdict(done: subprocess.CompletedProcess[str]) -> str:
    return done.stdout[-4000:] + done.stderr[-2000:]


def test_no_server_errors_and_conforming_responses_without_keys(tmp_path: Path) -> None:
    # The null engine keeps the many generated synthesis requests cheap; the API under
    # test (validation, routing, errors, encoders, uploads, batches) is the real one.
    env = {"CLARION_DATA_DIR": str(tmp_path)}
    with serve_process("-e", "null", "--default-engine", "null", env=env) as server:
        done = schemathesis(server.url)
        assert done.returncode == 0, verdict(done)
        assert "Traceback" not in server.stderr()


def test_with_keys_set_every_route_refuses_or_serves_by_the_schema(tmp_path: Path) -> None:
    env = {"CLARION_DATA_DIR": str(tmp_path), "CLARION_API_KEYS": f'["{KEY}"]'}
    with serve_process("-e", "null", "--default-engine", "null", env=env) as server:
        # The document opens without the key (Swagger UI loads it before taking one).
        schema = tmp_path / "openapi.json"
        got = httpx.get(f"{server.url}/openapi.json")
        schema.write_bytes(got.raise_for_status().content)
        # Fewer examples than without keys (that test fuzzes the same routes in depth): here
        # the point is that each route conforms with the key. That each refuses without it is
        # tests/api/test_security.py's job, route by route.
        keyed = schemathesis(server.url, "--header", f"Authorization: Bearer {KEY}", examples=10)
        assert keyed.returncode == 0, verdict(keyed)
        assert "Traceback" not in server.stderr()
