#!/usr/bin/env bash
# Install chatterbox-tts into ./.venv, after `scripts/install.sh` with the `chatterbox` extra.
#
# chatterbox-tts 0.1.7 pins torch==2.6.0, torchaudio==2.6.0, transformers==5.2.0, numpy<2 and
# safetensors==0.5.3 (and gradio, for its demo). Honouring them would replace the CPU torch with a
# CUDA build of several GB and downgrade the transformers that chattts uses. Its code runs on the
# versions the `chatterbox` extra installs (torch 2.13, transformers 5.x, numpy 2), which the tests
# check, so the package itself goes in without its declared dependencies. pip then warns about the
# unmet pins; that warning is expected.
set -euo pipefail
# Also run by deploy/docker/Dockerfile against the image's venv (CLARION_PYTHON), and asked for
# its pin by deploy/docker/build.sh (--requirement), so that the image installs the same.
requirement="chatterbox-tts==0.1.7"
if [ "${1:-}" = --requirement ]; then echo "$requirement"; exit 0; fi
python="${CLARION_PYTHON:-.venv/bin/python}"
cd "$(dirname "$0")/.."
"$python" -m pip install --quiet --no-deps "$requirement"
# Fail here rather than in the tests if something the package imports is missing.
"$python" -c "from clarion.engines.chatterbox import import_chatterbox; import_chatterbox()"
