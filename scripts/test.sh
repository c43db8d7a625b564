#!/usr/bin/env bash
# Install Clarion with every extra that runs here plus the test tools, then run the
# linters, the type checker and the whole test suite. .ci/run runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
export CLARION_TEST_MODELS_DIR="${CLARION_TEST_MODELS_DIR:-$PWD/.cache/test-models}"
export CLARION_MODELS_DIR="$CLARION_TEST_MODELS_DIR"
bash scripts/install.sh kokoro,piper,test
# Debian's Prometheus, for the test that scrapes a running server (needs root for apt).
if ! command -v prometheus >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi
.venv/bin/ruff check src tests benchmarks
.venv/bin/ruff format --check src tests benchmarks
.venv/bin/mypy
.venv/bin/pytest "$@"
