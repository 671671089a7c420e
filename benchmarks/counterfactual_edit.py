"""Time from a counterfactual edit to updated labels on one record (model side, no window).

    .venv/bin/python benchmarks/counterfactual_edit.py [RECORD.hea] [--repeats 5]

Each edit kind is applied around a beat in the middle of the record and
undone, `repeats` times after one warm-up. Prints the median
`EditResult.elapsed_s` and how many beats were classified again.
"""

from __future__ import annotations

import argparse

import numpy as np

from model.counterfactual import Edit, EditSession
from model.data_paths import require_data_dir
from model.inference import load_classifier
from model.records import load_record

KINDS = [
    ("scale", 0.5),
    ("invert", 0.0),
    ("baseline", 0.3),
    ("flatten", 0.0),
    ("smooth", 15.0),
    ("noise", 0.1),
    ("stretch", 0.7),
    ("move_beat", 40.0),
    ("delete_beat", 0.0),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("record", nargs="?", help="record header (default: MIT-BIH 100)")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    record = load_record(args.record or require_data_dir() / "mitdb" / "100.hea")
    session = EditSession(record, load_classifier())
    beat = len(record.beats) // 2
    sample = int(record.beats.sample[beat])

    print(f"record {record.record_name}, {len(record.beats)} beats, edits around beat {beat}")
    print("| edit | beats classified again | median time (ms) |")
    print("|---|---|---|")
    for kind, value in KINDS:
        edit = Edit(kind, sample - 40, sample + 60, record.model_channel, value=value, beat=beat)
        session.apply(edit)
        session.undo()
        times, counts = [], []
        for _ in range(args.repeats):
            result = session.apply(edit)
            times.append(result.elapsed_s)
            counts.append(len(result.beats))
            session.undo()
        print(f"| {kind} | {int(np.median(counts))} | {1000 * np.median(times):.0f} |")


if __name__ == "__main__":
    main()
