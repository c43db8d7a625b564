"""Batch synthesis: many texts in, one zip out.

Small batches are rendered while the client waits. Larger ones become jobs kept on
disk, so a restart loses nothing and finished items are never recomputed::

    <data_dir>/jobs/<id>/request.json       the validated request (a BatchSpec)
    <data_dir>/jobs/<id>/items/0001-x.mp3   each finished item, written atomically
    <data_dir>/jobs/<id>/items/0002.error   why an item failed (one line of text)
    <data_dir>/jobs/<id>/result.zip         built once, on the first download

A job's progress is read from its files, so it is the same before and after a restart.
Job work goes through the batchers as background items: interactive requests go first.

Deleting a job cancels its work (queued segments are dropped) and renames its folder out of
the way under the same lock that every write into it takes, so no item lands after the
delete; the renamed folder is then removed (and, after a crash, at the next start).
``CLARION_BATCH_DISK_MB`` caps what all jobs hold: a submission is refused (507) while the
jobs already hold that much, and an item that would take them past it fails on its own
(its ``.error`` says so) without stopping the job; the zip holds what fitted.

This module works on ``BatchSpec``, the domain form of a batch; the HTTP router converts its
wire schema (``clarion.api.protocol.BatchRequest``) into one, so jobs never import the API.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import io
import json
import logging
import os
import re
import shutil
import tempfile
import threading
import time
import uuid
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from clarion.audio.encoders import encode
from clarion.audio.formats import AudioFormat
from clarion.config import Settings
from clarion.errors import (
    ClarionError,
    Conflict,
    InputTooLarge,
    InvalidRequest,
    NotFound,
    QueueFull,
    ServiceUnavailable,
    StorageFull,
)
from clarion.service import Service
from clarion.synthesis import SpeechJob

log = logging.getLogger(__name__)

JOB_ID = re.compile(r"^[0-9a-f]{32}$")
DELETED = ".deleted-"  # prefix of a deleted job's folder until it is gone


@dataclass(frozen=True, slots=True)
class BatchItem:
    """One text of a batch; ``id`` names its file in the zip, ``voice`` overrides the batch's."""

    input: str
    id: str | None = None
    voice: str | None = None


@dataclass(frozen=True, slots=True)
class BatchSpec:
    """A validated batch: what the API accepted, in the form jobs work on and keep on disk."""

    model: str
    voice: str
    items: tuple[BatchItem, ...]
    response_format: AudioFormat = AudioFormat.MP3
    speed: float = 1.0
    sample_rate: int | None = None
    seed: int | None = None
    extras: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> bytes:
        """``request.json``: the same document the wire schema's ``model_dump_json`` wrote, so
        jobs stored by earlier releases resume."""
        doc = {
            "model": self.model,
            "voice": self.voice,
            "response_format": self.response_format.value,
            "speed": self.speed,
            "sample_rate": self.sample_rate,
            "seed": self.seed,
            "extras": dict(self.extras),
            "items": [{"input": i.input, "id": i.id, "voice": i.voice} for i in self.items],
        }
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, data: bytes) -> BatchSpec:
        doc = json.loads(data)
        return cls(
            model=doc["model"],
            voice=doc["voice"],
            items=tuple(BatchItem(i["input"], i.get("id"), i.get("voice")) for i in doc["items"]),
            response_format=AudioFormat(doc.get("response_format", AudioFormat.MP3.value)),
            speed=float(doc.get("speed", 1.0)),
            sample_rate=doc.get("sample_rate"),
            seed=doc.get("seed"),
            extras=doc.get("extras") or {},
        )


def item_name(index: int, item: BatchItem, fmt: AudioFormat) -> str:
    stem = f"{index + 1:04d}-{item.id}" if item.id else f"{index + 1:04d}"
    return f"{stem}.{fmt.value}"


def plan(service: Service, req: BatchSpec, *, background: bool) -> list[SpeechJob]:
    """One validated speech job per item; a bad item fails the whole submission (400)
    naming the item, before any work starts."""
    settings = service.settings
    if len(req.items) > settings.batch_max_items:
        raise InputTooLarge(
            f"the batch has {len(req.items)} items; the limit is {settings.batch_max_items} "
            "(CLARION_BATCH_MAX_ITEMS)",
            param="items",
        )
    jobs = []
    for i, item in enumerate(req.items):
        if len(item.input) > settings.max_input_chars:
            raise InputTooLarge(
                f"items[{i}].input is {len(item.input)} characters; the limit is {settings.max_input_chars}",
                param=f"items[{i}].input",
            )
        try:
            runtime, voice = service.resolve(req.model, item.voice or req.voice)
        except ClarionError as e:
            e.message = f"items[{i}]: {e.message}"
            raise
        extras = service.validate_extras(runtime, req.extras)
        timeout = settings.max_request_timeout_s if background else settings.request_timeout_s
        jobs.append(
            SpeechJob(runtime, voice, item.input, req.speed, req.seed, timeout, extras, background=background)
        )
    return jobs


async def render(service: Service, job: SpeechJob, fmt: AudioFormat, sample_rate: int | None) -> bytes:
    """One item: synthesised (or from the cache) and encoded as a complete file."""
    async with contextlib.aclosing(service.stream(job)) as chunks:
        parts = [c.samples async for c in chunks]
    samples = np.concatenate(parts) if parts else np.zeros(0, np.float32)
    return await asyncio.to_thread(encode, samples, job.runtime.engine.sample_rate, fmt, sample_rate)


async def render_inline(service: Service, req: BatchSpec) -> bytes:
    """A small batch, rendered now: a zip of its items and a manifest."""
    jobs = plan(service, req, background=False)
    limit = asyncio.Semaphore(service.settings.batch_concurrency)

    async def one(job: SpeechJob) -> bytes | str:
        async with limit:
            try:
                return await render(service, job, req.response_format, req.sample_rate)
            except ClarionError as e:
                return e.message

    results = await asyncio.gather(*(one(j) for j in jobs))
    files: dict[str, bytes] = {}
    errors: dict[int, str] = {}
    for i, (item, result) in enumerate(zip(req.items, results, strict=True)):
        if isinstance(result, bytes):
            files[item_name(i, item, req.response_format)] = result
        else:
            errors[i] = result
    if not files:
        raise InvalidRequest(f"no item of the batch could be rendered; first error: {errors[min(errors)]}")
    return await asyncio.to_thread(_zip_bytes, req, files, errors)


def _manifest(req: BatchSpec, files: Sequence[str], errors: dict[int, str]) -> bytes:
    names = {int(n[:4]) - 1: n for n in files}
    items = [
        {"index": i, "id": item.id, "file": names.get(i), "error": errors.get(i)}
        for i, item in enumerate(req.items)
    ]
    return json.dumps(
        {"model": req.model, "voice": req.voice, "format": req.response_format.value, "items": items},
        ensure_ascii=False,
        indent=1,
    ).encode()


def _compression(fmt: AudioFormat) -> int:
    # Compressed audio does not shrink further; WAV and PCM do.
    return zipfile.ZIP_DEFLATED if fmt in (AudioFormat.WAV, AudioFormat.PCM) else zipfile.ZIP_STORED


def _zip_bytes(req: BatchSpec, files: dict[str, bytes], errors: dict[int, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", _compression(req.response_format)) as z:
        for name, data in files.items():
            z.writestr(name, data)
        z.writestr("manifest.json", _manifest(req, list(files), errors))
    return buf.getvalue()


def _disk_usage(root: Path) -> int:
    """Bytes in the files under ``root`` (0 if it is gone)."""
    total = 0
    for folder, _, names in os.walk(root):
        for name in names:
            with contextlib.suppress(OSError):  # removed meanwhile
                total += os.stat(os.path.join(folder, name)).st_size
    return total


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


class BatchJobs:
    """Jobs on disk and the task that works through them, one job at a time."""

    def __init__(self, service: Service, settings: Settings) -> None:
        self.service = service
        self.settings = settings
        self.root = settings.data_dir / "jobs"
        self._queue: asyncio.Queue[str] = asyncio.Queue()
        self._runner: asyncio.Task[None] | None = None
        self._current: str | None = None
        self._cancelled: set[str] = set()
        self._failure: dict[str, str] = {}  # job -> why it stopped (disk full, ...)
        self._task: asyncio.Task[None] | None = None  # the running job's work
        # Taken by every write into a job's folder and by its deletion (writes run in threads).
        self._write_lock = threading.Lock()
        self._used = 0  # bytes the jobs hold on disk
        self.quota = int(settings.batch_disk_mb * 1_000_000) if settings.batch_disk_mb else None

    # -- lifecycle -------------------------------------------------------------
    async def start(self) -> None:
        """Resume every unfinished job found on disk, oldest first."""
        if self.root.is_dir():
            for d in self.root.iterdir():
                if d.name.startswith(DELETED):  # deleted before a crash
                    await asyncio.to_thread(shutil.rmtree, d, True)
            self._used = await asyncio.to_thread(_disk_usage, self.root)
            found = []
            for d in self.root.iterdir():
                if JOB_ID.fullmatch(d.name) and (d / "request.json").is_file():
                    found.append((d.stat().st_mtime, d.name))
            for _, job_id in sorted(found):
                if self.status(job_id)["status"] != "done":
                    log.info("resuming batch job %s", job_id)
                    self._queue.put_nowait(job_id)
        self._runner = asyncio.get_running_loop().create_task(self._run_all(), name="batch-jobs")

    async def stop(self) -> None:
        if self._runner is not None:
            self._runner.cancel()
            await asyncio.gather(self._runner, return_exceptions=True)
            self._runner = None

    # -- API -------------------------------------------------------------------
    def create(self, req: BatchSpec) -> dict[str, Any]:
        plan(self.service, req, background=True)  # refuse a bad batch now, not halfway through
        if self.quota is not None and self._used >= self.quota:
            raise StorageFull(
                f"batch jobs hold {self._used / 1e6:.1f} MB, their quota (CLARION_BATCH_DISK_MB) is "
                f"{self.quota / 1e6:g} MB: delete finished jobs (DELETE /v1/audio/speech/batch/{{id}}) "
                "and submit again"
            )
        job_id = uuid.uuid4().hex
        folder = self.root / job_id
        try:
            (folder / "items").mkdir(parents=True)
            _write_atomic(folder / "request.json", req.to_json())
        except OSError as e:
            shutil.rmtree(folder, ignore_errors=True)
            if e.errno in (28, 122):
                raise StorageFull(
                    f"no space left for batch jobs under {self.root}; nothing was stored"
                ) from e
            raise
        self._queue.put_nowait(job_id)
        return self.status(job_id)

    def status(self, job_id: str) -> dict[str, Any]:
        folder = self._folder(job_id)
        req = self._request(job_id)
        names = os.listdir(folder / "items")
        done = sum(1 for n in names if n.endswith(f".{req.response_format.value}") and not n.startswith("."))
        errors = sorted(n for n in names if n.endswith(".error"))
        finished = done + len(errors) == len(req.items)
        if job_id in self._failure:
            state = "failed"
        elif finished:
            state = "done"
        else:
            state = "running" if job_id == self._current else "queued"
        out: dict[str, Any] = {
            "id": job_id,
            "object": "batch",
            "status": state,
            "total": len(req.items),
            "done": done,
            "failed": len(errors),
            "created": int((folder / "request.json").stat().st_mtime),
        }
        if job_id in self._failure:
            out["error"] = self._failure[job_id]
        if errors:
            out["errors"] = [
                {"index": int(n[:4]) - 1, "message": (folder / "items" / n).read_text(encoding="utf-8")}
                for n in errors[:20]
            ]
        if finished:
            out["download"] = f"/v1/audio/speech/batch/{job_id}/download"
        return out

    async def archive(self, job_id: str) -> Path:
        """The finished job's zip (built once)."""
        status = self.status(job_id)
        if status["status"] != "done":
            finished = status["done"] + status["failed"]
            raise Conflict(
                f"batch {job_id} is {status['status']} ({finished} of {status['total']} items finished); "
                "download it when its status is 'done'",
                param="id",
            )
        path = self._folder(job_id) / "result.zip"
        if not path.exists():
            await asyncio.to_thread(self._build_zip, job_id, path)
        return path

    async def delete(self, job_id: str) -> None:
        """Cancel the job's work and remove everything it wrote, atomically: once this returns
        (or the server dies partway) nothing of it is visible, and no late write brings any back."""
        folder = self._folder(job_id)
        self._cancelled.add(job_id)
        if job_id == self._current and self._task is not None:
            self._task.cancel()  # drops its queued segments; a write in progress finishes first
        tomb = self.root / f"{DELETED}{job_id}-{uuid.uuid4().hex[:8]}"

        def hide() -> None:
            with self._write_lock:  # no write into the folder is half done, none starts after
                os.rename(folder, tomb)
                self._used = max(0, self._used - _disk_usage(tomb))

        await asyncio.to_thread(hide)
        await asyncio.to_thread(shutil.rmtree, tomb, True)
        self._failure.pop(job_id, None)

    # -- internals ---------------------------------------------------------------
    def _folder(self, job_id: str) -> Path:
        if not JOB_ID.fullmatch(job_id) or not (self.root / job_id / "request.json").is_file():
            raise NotFound(f"no batch job {job_id[:40]!r}", param="id")
        return self.root / job_id

    def _request(self, job_id: str) -> BatchSpec:
        return BatchSpec.from_json((self.root / job_id / "request.json").read_bytes())

    def _build_zip(self, job_id: str, path: Path) -> None:
        req = self._request(job_id)
        items = path.parent / "items"
        files = sorted(
            n for n in os.listdir(items) if n.endswith(f".{req.response_format.value}") and n[0] != "."
        )
        errors = {
            int(n[:4]) - 1: (items / n).read_text(encoding="utf-8")
            for n in os.listdir(items)
            if n.endswith(".error")
        }
        with self._write_lock:
            if job_id in self._cancelled:
                raise NotFound(f"no batch job {job_id[:40]!r}", param="id")
            self._zip_into(req, files, errors, items, path)
            self._used += path.stat().st_size

    def _zip_into(
        self, req: BatchSpec, files: list[str], errors: dict[int, str], items: Path, path: Path
    ) -> None:
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".zip.tmp")
        try:
            with os.fdopen(fd, "wb") as f, zipfile.ZipFile(f, "w", _compression(req.response_format)) as z:
                for name in files:
                    z.write(items / name, name)
                z.writestr("manifest.json", _manifest(req, files, errors))
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def _store(self, job_id: str, index: int, target: Path, payload: bytes | None) -> None:
        """Write one item's file (or, past the quota, its error instead; ``None``: the quota was
        full before it was rendered), unless the job was deleted: under the lock that deletion
        takes, so nothing lands after it."""
        with self._write_lock:
            # After a failed write nothing more lands: the job reads "failed" only once the
            # failed write has cleaned up, and no other starts after it.
            if job_id in self._cancelled or job_id in self._failure:
                return
            if payload is None or (self.quota is not None and self._used + len(payload) > self.quota):
                why = (
                    "the jobs' disk is full" if payload is None else f"its {len(payload)} bytes would not fit"
                )
                target = target.parent / f"{index + 1:04d}.error"
                payload = (
                    f"not stored: {why}: batch jobs may hold {(self.quota or 0) / 1e6:g} MB "
                    "(CLARION_BATCH_DISK_MB); delete finished jobs and submit the rest again"
                ).encode()
            try:
                _write_atomic(target, payload)
            except OSError as e:
                why = "no space left on the device" if e.errno == errno.ENOSPC else str(e)
                self._failure[job_id] = (
                    f"could not store results under {target.parent} ({why}); finished items are kept: "
                    "free space and restart the server to resume"
                )
                raise
            self._used += len(payload)

    async def _run_all(self) -> None:
        while True:
            job_id = await self._queue.get()
            if job_id in self._cancelled:
                continue
            self._current = job_id
            task = asyncio.get_running_loop().create_task(self._run(job_id), name=f"batch-job-{job_id}")
            self._task = task
            try:
                await asyncio.wait({task})
            finally:
                self._current = None
                self._task = None
                if not task.done():  # the runner itself is stopping
                    task.cancel()
                    await asyncio.gather(task, return_exceptions=True)
            if task.cancelled():
                continue  # deleted while it ran
            failure = task.exception()
            if failure is None or isinstance(failure, NotFound):
                continue  # NotFound: deleted while it ran
            if isinstance(failure, ServiceUnavailable):
                log.warning("batch job %s paused (%s); it resumes at the next start", job_id, failure.message)
            else:
                log.error("batch job %s failed", job_id, exc_info=failure)

    async def _run(self, job_id: str) -> None:
        folder = self._folder(job_id)
        req = self._request(job_id)
        items = folder / "items"
        fmt = req.response_format
        existing = set(os.listdir(items))
        todo = [
            i
            for i, item in enumerate(req.items)
            if item_name(i, item, fmt) not in existing and f"{i + 1:04d}.error" not in existing
        ]
        log.info("batch job %s: %d of %d items to render", job_id, len(todo), len(req.items))
        t0 = time.monotonic()
        limit = asyncio.Semaphore(self.settings.batch_concurrency)

        async def one(i: int) -> None:
            async with limit:
                if job_id in self._cancelled or job_id in self._failure:
                    return
                item = req.items[i]
                payload: bytes | None = None  # None: not rendered, the quota is full already
                target = items / item_name(i, item, fmt)
                while self.quota is None or self._used < self.quota:
                    try:
                        job = plan(self.service, replace(req, items=(item,)), background=True)[0]
                        data = await render(self.service, job, fmt, req.sample_rate)
                        target, payload = items / item_name(i, item, fmt), data
                    except QueueFull:
                        await asyncio.sleep(1.0)  # interactive traffic filled the queue: wait our turn
                        continue
                    except ClarionError as e:
                        if e.status == 503:  # shutting down or engine lost: resume this item later
                            raise
                        target, payload = items / f"{i + 1:04d}.error", e.message.encode()
                    break
                try:
                    await asyncio.to_thread(self._store, job_id, i, target, payload)
                except OSError as e:
                    if job_id not in self._cancelled:  # _store said why
                        log.error("batch job %s stopped: %s", job_id, self._failure.get(job_id, e))

        await asyncio.gather(*(one(i) for i in todo))
        log.info("batch job %s finished in %.1f s", job_id, time.monotonic() - t0)
