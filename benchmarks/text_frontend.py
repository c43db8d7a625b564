"""Characters per second of the text front end on a 100,000-character mixed text, and
how long a long request waits for its first sentence to be read.

Usage: python benchmarks/text_frontend.py [--chars 100000] [--repeats 3] [--first-of 5000]
Prints normalisation (lexicon, spans, zh/en rules), sentence splitting, the whole front end
(TextFrontEnd.process, what the normalise route runs), and the time to the first part of a
--first-of-character request (TextFrontEnd.process_parts, what synthesis waits for before it
starts) for English, Mandarin and mixed text, with and without the voice's language.
Targets: whole front end >= 50,000 chars/s; first sentence <= 20 ms."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from clarion.text.frontend import FrontEndOptions, TextFrontEnd
from clarion.text.lexicon import Lexicon
from clarion.text.split import split_sentences

PARAGRAPHS = [
    "On June 15, 2024 the company sold 1,250 units at $9.99 each, up 12.5% from 2023. ",
    "今天是2024年6月15日，气温25℃，我们用AI处理了3.5GB的数据，成本约¥1,200元。",
    "Dr. Smith arrived at 3:30 pm and drove 60 mph for 120 km to St. Mary's. ",
    "请拨打13812345678联系客服，比分是3:2，第3名获得奖金50%。",
    "Visit https://example.com/docs or mail support@example.com before 6/30/2025. ",
    "我用iPhone 15拍了一张照片，然后发给了Tom。",
]


def corpus(chars: int) -> str:
    out: list[str] = []
    size = 0
    i = 0
    while size < chars:
        p = PARAGRAPHS[i % len(PARAGRAPHS)]
        out.append(p)
        size += len(p)
        i += 1
    return "".join(out)[:chars]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--chars", type=int, default=100_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument(
        "--first-of", type=int, default=5000, help="Request length for the first-sentence figure."
    )
    args = ap.parse_args()
    text = corpus(args.chars)
    frontend = TextFrontEnd(Lexicon.from_entries({"zh": {"AI": "人工智能"}, "en": {"AI": "A I"}}))
    options = FrontEndOptions()
    frontend.normalize(text[:2000], options)  # warm caches (regex compilation, cn2an tables)

    best_norm = best_split = float("inf")
    normalized = text
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        normalized = frontend.normalize(text, options).text
        best_norm = min(best_norm, time.perf_counter() - t0)
        t0 = time.perf_counter()
        segments = split_sentences(normalized, options.max_segment_chars)
        best_split = min(best_split, time.perf_counter() - t0)
    print(f"input: {len(text):,} characters (mixed en/zh), best of {args.repeats}")
    print(f"normalise: {len(text) / best_norm:,.0f} chars/s ({best_norm * 1000:.1f} ms)")
    print(
        f"split:     {len(normalized) / best_split:,.0f} chars/s "
        f"({best_split * 1000:.1f} ms, {len(segments)} segments)"
    )
    best_whole = float("inf")
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        frontend.process(text, options)
        best_whole = min(best_whole, time.perf_counter() - t0)
    print(f"whole:     {len(text) / best_whole:,.0f} chars/s ({best_whole * 1000:.1f} ms; target >= 50,000)")
    print(
        f"first sentence of a {args.first_of:,}-character request (target <= 20 ms), worst of {args.repeats}:"
    )
    texts = {
        "mixed": corpus(args.first_of),
        "en": mono(PARAGRAPHS[0::2], args.first_of),
        "zh": mono(PARAGRAPHS[1::2], args.first_of),
    }
    for name, request in texts.items():
        for language in (None, "zh", "en"):
            hinted = FrontEndOptions(language=language)
            worst = 0.0
            for _ in range(args.repeats):
                t0 = time.perf_counter()
                head = next(frontend.process_parts(request, hinted))
                worst = max(worst, time.perf_counter() - t0)
            whole_s = _timed(lambda: frontend.process(request, hinted))  # noqa: B023
            print(
                f"  {name:<5} language={language or '-':<2}: {worst * 1000:5.2f} ms "
                f"({len(head.text):>3} chars read; the whole request: {whole_s * 1000:.1f} ms)"
            )


def mono(paragraphs: list[str], chars: int) -> str:
    out = ""
    while len(out) < chars:
        out += "".join(paragraphs)
    return out[:chars]


def _timed(work: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    work()
    return time.perf_counter() - t0


if __name__ == "__main__":
    main()
