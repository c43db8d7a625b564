"""Clarion's text normaliser on another project's public test cases: the TN test lines that
WeTextProcessing ships in its wheel (tn/chinese/test/data/*.txt, tn/english/test/data/*.txt, lines
`input => expected`).

Usage:
    .venv/bin/python benchmarks/public_tn_cases.py [--wheel PATH] [--show]

Without --wheel it fetches the wheel from PyPI (`pip download --no-deps WeTextProcessing==1.2.0`)
into a temporary directory; the cases are read from it at run time, never kept in this repository.
Prints, per language and per file, how many of Clarion's outputs equal the expected text once case,
whitespace and punctuation are dropped. Mandarin is read with yao (幺 in digit strings), as a Mandarin
voice reads it. --show lists every disagreement; many are conventions Clarion does not share
(千克 for kg, 两百, erhua removed, British "and", "negative", day-first dates) rather than faults.
"""

from __future__ import annotations

import argparse
import collections
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from clarion.text.en import normalize_en
from clarion.text.zh import normalize_zh

PACKAGE = "WeTextProcessing==1.2.0"
FOLDERS = {"zh": "tn/chinese/test/data/", "en": "tn/english/test/data/"}
_LOOSE = re.compile(r"[\s,.\-!?;:'\"，。！？；：“”]")


def loose(text: str) -> str:
    return _LOOSE.sub("", text.lower())


def fetch(into: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", PACKAGE, "-d", str(into)],
        check=True,
    )
    return next(into.glob("*.whl"))


def cases(wheel: Path, language: str) -> list[tuple[str, str, str]]:
    """(file, input, expected) of one language's test lines."""
    out = []
    with zipfile.ZipFile(wheel) as z:
        for name in sorted(z.namelist()):
            if name.startswith(FOLDERS[language]) and name.endswith(".txt"):
                for line in z.read(name).decode("utf-8").splitlines():
                    if "=>" in line:
                        given, expected = (part.strip() for part in line.split("=>", 1))
                        out.append((Path(name).name, given, expected))
    return out


def read(language: str, text: str) -> str:
    return (normalize_zh(text, yao=True) if language == "zh" else normalize_en(text)).text


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--wheel", type=Path, help="a downloaded WeTextProcessing wheel (default: fetch it)")
    ap.add_argument("--show", action="store_true", help="list every disagreement")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.wheel or fetch(Path(tmp))
        for language in ("zh", "en"):
            per_file: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
            for file, given, expected in cases(wheel, language):
                said = read(language, given)
                same = loose(said) == loose(expected)
                per_file[file][0] += same
                per_file[file][1] += 1
                if args.show and not same:
                    print(f"  {language} {file}: {given!r} -> {said!r}, expected {expected!r}")
            equal = sum(n for n, _ in per_file.values())
            total = sum(t for _, t in per_file.values())
            files = ", ".join(f"{f.removesuffix('.txt')} {n}/{t}" for f, (n, t) in sorted(per_file.items()))
            print(f"{language}: {equal} of {total} equal ({files})")


if __name__ == "__main__":
    main()
