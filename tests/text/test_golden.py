"""The golden sets, run through the front end the way /v1/text/normalize and a synthesis
request run them: lexicon, language spans with the voice's language, per-language rules."""

from __future__ import annotations

from collections import Counter

import pytest

from clarion.text.frontend import TextFrontEnd
from clarion.text.spans import Language
from tests.text.golden import load, run

MINIMUM = {"zh": 600, "en": 500}


@pytest.mark.parametrize("language", ["zh", "en"])
def test_golden_accuracy_through_the_pipeline(language: Language) -> None:
    cases = load(language)
    frontend = TextFrontEnd()
    total: Counter[str] = Counter()
    passed: Counter[str] = Counter()
    failures = []
    for case in cases:
        got = run(frontend, case)
        total[case.category] += 1
        if got == case.expected:
            passed[case.category] += 1
        else:
            failures.append(
                f"  [{case.category}] line {case.line}: {case.text!r}\n"
                f"    expected {case.expected!r}\n    got      {got!r}"
            )
    accuracy = sum(passed.values()) / len(cases)
    table = "\n".join(f"  {cat:<24} {passed[cat]:>4}/{n:<4}" for cat, n in total.items())
    report = (
        f"{language} golden: {sum(passed.values())}/{len(cases)} = {accuracy:.2%}\n{table}\n"
        + "\n".join(failures)
    )
    print(report)
    assert len(cases) >= MINIMUM[language], (
        f"{language} golden set has {len(cases)} cases; at least {MINIMUM[language]} wanted"
    )
    assert accuracy >= 0.98, report


@pytest.mark.parametrize("language", ["zh", "en"])
def test_golden_outputs_are_fixed_points(language: Language) -> None:
    """Normalised text normalises to itself: nothing is read twice (e.g. 百分之 twice)."""
    frontend = TextFrontEnd()
    moved = []
    for case in load(language):
        once = run(frontend, case)
        twice = frontend.process(once, case.options).text
        if twice != once:
            moved.append(f"{case.text!r}: {once!r} -> {twice!r}")
    assert not moved, "\n".join(moved)
