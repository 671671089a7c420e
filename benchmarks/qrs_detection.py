"""Score the QRS detector used for records without beat annotations against MIT-BIH DS2 reference beats.

    .venv/bin/python benchmarks/qrs_detection.py [--window-ms 150] [RECORD ...]

Runs `model.records.detect_beats` (wfdb's XQRS) on the lead the network reads
and matches detections to the reference beats of `.atr` within +-window-ms
(ANSI/AAMI EC57 uses 150 ms). Prints a Markdown table: per record and in
total, sensitivity Se = TP / (TP + FN) and positive predictivity
+P = TP / (TP + FP), plus the detector's run time.
"""

from __future__ import annotations

import argparse
import time

from wfdb import processing

from model.data_paths import require_data_dir
from model.records import detect_beats, load_record

DS2_RECORDS = (
    "100 103 105 111 113 117 121 123 200 202 210 212 213 214 219 221 222 228 231 232 233 234"
).split()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("records", nargs="*", default=DS2_RECORDS, help="MIT-BIH record names (default: DS2)")
    parser.add_argument("--window-ms", type=float, default=150.0, help="matching tolerance either side, in ms")
    args = parser.parse_args()
    mitdb_dir = require_data_dir() / "mitdb"

    print("| record | reference beats | detected | TP | FN | FP | Se % | +P % | seconds |")
    print("|---|---|---|---|---|---|---|---|---|")
    totals = {"reference": 0, "detected": 0, "tp": 0, "fn": 0, "fp": 0, "seconds": 0.0}
    for name in args.records:
        record = load_record(mitdb_dir / f"{name}.hea")

        started = time.perf_counter()
        detected = detect_beats(record.model_signal_mv, record.fs)
        seconds = time.perf_counter() - started

        window_samples = int(round(args.window_ms / 1000 * record.fs))
        comparison = processing.compare_annotations(record.beats.sample, detected.sample, window_samples)
        tp, fn, fp = comparison.tp, comparison.fn, comparison.fp
        print(
            f"| {name} | {len(record.beats)} | {len(detected)} | {tp} | {fn} | {fp} | "
            f"{100 * tp / max(tp + fn, 1):.2f} | {100 * tp / max(tp + fp, 1):.2f} | {seconds:.1f} |",
            flush=True,
        )
        for key, value in (("reference", len(record.beats)), ("detected", len(detected)),
                           ("tp", tp), ("fn", fn), ("fp", fp), ("seconds", seconds)):
            totals[key] += value

    tp, fn, fp = totals["tp"], totals["fn"], totals["fp"]
    print(
        f"| **total** | {totals['reference']} | {totals['detected']} | {tp} | {fn} | {fp} | "
        f"{100 * tp / max(tp + fn, 1):.2f} | {100 * tp / max(tp + fp, 1):.2f} | {totals['seconds']:.1f} |"
    )


if __name__ == "__main__":
    main()
