"""Live heap growth under the soak's load: what the server's own allocations still hold after a
long soak against after a short one, counted by heaptrack, so a leak shows apart from the
allocator's noise. RSS and glibc's "in use" also move with what the allocator keeps for itself
(per-thread caches, partly used pages); heaptrack sees every malloc and free, so what it still
counts live is held by the program. Each run soaks a server running under heaptrack (Debian's
package, not a Python dependency) with benchmarks/soak.py's open-loop mix, waits until the
server has been quiet long enough to trim, and kills it at once (SIGKILL, so no destructor runs
first): heaptrack's "leaked" bytes are then exactly what was live at that moment.

Prints both runs, the growth per 1,000 requests between them, and the call stacks that grew
most (leaf first; a frame of a library without symbols shows as library+offset).

Usage: python benchmarks/live_heap.py [--short 5m] [--long 25m] [--load 0.7] [--seed 2] [--top 8]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from clarion.bench.schedule import parse_duration
from harness import (  # same directory: shared by the benchmarks
    QUIET_S,
    capacity,
    languages_served,
    mean_work,
    process_tree,
    server_process,  # same directory: shared by the benchmarks
    soak,
)

Stacks = collections.Counter[str]


@dataclass
class Run:
    rate: float
    requests: int
    errors: int
    stacks: Stacks  # live bytes per call stack (root first, frames joined by ';')

    @property
    def live_mb(self) -> float:
        return sum(self.stacks.values()) / 1e6


def server_pid(root: int) -> int:
    """The `clarion serve` process itself, under heaptrack's shell script."""
    python = os.path.realpath(sys.executable)
    for pid in process_tree(root):
        try:
            exe = os.path.realpath(f"/proc/{pid}/exe")
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                args = f.read().split(b"\0")
        except OSError:
            continue
        if exe == python and b"clarion.cli" in args:
            return pid
    raise RuntimeError("no clarion server under heaptrack")


def mappings(pid: int) -> list[tuple[int, int, int, str]]:
    """(start, end, file offset, file name) of each file-backed mapping of ``pid``."""
    out = []
    with open(f"/proc/{pid}/maps", encoding="utf-8") as f:
        for line in f:
            parts = line.split(maxsplit=5)
            if len(parts) == 6 and parts[5].startswith("/"):
                lo, hi = (int(x, 16) for x in parts[0].split("-"))
                name = Path(parts[5].split(" (deleted)")[0].strip()).name
                out.append((lo, hi, int(parts[2], 16), name))
    return out


def name_frame(frame: str, maps: list[tuple[int, int, int, str]]) -> str:
    """A bare address as library+offset, so that runs with different load addresses (and the
    temporary copies phonemizer makes of libespeak-ng) compare."""
    if not frame.startswith("0x"):
        return frame
    address = int(frame.split()[0], 16)
    for lo, hi, offset, name in maps:
        if lo <= address < hi:
            return f"{name}+{address - lo + offset:#x}"
    return frame


def live_stacks(data: Path, maps: list[tuple[int, int, int, str]]) -> Stacks:
    with tempfile.NamedTemporaryFile("r", suffix=".stacks") as out:
        subprocess.run(
            ["heaptrack_print", "-f", str(data), "-F", out.name, "--flamegraph-cost-type", "leaked"]
            + [f"--print-{part}=0" for part in ("leaks", "peaks", "allocators", "temporary")],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        stacks: Stacks = collections.Counter()
        named: dict[str, str] = {}
        for line in out:
            stack, _, cost = line.rstrip("\n").rpartition(" ")
            frames = [
                named.get(f) or named.setdefault(f, name_frame(f, maps)) for f in stack.rstrip(";").split(";")
            ]
            stacks[";".join(frames)] += int(cost)
    return stacks


def soak_under_heaptrack(
    engines: str, seconds: float, rate: float | None, load: float, seed: int, workdir: Path
) -> Run:
    data = workdir / f"run-{seconds:.0f}s"
    with server_process(engines, prefix=["heaptrack", "-o", str(data)]) as (url, root):
        pid = server_pid(root)
        languages = languages_served(url)
        if rate is None:
            rate = load * asyncio.run(capacity(url, languages, 40, 4)) / mean_work(languages)
        results = asyncio.run(soak(url, pid, rate, seconds, languages, seed))
        time.sleep(QUIET_S)  # long enough for the server's idle trim
        for _ in range(20):
            # Short-lived allocations only: they push out the events heaptrack still buffers
            # (a page or so), which SIGKILL would otherwise lose.
            httpx.get(f"{url}/metrics")
        maps = mappings(pid)
        os.kill(pid, signal.SIGKILL)
        wait_for_exit(root)  # heaptrack's script ends once its file is written
    errors = sum(1 for d in results.done if d[2] != 200)
    return Run(
        rate,
        len(results.done),
        errors,
        live_stacks(data.with_suffix(".zst"), maps),
    )


def wait_for_exit(pid: int, timeout: float = 300) -> None:
    """Wait until ``pid`` (a child of server_process, which reaps it) has ended: gone, or a zombie."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii") as f:
                if f.read().rpartition(")")[2].split()[0] == "Z":
                    return
        except OSError:
            return
        time.sleep(0.5)
    raise RuntimeError("heaptrack did not finish writing")


def grown(short: Stacks, long: Stacks, depth: int) -> list[tuple[int, str]]:
    """Growth per call stack, stacks merged on their ``depth`` frames nearest the allocation."""
    by_leaf: Stacks = collections.Counter()
    for stack in short.keys() | long.keys():
        leaf = " <- ".join(reversed(stack.split(";")[-depth:]))
        by_leaf[leaf] += long.get(stack, 0) - short.get(stack, 0)
    return sorted(((d, s) for s, d in by_leaf.items()), reverse=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--short", default="5m", help="the shorter soak")
    ap.add_argument("--long", default="25m", help="the longer soak")
    ap.add_argument("--load", type=float, default=0.7, help="fraction of capacity, measured in the first run")
    ap.add_argument("--engines", default="hibari,kokoro")
    ap.add_argument("--seed", type=int, default=2)
    ap.add_argument("--top", type=int, default=8, help="stacks to show")
    ap.add_argument("--depth", type=int, default=12, help="frames nearest the allocation that name a stack")
    args = ap.parse_args()
    if shutil.which("heaptrack") is None or shutil.which("heaptrack_print") is None:
        sys.exit("needs heaptrack (Debian: apt install heaptrack)")
    with tempfile.TemporaryDirectory() as tmp:
        runs: list[Run] = []
        for duration in (args.short, args.long):
            rate = runs[0].rate if runs else None
            run = soak_under_heaptrack(
                args.engines, parse_duration(duration), rate, args.load, args.seed, Path(tmp)
            )
            runs.append(run)
            print(
                f"soak of {duration} at {run.rate:.2f} req/s: {run.requests} requests, {run.errors} errors; "
                f"live heap at the end {run.live_mb:.2f} MB",
                flush=True,
            )
    short, long = runs
    more = long.requests - short.requests
    growth = long.live_mb - short.live_mb
    changes = grown(short.stacks, long.stacks, args.depth)
    up = sum(d for d, _ in changes if d > 0) / 1e6
    down = sum(d for d, _ in changes if d < 0) / 1e6
    print(
        f"live heap growth: {growth:+.2f} MB over {more} more requests = "
        f"{growth / more * 1000:+.2f} MB per 1,000 requests (stacks that grew: {up:+.2f} MB, "
        f"that shrank: {down:+.2f} MB)"
    )
    for delta, stack in changes[: args.top]:
        print(f"  {delta / 1e3:+9.1f} KB  {stack}")


if __name__ == "__main__":
    main()
