"""The OpenAPI document is as strict as the server (issue 27, item 4): every limit the code
enforces is declared where the field is, so that what the schema calls valid is not refused.
Each case here was found by schemathesis (tests/integration/test_fuzz.py runs it in full)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from clarion.config import Settings
from clarion.engines.null import NullEngine
from tests.server import RunningServer, serve


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    settings = Settings(
        engines=["null"],
        default_engine="null",
        data_dir=Path(tmp_path_factory.mktemp("data")),
        max_input_chars=3000,
        max_get_input_chars=300,
        max_request_timeout_s=120,
        batch_max_items=50,
    )
    with serve(settings, {"null": NullEngine(settings)}) as running:
        yield running


@pytest.fixture(scope="module")
def schema(server: RunningServer) -> dict[str, Any]:
    document: dict[str, Any] = httpx.get(f"{server.url}/openapi.json").raise_for_status().json()
    return document


def model(schema: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = schema["components"]["schemas"][name]["properties"]
    return found


def param(schema: dict[str, Any], path: str, method: str, name: str) -> dict[str, Any]:
    (found,) = [p for p in schema["paths"][path][method]["parameters"] if p["name"] == name]
    return dict(found["schema"])


def test_a_voice_name_in_the_path_is_declared_as_the_store_checks_it(
    server: RunningServer, schema: dict[str, Any]
) -> None:
    for method in ("get", "delete"):
        name = param(schema, "/v1/audio/voices/{name}", method, "name")
        pattern = re.compile(name["pattern"])
        assert pattern.search("my-voice_2") and not pattern.search("-x") and not pattern.search("a b")
        assert (name["minLength"], name["maxLength"]) == (1, 64)
    # "uploaded", in any case, is a path segment of its own: no name to delete (405), while GET
    # on it is the list of uploaded voices, so for GET it is no invalid name.
    assert param(schema, "/v1/audio/voices/{name}", "delete", "name")["not"]
    assert "not" not in param(schema, "/v1/audio/voices/{name}", "get", "name")
    assert isinstance(httpx.get(f"{server.url}/v1/audio/voices/uploaded").json()["voices"], list)
    r = httpx.get(f"{server.url}/v1/audio/voices/%C3%A9t%C3%A9")
    assert r.status_code == 400 and "invalid voice name" in r.json()["error"]["message"]
    assert httpx.get(f"{server.url}/v1/audio/voices/no-such-voice").status_code == 404


def test_delete_on_the_uploaded_list_is_405_with_the_lists_methods(server: RunningServer) -> None:
    r = httpx.delete(f"{server.url}/v1/audio/voices/uploaded")
    assert r.status_code == 405 and r.headers["allow"] == "GET"
    assert httpx.put(f"{server.url}/v1/audio/voices/uploaded").headers["allow"] == "GET"
    # Under another name the path is the parameterised one's.
    assert httpx.put(f"{server.url}/v1/audio/voices/x").headers["allow"] == "DELETE, GET"
    # Routes of included routers count (FastAPI 0.16x keeps them out of app.routes: Allow was empty).
    assert httpx.delete(f"{server.url}/v1/models").headers["allow"] == "GET"
    assert httpx.post(f"{server.url}/health/live").headers["allow"] == "GET, HEAD"


def test_the_upload_form_declares_its_name_and_file_as_required(schema: dict[str, Any]) -> None:
    ref = schema["paths"]["/v1/audio/voices"]["post"]["requestBody"]["content"]["multipart/form-data"]
    form = schema["components"]["schemas"][ref["schema"]["$ref"].rsplit("/", 1)[1]]
    assert set(form["required"]) == {"file", "name"}
    assert form["properties"]["name"]["minLength"] == 1 and form["properties"]["name"]["pattern"]
    assert form["properties"]["file"]["minLength"] == 1  # an empty file is refused


def test_a_voice_id_is_1_to_128_characters_in_the_schema(
    server: RunningServer, schema: dict[str, Any]
) -> None:
    voice = model(schema, "SpeechRequest")["voice"]["anyOf"]
    assert {"type": "string", "minLength": 1, "maxLength": 128}.items() <= voice[0].items()
    assert model(schema, "VoiceRef")["id"]["maxLength"] == 128
    body = {"model": "null", "input": "hi", "voice": {"id": ""}}
    r = httpx.post(f"{server.url}/v1/audio/speech", json=body)
    assert r.status_code == 400 and "voice must be 1 to 128 characters" in r.json()["error"]["message"]


def test_limits_from_settings_are_in_the_schema(schema: dict[str, Any]) -> None:
    assert model(schema, "SpeechRequest")["input"]["maxLength"] == 3000
    assert model(schema, "NormalizeRequest")["input"]["maxLength"] == 3000
    assert model(schema, "BatchItem")["input"]["maxLength"] == 3000
    assert model(schema, "BatchRequest")["items"]["maxItems"] == 50
    assert param(schema, "/v1/tts", "get", "text")["maxLength"] == 300
    (number,) = [b for b in model(schema, "SpeechRequest")["timeout"]["anyOf"] if b.get("type") == "number"]
    assert number["maximum"] == 120


def test_repeated_batch_item_ids_are_declared_and_refused_with_their_own_code(
    server: RunningServer, schema: dict[str, Any]
) -> None:
    assert model(schema, "BatchRequest")["items"]["x-unique-property"] == "id"
    items = [{"input": "a", "id": "x"}, {"input": "b", "id": "x"}]
    r = httpx.post(
        f"{server.url}/v1/audio/speech/batch", json={"model": "null", "voice": "null", "items": items}
    )
    error = r.json()["error"]
    assert r.status_code == 400 and error["code"] == "duplicate_item_id" and "'x' repeats" in error["message"]
