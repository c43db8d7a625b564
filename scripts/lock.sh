#!/usr/bin/env bash
# Regenerate requirements/test.lock from a resolver install of the test extras.
# Usage: scripts/lock.sh   (rebuilds ./.venv without the lock, then freezes it)
set -euo pipefail
cd "$(dirname "$0")/.."
extras="$(sed -n 's/^extras="\(.*\)"$/\1/p' scripts/test.sh)"
rm -rf .venv
CLARION_LOCK= bash scripts/install.sh "$extras"
{
  sed -n '/^#/p' requirements/test.lock
  # pip itself is the venv's own; py-spy and the like, installed by hand, are no dependency.
  .venv/bin/python -m pip freeze --all --exclude-editable | grep -v '^#' | grep -iv '^pip=='
} > requirements/test.lock.new
mv requirements/test.lock.new requirements/test.lock
