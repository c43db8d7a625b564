"""Shipped precision against the alternatives, for the embedded ONNX voices, on this machine.

For each engine: make fp32 / fp16 / int8 (dynamic and static) variants where the graph
allows, measure latency per segment, real-time factor, throughput, size, peak memory and
quality (mel-cepstral distortion from the fp32 reference, round-trip word error rate through
Whisper), and print which variant the gate would enable and why the others were refused.
Variants go to a temporary directory: nothing is enabled unless --apply.

Usage: python benchmarks/precision_ab.py [--engines piper,kokoro] [--targets fp32,fp16,int8] [--repeats 2]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from clarion.config import Settings
from clarion.optimize.runner import HEADERS, optimize, table


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--engines", default="piper,kokoro")
    ap.add_argument("--targets", default="fp32,fp16,int8")
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument(
        "--apply", action="store_true", help="write variants to the real optimized dir and enable"
    )
    args = ap.parse_args()
    base = Settings()
    for engine in args.engines.split(","):
        out = base.optimized_root if args.apply else Path(tempfile.mkdtemp(prefix=f"clarion-{engine}-"))
        settings = base.model_copy(update={"optimized_dir": out})
        report = optimize(
            engine,
            settings,
            args.targets.split(","),
            repeats=args.repeats,
            threads=args.threads,
            progress=print,
        )
        print(f"\n{engine}: shipped {report.shipped_precision}; quality reference: {report.reference}")
        rows = [HEADERS, *table(report)]
        widths = [max(len(r[i]) for r in rows) for i in range(len(HEADERS) - 1)]
        for r in rows:
            print("  ".join(c.ljust(w) for c, w in zip(r[:-1], widths, strict=True)), " ", r[-1])
        print(f"enabled: {report.selected or 'none: the shipped model stays'}\n")


if __name__ == "__main__":
    main()
