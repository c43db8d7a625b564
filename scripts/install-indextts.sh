#!/usr/bin/env bash
# Install IndexTTS-2's inference code into ./.venv, after `scripts/install.sh` with the `indextts` extra.
#
# The official IndexTTS-2 package is not on PyPI; indextts2-inference 2.1.1 repackages the same
# `indextts` module. It declares torch and torchaudio without an upper bound, so pip would replace
# the CPU torch here with a CUDA build of several GB. Its code runs on the versions the `indextts`
# extra installs (torch 2.13, transformers 5.x), which the tests check, so the package itself goes
# in without its declared dependencies; the extra lists what its code imports.
set -euo pipefail
# Also run by deploy/docker/Dockerfile against the image's venv (CLARION_PYTHON), and asked for
# its pin by deploy/docker/build.sh (--requirement), so that the image installs the same.
requirement="indextts2-inference==2.1.1"
if [ "${1:-}" = --requirement ]; then echo "$requirement"; exit 0; fi
python="${CLARION_PYTHON:-.venv/bin/python}"
cd "$(dirname "$0")/.."
"$python" -m pip install --quiet --no-deps "$requirement"
# Fail here rather than in the tests if something the package imports is missing.
"$python" -c "from clarion.engines.indextts import import_indextts; import_indextts()"
