"""Untrusted decoding in a child process: a crash or a slow file costs the child only."""

from __future__ import annotations

import multiprocessing as mp
import os
import time

import numpy as np
import pytest

from clarion.audio.encoders import encode
from clarion.audio.formats import AudioFormat
from clarion.audio.sandbox import DecodeFailed, DecodeTimeout, _child, decode_untrusted
from tests.voices.corpus import speech_like, wav_bytes


def test_decodes_in_another_process_and_matches() -> None:
    clip = speech_like(2.0)
    got = decode_untrusted(encode(clip, 16_000, AudioFormat.FLAC), "flac", max_seconds=10)
    assert got.sample_rate == 16_000 and got.channels == 1 and not got.truncated and got.damage is None
    np.testing.assert_allclose(got.samples, clip, atol=1e-4)


def test_stops_at_the_length_limit() -> None:
    got = decode_untrusted(wav_bytes(speech_like(10.0), 16_000), "wav", max_seconds=3)
    assert got.truncated and 3 * 16_000 < len(got.samples) < 4 * 16_000


def test_a_decoder_crash_is_contained_and_the_header_still_reported() -> None:
    # PyAV 18 segfaults converting this 8-channel frame to numpy: a real native crash.
    data = wav_bytes(speech_like(4.0, 16_000, 8), 16_000, 8)
    with pytest.raises(DecodeFailed) as caught:
        decode_untrusted(data, "wav", max_seconds=60)
    if "crashed" not in str(caught.value):
        pytest.skip("this PyAV build no longer crashes on 8 channels")
    assert caught.value.header == (16_000, 8)
    assert os.getpid()  # still here


def test_the_time_limit_kills_a_slow_decode() -> None:
    big = encode(np.zeros(8_000 * 3600, np.float32), 8_000, AudioFormat.FLAC)
    with pytest.raises(DecodeTimeout, match=r"longer than 0\.05 s"):
        decode_untrusted(big, "flac", max_seconds=4000, timeout_s=0.05)


def _spin(until: float) -> None:
    while time.monotonic() < until:
        pass


def test_a_busy_machine_does_not_make_a_good_clip_time_out() -> None:
    # The limit is the child's CPU time: queueing behind busy cores is not the file's fault.
    clip = wav_bytes(speech_like(1.0), 16_000)
    ctx = mp.get_context("fork")
    until = time.monotonic() + 6
    spinners = [ctx.Process(target=_spin, args=(until,)) for _ in range(8 * (os.cpu_count() or 1))]
    for p in spinners:
        p.start()
    try:
        # A second of CPU is plenty for a second of WAV, even with this process's page faults.
        got = [decode_untrusted(clip, "wav", max_seconds=10, timeout_s=1.0) for _ in range(3)]
    finally:
        for p in spinners:
            p.kill()
            p.join()
    assert all(len(g.samples) == 16_000 for g in got)


def test_a_decode_whose_server_stopped_listening_ends_quietly() -> None:
    # Shutdown can close the pipe while a decode runs (the start-up warm-up one, say): the
    # child has nobody to tell, and must not print a traceback into the server's log.
    ctx = mp.get_context("forkserver")
    parent, child = ctx.Pipe(duplex=False)
    parent.close()
    proc = ctx.Process(
        target=_child, args=(child, wav_bytes(speech_like(1.0), 16_000), "wav", 10, 30, 1 << 31)
    )
    proc.start()
    child.close()
    proc.join(60)
    assert proc.exitcode == 0
