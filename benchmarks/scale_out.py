"""Horizontal scaling with deploy/compose.yaml: throughput with 1 and 3 replicas behind nginx,
and what happens to requests when a replica is stopped in the middle of a run.

Runs the real stack: a private dockerd, the image built by deploy/docker/build.sh --offline
(on local stand-in base images here, see tests/deploy/dockerenv.py), compose's `scale`
profile, and closed-loop synthesis requests (POST /v1/audio/speech, hibari, PCM) on nginx's
loopback port. Every request is counted: 200 with audio, or failed by status or error.

Usage (root; Debian's docker.io, docker-compose and debootstrap installed):
    python benchmarks/scale_out.py [--seconds 30] [--concurrency 6] [--kill]

--kill stops the replica with SIGKILL instead of `docker stop` (SIGTERM, then drain): the
requests it was synthesising die with it, and nginx replays them on another replica.

On this 2-core machine the three replicas share the same two cores, so three replicas give
availability, not more throughput; the replica count that raises throughput is the one that
adds cores (another host, or a Kubernetes node).
"""

from __future__ import annotations

import argparse
import statistics
import time

from dockerenv import (  # same directory: shared with tests/deploy/test_docker.py
    IMAGE,
    LoadResult,
    Stack,
    build_image,
    compose_stack,
    dockerd,
    drive,
)


def row(label: str, r: LoadResult) -> str:
    lat = sorted(r.latencies)
    p50 = statistics.median(lat) if lat else float("nan")
    p95 = lat[int(0.95 * (len(lat) - 1))] if lat else float("nan")
    failed = ", ".join(f"{k}: {v}" for k, v in sorted(r.failed.items())) or "-"
    return (
        f"{label:<34} {r.seconds:6.1f} {r.ok:6d} {r.failures:7d} {r.throughput:7.2f} "
        f"{p50 * 1000:7.0f} {p95 * 1000:7.0f}  {failed}"
    )


def retried(stack: Stack, since: int) -> int:
    """Requests nginx sent to more than one replica, from its access log after line ``since``."""
    lines = [line for line in stack.logs("nginx").splitlines() if "upstream_status=" in line][since:]
    return sum(
        1
        for line in lines
        if "upstream_status=" in line and "," in line.split("upstream_status=")[1].split()[0]
    )


def nginx_lines(stack: Stack) -> int:
    return sum(1 for line in stack.logs("nginx").splitlines() if "upstream_status=" in line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each load phase")
    parser.add_argument("--concurrency", type=int, default=6, help="requests in flight at once")
    parser.add_argument("--kill", action="store_true", help="SIGKILL the replica instead of docker stop")
    args = parser.parse_args()
    if args.seconds <= 0 or args.concurrency < 1:
        parser.error("--seconds must be > 0 and --concurrency >= 1")

    with dockerd() as docker:
        built = build_image(docker)
        print(f"image {IMAGE}: {docker.image_size(IMAGE) / 1e6:.0f} MB; stand-ins and build {built:.0f} s")
        with compose_stack(docker, "clarion-scale-bench", replicas=1) as stack:
            stack.wait_ready(stack.lb_url)
            drive(stack.lb_url, 3, args.concurrency, stack.api_key)  # warm-up, not counted
            header = (
                f"{'phase':<34} {'s':>6} {'ok':>6} {'failed':>7} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7}"
            )
            print(f"\n{header}  failures")
            one = drive(stack.lb_url, args.seconds, args.concurrency, stack.api_key)
            print(row("1 replica", one), flush=True)

            stack.scale(3)
            stack.wait_ready(stack.lb_url)
            drive(stack.lb_url, 3, args.concurrency, stack.api_key)
            three = drive(stack.lb_url, args.seconds, args.concurrency, stack.api_key)
            print(row("3 replicas", three), flush=True)

            victim = stack.replicas()[1]
            stopped_at: list[float] = []

            def stop_one() -> None:
                stopped_at.append(time.monotonic())
                docker("kill" if args.kill else "stop", victim, timeout=120)

            before = nginx_lines(stack)
            start = time.monotonic()
            failover = drive(stack.lb_url, args.seconds, args.concurrency, stack.api_key, midway=stop_one)
            how = "killed" if args.kill else "stopped"
            label = f"3 replicas, one {how} at {stopped_at[0] - start:.0f} s" if stopped_at else "3 replicas"
            print(row(label, failover))
            total = failover.ok + failover.failures
            print(f"\nfailed requests while a replica was {how}: {failover.failures} of {total}")
            print(f"requests nginx retried on another replica: {retried(stack, before)}")
            print(f"throughput 3 vs 1 replica: {three.throughput / one.throughput:.2f}x (same 2 cores)")


if __name__ == "__main__":
    main()
