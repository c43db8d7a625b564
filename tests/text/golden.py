"""The golden sets in tests/data/text, as cases with their category and options.

Format: ``input<TAB>expected[<TAB>options]``; ``#`` lines without a tab are comments, and a comment
``# --- name`` starts category ``name``. Options, comma separated: ``yao=true|false``,
``erhua=merge``, ``language=zh|en`` (defaults to the file's language: the voice that
would read the text)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from clarion.text.frontend import FrontEndOptions, TextFrontEnd
from clarion.text.spans import Language

DATA = Path(__file__).resolve().parents[1] / "data" / "text"


@dataclass(frozen=True, slots=True)
class Case:
    category: str
    text: str
    expected: str
    options: FrontEndOptions
    line: int


def load(language: Language) -> list[Case]:
    cases: list[Case] = []
    category = "uncategorised"
    path = DATA / f"{language}_golden.tsv"
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith("# ---"):
            category = line.removeprefix("# ---").strip()
            continue
        if not line.strip() or (line.startswith("#") and "\t" not in line):
            continue  # a comment; a case may start with # ("#1\tnumber one")
        parts = line.split("\t")
        if len(parts) not in (2, 3):
            raise ValueError(f"{path.name}:{number}: expected 2 or 3 tab-separated fields, got {len(parts)}")
        cases.append(
            Case(
                category, parts[0], parts[1], _options(language, parts[2] if len(parts) == 3 else ""), number
            )
        )
    return cases


def _options(language: Language, spec: str) -> FrontEndOptions:
    values = dict(item.split("=", 1) for item in spec.split(",") if item.strip())
    unknown = set(values) - {"yao", "erhua", "language"}
    if unknown:
        raise ValueError(f"unknown golden options: {sorted(unknown)}")
    erhua: Literal["keep", "merge"] = "merge" if values.get("erhua") == "merge" else "keep"
    lang = values.get("language", language)
    if lang not in ("zh", "en"):
        raise ValueError(f"language must be zh or en, got {lang!r}")
    default = FrontEndOptions()
    return FrontEndOptions(
        yao=values["yao"] == "true" if "yao" in values else default.yao,
        erhua=erhua,
        language="zh" if lang == "zh" else "en",
    )


def run(frontend: TextFrontEnd, case: Case) -> str:
    """What the route and a synthesis request to a voice of the case's language read."""
    return frontend.process(case.text, case.options).text
