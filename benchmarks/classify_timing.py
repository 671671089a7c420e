"""Time each stage of classifying one record, cold (first call in the process) and warm.

    .venv/bin/python benchmarks/classify_timing.py [RECORD.hea] [--repeats 5] [--weights PATH]

Run it twice: the second process reads compiled programs from JAX's persistent
cache. Prints one line per stage in seconds.
"""

from __future__ import annotations

import argparse
import time

started = time.perf_counter()

import numpy as np  # noqa: E402

from model.data_paths import require_data_dir  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("record", nargs="?", help="record header (default: MIT-BIH 100)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--weights", help="weights file (default: the shipped LTC)")
    args = parser.parse_args()
    path = args.record or str(require_data_dir() / "mitdb" / "100.hea")

    stamp = time.perf_counter()
    from model.inference import classify_record, load_classifier, predict_beats
    from model.preprocess import prepare_beats
    from model.records import load_record

    print(f"import model.inference (JAX, equinox, diffrax): {time.perf_counter() - stamp:.2f} s")

    stamp = time.perf_counter()
    classifier = load_classifier(args.weights) if args.weights else load_classifier()
    print(f"load weights and check SHA-256:                 {time.perf_counter() - stamp:.2f} s")

    stamp = time.perf_counter()
    record = load_record(path)
    print(f"load record {record.record_name} ({len(record.beats)} beats):            {time.perf_counter() - stamp:.2f} s")

    stamp = time.perf_counter()
    inputs = prepare_beats(record.model_signal_mv, record.fs, record.beats.sample, classifier.input_config)
    print(f"preprocess (filter, resample, windows, RR):     {time.perf_counter() - stamp:.3f} s")

    stamp = time.perf_counter()
    predict_beats(classifier, inputs)
    print(f"network, first call (compile or cache load):   {time.perf_counter() - stamp:.2f} s")

    times = []
    for _ in range(args.repeats):
        stamp = time.perf_counter()
        predict_beats(classifier, inputs)
        times.append(time.perf_counter() - stamp)
    print(f"network, warm (median of {args.repeats}):                 {np.median(times):.3f} s")

    times = []
    for _ in range(args.repeats):
        stamp = time.perf_counter()
        classify_record(record, classifier)
        times.append(time.perf_counter() - stamp)
    print(f"classify_record warm (preprocess+network+track): {np.median(times):.3f} s")
    print(f"process total:                                   {time.perf_counter() - started:.2f} s")


if __name__ == "__main__":
    main()
