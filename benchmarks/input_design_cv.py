"""Compare input designs by record-wise cross-validation inside DS1 (DS2 is never read).

    .venv/bin/python benchmarks/input_design_cv.py [--epochs 30]

Each design is trained once per fold with that fold's records held out. The
held-out confusion matrices are pooled over folds; they are taken after the
logit offsets tuned on the held-out records, which favours no design. Prints one table row per design.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np

from model import train
from model.metrics import class_statistics, selection_score

FOLDS = [
    ["209", "220", "223", "101", "106"],
    ["118", "201", "203", "114", "208"],
    ["207", "124", "215", "119", "116"],
]
"""Held-out DS1 records per fold; the S-rich records 209, 118, 201 and 207 sit in different folds."""

DESIGNS = {
    "ECG + slope, 5 RR": ["--no-template", "--no-irregularity"],
    "+ template": ["--no-irregularity"],
    "+ template + irregularity": [],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--designs", nargs="+", default=list(DESIGNS))
    args = parser.parse_args()

    print("| design | mean F1 N,S,V | S Se / +P | V Se / +P | N Se / +P |")
    print("|---|---|---|---|---|")
    for design in args.designs:
        pooled = np.zeros((5, 5), dtype=np.int64)
        for fold in FOLDS:
            with tempfile.TemporaryDirectory() as folder:
                out = Path(folder) / "fold.eqx"
                train.main(
                    ["--epochs", str(args.epochs), "--seeds", "1", "--out", str(out), "--validation", *fold]
                    + DESIGNS[design]
                )
                card = json.loads(out.with_name("fold.card.json").read_text())
            pooled += np.asarray(card["validation"]["confusion"])
        stats = class_statistics(pooled)
        cells = [f"{stats[c]['se']:.1f} / {stats[c]['ppv']:.1f}" for c in ("S", "V", "N")]
        print(f"| {design} | {selection_score(pooled):.3f} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
