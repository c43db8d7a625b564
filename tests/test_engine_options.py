"""One configuration namespace per engine: an engine's own options are set as
``CLARION_ENGINE_OPTIONS__<ENGINE>__<OPTION>`` next to its scheduling ones, reach the engine
through ``Settings``, and are checked at start-up; the old per-engine names
(``CLARION_CHATTERBOX_*`` and its kind) still work for one release, with a deprecation warning.

Constructing an engine loads nothing, so these run without any model."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from clarion.config import Settings
from clarion.engines.chatterbox import ChatterboxEngine, ChatterboxOptions
from clarion.engines.chattts import ChatTTSEngine, ChatTTSOptions
from clarion.engines.indextts import IndexTTSEngine, IndexTTSOptions
from clarion.errors import ConfigError
from clarion.runtime import Runtimes
from tests.server import serve


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No engine option from the machine running the tests."""
    import os

    for name in list(os.environ):
        upper = name.upper()
        if upper.startswith(("CLARION_ENGINE_OPTIONS__", "CLARION_CHATTTS_", "CLARION_INDEXTTS_")) or (
            upper.startswith("CLARION_CHATTERBOX_")
        ):
            monkeypatch.delenv(name)


def null_settings(tmp_path: Path, **kw: object) -> Settings:
    values: dict[str, object] = {"engines": ["null"], "default_engine": "null", "warmup": False}
    return Settings(**{**values, "data_dir": tmp_path, **kw})  # type: ignore[arg-type]


def start(settings: Settings) -> Runtimes:
    runtimes = Runtimes(settings)

    async def run() -> None:
        await runtimes.start()
        await runtimes.stop()

    asyncio.run(run())
    return runtimes


# -- the new names -------------------------------------------------------------------------------


def test_the_new_variables_reach_the_engines(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CLARION_ENGINE_OPTIONS__CHATTERBOX__WATERMARK", "false")
    monkeypatch.setenv("CLARION_ENGINE_OPTIONS__CHATTERBOX__MAX_NEW_TOKENS", "7")
    monkeypatch.setenv("CLARION_ENGINE_OPTIONS__CHATTERBOX__PATH", str(tmp_path / "cb"))
    monkeypatch.setenv("CLARION_ENGINE_OPTIONS__CHATTERBOX__WORKERS", "2")  # scheduling, alongside
    monkeypatch.setenv("CLARION_ENGINE_OPTIONS__CHATTTS__SEED_VOICES", "[11, 12]")  # JSON, as before
    monkeypatch.setenv("CLARION_ENGINE_OPTIONS__CHATTTS__MAX_NEW_TOKEN", "9")
    monkeypatch.setenv("CLARION_ENGINE_OPTIONS__INDEXTTS__NORMALIZER", "package")
    settings = Settings()
    assert settings.options_for("chatterbox").workers == 2
    chatterbox = ChatterboxEngine(settings)
    assert dict(chatterbox.identity().options)["watermark"] is False
    assert ChatterboxOptions.from_settings(settings) == ChatterboxOptions(
        watermark=False, max_new_tokens=7, path=tmp_path / "cb"
    )
    assert "missing from " + str(tmp_path / "cb") in (ChatterboxEngine.probe(settings) or "")
    chattts = ChatTTSOptions.from_settings(settings)
    assert (chattts.seed_voices, chattts.max_new_token) == ([11, 12], 9)
    assert [v.id for v in ChatTTSEngine(settings).voices()][:2] == ["seed_11", "seed_12"]
    assert IndexTTSOptions.from_settings(settings).normalizer == "package"
    assert IndexTTSEngine(settings) is not None


def test_options_given_directly_still_win_over_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLARION_ENGINE_OPTIONS__CHATTERBOX__WATERMARK", "false")
    engine = ChatterboxEngine(Settings(), ChatterboxOptions(max_new_tokens=4))
    assert dict(engine.identity().options)["watermark"] is True  # the options' own default


def test_a_cli_rebuilt_settings_keeps_the_engine_options(monkeypatch: pytest.MonkeyPatch) -> None:
    """`clarion serve` dumps the environment's Settings and validates them again with its flags."""
    monkeypatch.setenv("CLARION_ENGINE_OPTIONS__CHATTERBOX__WATERMARK", "false")
    again = Settings.model_validate(Settings().model_dump())
    assert ChatterboxOptions.from_settings(again).watermark is False


# -- start-up checks ------------------------------------------------------------------------------


def test_an_unknown_option_fails_start_up_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CLARION_ENGINE_OPTIONS__NULL__TEMPERATURE", "0.5")
    with pytest.raises(ConfigError) as failed:
        start(null_settings(tmp_path))
    message = failed.value.message
    assert message.startswith("CLARION_ENGINE_OPTIONS__NULL__TEMPERATURE: null has no option 'temperature'")
    assert "Null has no options of its own; the scheduling options are max_batch_size," in message


def test_a_bad_value_fails_start_up_even_for_an_engine_that_would_be_skipped(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Chatterbox has no model files here, so it would only be skipped with a warning; a bad
    option for it still stops the server, naming the variable and the valid options."""
    monkeypatch.setenv("CLARION_ENGINE_OPTIONS__CHATTERBOX__WATERMARK", "perhaps")
    settings = null_settings(tmp_path, engines=["null", "chatterbox"], models_dir=tmp_path)
    with pytest.raises(ConfigError) as failed:
        start(settings)
    message = failed.value.message
    assert message.startswith("CLARION_ENGINE_OPTIONS__CHATTERBOX__WATERMARK='perhaps': Input should be")
    assert "Chatterbox's own options are default_voice, gpu_memory_fraction, max_new_tokens, path," in message
    assert "voice_cache_size, watermark; the scheduling options are max_batch_size," in message


def test_a_typo_fails_the_server_start_and_health_says_why(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CLARION_ENGINE_OPTIONS__CHATTERBOX__WATERMAK", "false")
    settings = null_settings(tmp_path, engines=["null", "chatterbox"], models_dir=tmp_path)
    failed = pytest.raises(RuntimeError, match="server failed to start: CLARION_ENGINE_OPTIONS__CHATTERBOX__")
    with failed, serve(settings):
        pass


def test_options_of_engines_not_loaded_are_not_checked(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CLARION_ENGINE_OPTIONS__CHATTTS__NO_SUCH_OPTION", "1")
    start(null_settings(tmp_path))  # no complaint: chattts is not loaded


# -- the old names, for one release -------------------------------------------------------------


def test_an_old_variable_still_works_and_warns(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("CLARION_CHATTERBOX_WATERMARK", "false")
    monkeypatch.setenv("CLARION_CHATTERBOX_MAX_NEW_TOKENS", "6")
    monkeypatch.setenv("CLARION_CHATTTS_SEED_VOICES", "[5]")
    settings = Settings()
    assert ChatterboxOptions.from_settings(settings).model_dump(include={"watermark", "max_new_tokens"}) == {
        "watermark": False,
        "max_new_tokens": 6,
    }
    assert dict(ChatterboxEngine(settings).identity().options)["watermark"] is False
    assert ChatTTSOptions.from_settings(settings).seed_voices == [5]
    with caplog.at_level(logging.WARNING, logger="clarion.runtime"):
        start(null_settings(tmp_path))
    warnings = [r.getMessage() for r in caplog.records if r.name == "clarion.runtime"]
    assert (
        "CLARION_CHATTERBOX_WATERMARK is deprecated and will stop working in the next release: "
        "set CLARION_ENGINE_OPTIONS__CHATTERBOX__WATERMARK instead"
    ) in warnings
    assert any(w.startswith("CLARION_CHATTTS_SEED_VOICES is deprecated") for w in warnings)


def test_the_new_name_wins_when_both_are_set(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("CLARION_CHATTERBOX_MAX_NEW_TOKENS", "6")
    monkeypatch.setenv("CLARION_ENGINE_OPTIONS__CHATTERBOX__MAX_NEW_TOKENS", "8")
    assert ChatterboxOptions.from_settings(Settings()).max_new_tokens == 8
    with caplog.at_level(logging.WARNING, logger="clarion.runtime"):
        start(null_settings(tmp_path))
    assert (
        "CLARION_CHATTERBOX_MAX_NEW_TOKENS is deprecated and will stop working in the next release: "
        "CLARION_ENGINE_OPTIONS__CHATTERBOX__MAX_NEW_TOKENS is set too and wins, so "
        "CLARION_CHATTERBOX_MAX_NEW_TOKENS is ignored"
    ) in [r.getMessage() for r in caplog.records]


def test_a_bad_old_variable_is_named_in_the_start_up_failure(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CLARION_INDEXTTS_LANGUAGE", "fr")
    settings = null_settings(tmp_path, engines=["null", "indextts"], models_dir=tmp_path)
    with pytest.raises(ConfigError) as failed:
        start(settings)
    assert failed.value.message.startswith(
        "CLARION_ENGINE_OPTIONS__INDEXTTS__LANGUAGE (set as the deprecated CLARION_INDEXTTS_LANGUAGE)='fr': "
    )


def test_the_old_watermark_field_still_maps(tmp_path: Path) -> None:
    assert ChatterboxOptions.from_settings(Settings(chatterbox_watermark=False)).watermark is False  # type: ignore[call-arg]
    both = Settings(chatterbox_watermark=False, engine_options={"chatterbox": {"watermark": True}})  # type: ignore[call-arg]
    assert ChatterboxOptions.from_settings(both).watermark is True
