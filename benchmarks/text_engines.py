"""Clarion's text normaliser against WeTextProcessing and NeMo on Clarion's golden sets.

Usage (each engine with the Python that has it installed; the libraries in scratch virtualenvs, e.g.
`python3 -m venv /tmp/tn/wetext && /tmp/tn/wetext/bin/pip install WeTextProcessing==1.2.0`, and
`nemo-text-processing` likewise in /tmp/tn/nemo):
    .venv/bin/python benchmarks/text_engines.py --engine clarion
    /tmp/tn/wetext/bin/python benchmarks/text_engines.py --engine wetext
    /tmp/tn/nemo/bin/python benchmarks/text_engines.py --engine nemo

Reads tests/data/text/{zh,en}_golden.tsv itself (lines `input<TAB>expected[<TAB>options]`, `#` comments,
category headers such as `# --- units` or `# measures`), so the foreign engines' virtualenvs do not need
Clarion. Options (comma separated: yao=true|false, erhua=merge, language=zh|en) are Clarion switches, read
as tests/text/golden.py reads them (an option not given keeps FrontEndOptions' default; language defaults
to the file's); the foreign engines skip the cases that have options.

Per language it prints exact-match accuracy; a loose accuracy that ignores case, whitespace and
punctuation (conventions differ: "twenty-three" and "twenty three" both pass); accuracy per category;
throughput in input characters per second over the whole set (one call per case, best of --repeats;
CPU time by default, see --clock); per-case latency; the warm latency of one typical sentence
(FIRST_SENTENCE); the first-call latency of a fresh process (import, build the normaliser, first
normalise call), measured in a child process; and a few disagreements. --dump writes every case's
output as TSV, to compare engines case by case.

NeMo builds its grammars on first use (English: about 30 s of CPU); they are kept in --cache-dir, and
the first-call line says whether that cache was cold. WeTextProcessing loads the grammars its wheel
ships, built with its defaults (erhua removal, full-width punctuation to half-width).
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

_T_START = time.perf_counter()

ENGINES = ("clarion", "wetext", "nemo")
LANGUAGES = ("zh", "en")
DATA_DIR = Path(__file__).resolve().parents[1] / "tests" / "data" / "text"
DEFAULT_CACHE = Path(tempfile.gettempdir()) / "clarion-text-engines"
# The sentence each fresh process normalises first.
FIRST_SENTENCE = {
    "zh": "今天是2024年6月15日，气温25℃，我们花了¥1,200元买了3.5kg的茶叶。",
    "en": "On June 15, 2024 the company sold 1,250 units at $9.99 each, up 12.5% from 2023.",
}
# A category header: "# --- units" (zh) or "# measures" (en); prose comments have capitals or punctuation.
HEADER = re.compile(r"^#\s*(?:---\s*)?([a-z][a-z +&/-]{0,39})$")

Normalise = Callable[[str, str], str]  # (text, options) -> spoken form


@dataclasses.dataclass(frozen=True)
class Case:
    text: str
    expected: str
    options: str
    category: str


@dataclasses.dataclass
class Golden:
    cases: list[Case]
    tabbed_comments: int  # "#..." lines holding a tab: read as comments, as the tests read them


def load_golden(path: Path) -> Golden:
    cases: list[Case] = []
    tabbed = 0
    category = "uncategorised"
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        if line.startswith("#"):
            if m := HEADER.match(line.strip()):
                category = m.group(1).strip()
            elif "\t" in line:
                tabbed += 1
            continue
        parts = line.split("\t")
        if len(parts) < 2:
            continue
        cases.append(Case(parts[0], parts[1], parts[2] if len(parts) > 2 else "", category))
    return Golden(cases, tabbed)


def parse_options(spec: str) -> dict[str, str]:
    """ "yao=true,erhua=merge" -> {"yao": "true", "erhua": "merge"}."""
    items = (item.split("=", 1) for item in spec.split(",") if "=" in item)
    return {key.strip(): value.strip() for key, value in items}


def loose(text: str) -> str:
    """Case, whitespace and punctuation dropped."""
    return "".join(
        ch for ch in text.casefold() if not ch.isspace() and not unicodedata.category(ch).startswith("P")
    )


# ---------------------------------------------------------------- engines


def engine_version(engine: str) -> str:
    from importlib import metadata

    dist = {"clarion": "clarion", "wetext": "WeTextProcessing", "nemo": "nemo-text-processing"}[engine]
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "unknown"


def make_normaliser(engine: str, lang: str, cache_dir: Path) -> Normalise:
    if engine == "clarion":
        return _clarion(lang)
    if engine == "wetext":
        module = "tn.chinese.normalizer" if lang == "zh" else "tn.english.normalizer"
        wetext = importlib.import_module(module).Normalizer()
        return lambda text, _opts: str(wetext.normalize(text))
    if engine == "nemo":
        cache_dir.mkdir(parents=True, exist_ok=True)
        nemo_cls = importlib.import_module("nemo_text_processing.text_normalization.normalize").Normalizer
        nemo = nemo_cls(input_case="cased", lang=lang, cache_dir=str(cache_dir))
        return lambda text, _opts: str(nemo.normalize(text, punct_post_process=True))
    raise ValueError(engine)


def _clarion(lang: str) -> Normalise:
    # Through importlib like the other engines: this file also runs where Clarion is not installed.
    frontend_module = importlib.import_module("clarion.text.frontend")
    options_cls = frontend_module.FrontEndOptions
    frontend = frontend_module.TextFrontEnd()
    base: dict[str, Any] = {"language": lang} if clarion_has_language_option() else {}

    def run(text: str, opts: str) -> str:
        kwargs = dict(base)
        for key, value in parse_options(opts).items():
            if key == "yao":
                kwargs["yao"] = value == "true"
            elif key == "erhua":
                kwargs["erhua"] = value
            elif key == "language" and "language" in kwargs:
                kwargs["language"] = value
        return str(frontend.normalize(text, options_cls(**kwargs)).text)

    return run


def clarion_has_language_option() -> bool:
    """FrontEndOptions.language (the reading voice's language) is newer than this benchmark's first run."""
    options_cls = importlib.import_module("clarion.text.frontend").FrontEndOptions
    return "language" in {f.name for f in dataclasses.fields(options_cls)}


# ---------------------------------------------------------------- measurements


def first_call_child(engine: str, lang: str, cache_dir: Path) -> None:
    """Runs in a fresh process: import, build, normalise one sentence; prints one JSON line."""
    cold = engine == "nemo" and not any(cache_dir.glob(f"{lang}_tn_*.far"))
    t0 = time.perf_counter()
    normalise = make_normaliser(engine, lang, cache_dir)
    t1 = time.perf_counter()
    normalise(FIRST_SENTENCE[lang], "")
    t2 = time.perf_counter()
    cpu = time.process_time()  # the whole process so far, interpreter start-up included
    record = {
        "build_s": t1 - t0,
        "first_s": t2 - t1,
        "since_start_s": t2 - _T_START,
        "cold_cache": cold,
        "process_cpu_s": cpu,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,  # Linux: kilobytes
    }
    print("FIRST-CALL " + json.dumps(record), flush=True)


def first_call(engine: str, lang: str, cache_dir: Path) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--engine", engine, "--first-call-child", lang]
    cmd += ["--cache-dir", str(cache_dir)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    for line in proc.stdout.splitlines():
        if line.startswith("FIRST-CALL "):
            record: dict[str, Any] = json.loads(line.removeprefix("FIRST-CALL "))
            record["process_wall_s"] = wall
            return record
    raise RuntimeError(f"first-call child failed ({proc.returncode}):\n{proc.stderr[-3000:]}")


@dataclasses.dataclass
class Result:
    lang: str
    cases: list[Case]
    outputs: list[str]
    skipped: int
    tabbed_comments: int
    best_s: float
    per_case_s: list[float]
    errors: int
    sentence_s: float  # warm, best of runs: FIRST_SENTENCE, a whole sentence with several rules


def run_language(
    engine: str, lang: str, data_dir: Path, cache_dir: Path, repeats: int, clock: Callable[[], float]
) -> Result:
    golden = load_golden(data_dir / f"{lang}_golden.tsv")
    cases = golden.cases if engine == "clarion" else [c for c in golden.cases if not c.options]
    normalise = make_normaliser(engine, lang, cache_dir)
    normalise(FIRST_SENTENCE[lang], "")  # warm up

    def one(case: Case) -> str:
        try:
            return normalise(case.text, case.options)
        except Exception as exc:  # an engine failing on one input counts as a miss
            return f"<error {type(exc).__name__}: {exc}>"

    outputs: list[str] = []
    best = float("inf")
    per_case = [float("inf")] * len(cases)
    for _ in range(repeats):
        outputs = []
        t_all = clock()
        for i, case in enumerate(cases):
            t0 = clock()
            outputs.append(one(case))
            per_case[i] = min(per_case[i], clock() - t0)
        best = min(best, clock() - t_all)
    errors = sum(o.startswith("<error ") for o in outputs)
    sentence = float("inf")
    for _ in range(repeats):
        t0 = clock()
        normalise(FIRST_SENTENCE[lang], "")
        sentence = min(sentence, clock() - t0)
    skipped = len(golden.cases) - len(cases)
    return Result(lang, cases, outputs, skipped, golden.tabbed_comments, best, per_case, errors, sentence)


def report(
    engine: str, r: Result, first: dict[str, Any] | None, examples: int, clock_name: str
) -> dict[str, Any]:
    n = len(r.cases)
    exact = [o == c.expected for c, o in zip(r.cases, r.outputs, strict=True)]
    loose_ok = [loose(o) == loose(c.expected) for c, o in zip(r.cases, r.outputs, strict=True)]
    chars = sum(len(c.text) for c in r.cases)
    cps = chars / r.best_s if r.best_s > 0 else 0.0
    p50 = statistics.median(r.per_case_s) * 1000
    pmax = max(r.per_case_s) * 1000
    print(f"\n== {engine} / {r.lang}: {n} cases", end="")
    print(f" ({r.skipped} with options skipped)" if r.skipped else "", end="")
    tab_note = f"; {r.tabbed_comments} '#' line(s) with a tab read as comments" if r.tabbed_comments else ""
    print(tab_note)
    print(f"exact  {sum(exact)}/{n} = {sum(exact) / n:.1%}")
    print(f"loose  {sum(loose_ok)}/{n} = {sum(loose_ok) / n:.1%}  (case, spaces, punctuation ignored)")
    print(
        f"speed  {cps:,.0f} chars/s ({chars:,} chars in {r.best_s * 1000:.1f} ms {clock_name}, best of runs)"
    )
    print(f"latency per case ({clock_name}): median {p50:.3f} ms, max {pmax:.2f} ms; errors: {r.errors}")
    n_sentence = len(FIRST_SENTENCE[r.lang])
    print(
        f"one {n_sentence}-char sentence, warm ({clock_name}): {r.sentence_s * 1000:.2f} ms "
        f"({n_sentence / r.sentence_s:,.0f} chars/s)"
    )
    if first is not None:
        cold = " (cold grammar cache: built them)" if first.get("cold_cache") else ""
        print(
            f"first call (fresh process): build {first['build_s'] * 1000:.0f} ms + first normalise "
            f"{first['first_s'] * 1000:.1f} ms; {first['since_start_s'] * 1000:.0f} ms from script start, "
            f"{first['process_wall_s'] * 1000:.0f} ms process wall "
            f"({first['process_cpu_s'] * 1000:.0f} ms CPU); peak RSS {first['peak_rss_mb']:.0f} MB{cold}"
        )
    print("per category (exact / loose / cases):")
    categories: dict[str, list[int]] = {}
    for c, e, lo in zip(r.cases, exact, loose_ok, strict=True):
        row = categories.setdefault(c.category, [0, 0, 0])
        row[0] += int(e)
        row[1] += int(lo)
        row[2] += 1
    for name, (n_exact, n_loose, k) in categories.items():
        print(f"  {name:<24} {n_exact / k:6.1%} {n_loose / k:6.1%} {k:4d}")
    misses = [(c, o) for c, o, ok in zip(r.cases, r.outputs, loose_ok, strict=True) if not ok]
    if misses and examples:
        print(f"disagreements (loose), {min(examples, len(misses))} of {len(misses)}:")
        step = max(1, len(misses) // examples)
        for c, o in misses[::step][:examples]:
            print(f"  {c.text!r}\n    expected {c.expected!r}\n    got      {o!r}")
    return {
        "engine": engine,
        "version": engine_version(engine),
        "lang": r.lang,
        "cases": n,
        "skipped_with_options": r.skipped,
        "exact": sum(exact) / n,
        "loose": sum(loose_ok) / n,
        "chars_per_s": cps,
        "clock": clock_name,
        "per_case_ms_median": p50,
        "per_case_ms_max": pmax,
        "sentence_ms": r.sentence_s * 1000,
        "errors": r.errors,
        "first_call": first,
        "categories": {
            k: {"exact": v[0] / v[2], "loose": v[1] / v[2], "cases": v[2]} for k, v in categories.items()
        },
    }


def dump(path: Path, results: list[Result]) -> None:
    with path.open("w", encoding="utf-8") as f:
        f.write("lang\tcategory\tinput\texpected\tgot\texact\tloose\n")
        for r in results:
            for c, o in zip(r.cases, r.outputs, strict=True):
                cells = [r.lang, c.category, c.text, c.expected, o.replace("\t", " ").replace("\n", " ")]
                cells += [str(int(o == c.expected)), str(int(loose(o) == loose(c.expected)))]
                f.write("\t".join(cells) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--engine", choices=ENGINES, required=True)
    ap.add_argument("--lang", choices=LANGUAGES, action="append", help="default: zh and en")
    ap.add_argument("--data-dir", type=Path, default=DATA_DIR)
    ap.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE / "nemo", help="NeMo's grammar cache")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument(
        "--clock",
        choices=("cpu", "wall"),
        default="cpu",
        help="timer for speed and warm latencies: this process's CPU time (steady on a shared machine; the "
        "engines are single-threaded) or wall time. The fresh-process first call is always wall time.",
    )
    ap.add_argument("--examples", type=int, default=6, help="disagreements shown per language")
    ap.add_argument("--no-first-call", action="store_true", help="skip the fresh-process measurement")
    ap.add_argument("--dump", type=Path, help="write every case's output to this TSV")
    ap.add_argument("--json", type=Path, help="write the figures to this JSON file")
    ap.add_argument("--first-call-child", choices=LANGUAGES, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.first_call_child:
        first_call_child(args.engine, args.first_call_child, args.cache_dir)
        return

    print(f"engine {args.engine} {engine_version(args.engine)}, python {sys.version.split()[0]}, ", end="")
    print(f"{os.cpu_count()} cpus, load average {os.getloadavg()[0]:.1f}, data {args.data_dir}")
    if args.engine == "clarion" and not clarion_has_language_option():
        print("note: FrontEndOptions has no `language` field: Clarion picks each text's language itself")
    results: list[Result] = []
    figures: list[dict[str, Any]] = []
    for lang in args.lang or list(LANGUAGES):
        # Fresh process first, so that a cold NeMo cache is built (and timed) there.
        first = None if args.no_first_call else first_call(args.engine, lang, args.cache_dir)
        clock = time.process_time if args.clock == "cpu" else time.perf_counter
        result = run_language(args.engine, lang, args.data_dir, args.cache_dir, args.repeats, clock)
        results.append(result)
        figures.append(report(args.engine, result, first, args.examples, f"{args.clock} time"))
    if args.dump:
        dump(args.dump, results)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
