#!/usr/bin/env bash
# Debian packages the test suite drives for real (Prometheus; chromium for the web page
# tests, driven by Playwright), and whatever later suites add. Installs only what is
# missing, and only where it can (root with apt-get).
set -euo pipefail
# docker.io, docker-compose, debootstrap, nginx: the deployment tests (tests/deploy/test_docker.py).
# heaptrack: benchmarks/live_heap.py and its test.
packages=(prometheus chromium docker.io docker-compose debootstrap nginx heaptrack)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: cannot install ${missing[*]} (needs root and apt-get); tests that need them skip" >&2
  exit 0
fi
apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
