"""The audio cache's tiers: LRU by bytes in memory, LRU files on disk that survive a
restart, and damaged files treated as misses."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from clarion.cache import AudioCache, CachedChunk, DiskTier, MemoryTier, cache_key


def entry(n: int, text: str = "x") -> tuple[CachedChunk, ...]:
    return (CachedChunk(np.full(n, 0.5, np.float32), text),)


def test_keys_are_stable_and_sensitive() -> None:
    a = cache_key(["hibari", "heart", "Hello.", 1.0, {"b": 1, "a": 2}])
    assert a == cache_key(["hibari", "heart", "Hello.", 1.0, {"a": 2, "b": 1}])
    assert a != cache_key(["hibari", "heart", "Hello!", 1.0, {"a": 2, "b": 1}])
    assert a != cache_key(["hibari", "heart", "Hello.", 1.1, {"a": 2, "b": 1}])


def test_memory_tier_evicts_least_recently_used_by_bytes() -> None:
    tier = MemoryTier(max_bytes=3 * 4000 + 10)  # three entries of 1000 float32s
    for k in "abc":
        tier.put(k, entry(1000))
    assert tier.get("a") is not None  # a is now the most recent
    assert tier.put("d", entry(1000)) == 1
    assert tier.get("b") is None and tier.get("a") is not None and tier.get("d") is not None
    assert tier.bytes <= tier.max_bytes
    assert tier.put("huge", entry(10_000)) == 0 and tier.get("huge") is None  # never evict all for one


def test_disk_tier_survives_a_restart_and_evicts_old_files(tmp_path: Path) -> None:
    tier = DiskTier(tmp_path, max_bytes=10_000_000)
    tier.put(
        "k1",
        (CachedChunk(np.arange(5, dtype=np.float32), "first"), CachedChunk(np.ones(3, np.float32), "二")),
    )
    again = DiskTier(tmp_path, max_bytes=10_000_000)
    got = again.get("k1")
    assert got is not None and [c.text for c in got] == ["first", "二"]
    np.testing.assert_array_equal(got[0].samples, np.arange(5, dtype=np.float32))
    # Room for one more entry of the same size, not two.
    small = DiskTier(tmp_path, max_bytes=again.bytes * 2 + 100)
    same = (CachedChunk(np.zeros(5, np.float32), "other"), CachedChunk(np.zeros(3, np.float32), "三"))
    assert small.put("k2", same) == 0
    assert small.put("k3", same) == 1  # k1 was used longest ago
    assert small.get("k1") is None and small.get("k2") is not None and small.get("k3") is not None
    assert small.bytes <= small.max_bytes


def test_a_damaged_file_is_a_miss_and_is_removed(tmp_path: Path) -> None:
    tier = DiskTier(tmp_path, max_bytes=1_000_000)
    tier.put("k", entry(10))
    (tmp_path / "k.npz").write_bytes(b"not an npz")
    assert tier.get("k") is None
    assert not (tmp_path / "k.npz").exists()


def test_disk_hits_are_promoted_to_memory_and_observed(tmp_path: Path) -> None:
    seen: list[tuple[str, str]] = []
    cache = AudioCache(1_000_000, tmp_path, 1_000_000, observe=lambda r, t: seen.append((r, t)))
    assert cache.get("k") is None
    cache.put("k", entry(10))
    fresh = AudioCache(1_000_000, tmp_path, 1_000_000, observe=lambda r, t: seen.append((r, t)))
    assert fresh.get("k") is not None and fresh.get("k") is not None
    assert seen == [("miss", "disk"), ("store", "memory"), ("hit", "disk"), ("hit", "memory")]


def test_disk_tier_keeps_word_timings_and_reads_old_files_as_untimed(tmp_path: Path) -> None:
    from clarion.types import WordTiming

    words = (WordTiming("Hello", 0.05, 0.3), WordTiming("there", 0.36, 0.7))
    tier = DiskTier(tmp_path, max_bytes=10_000_000)
    tier.put("timed", (CachedChunk(np.ones(4, np.float32), "Hello there.", words), *entry(2, "")))
    got = DiskTier(tmp_path, max_bytes=10_000_000).get("timed")
    assert got is not None
    assert got[0].words == words and got[1].words is None  # an untimed chunk stays untimed
    # A file written before timings were kept: no "words" array, read as untimed.
    np.savez(tmp_path / "old.npz", a0=np.ones(3, np.float32), texts=np.frombuffer(b'["Hi."]', np.uint8))
    old = tier.get("old")
    assert old is not None and old[0].text == "Hi." and old[0].words is None
