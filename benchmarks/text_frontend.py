"""Characters per second of the text front end on a 100,000-character mixed text.

Usage: python benchmarks/text_frontend.py [--chars 100000] [--repeats 3]
Prints normalisation (lexicon, spans, zh/en rules) and sentence splitting separately."""

from __future__ import annotations

import argparse
import time

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


if __name__ == "__main__":
    main()
