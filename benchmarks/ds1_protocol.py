"""Compare training designs by 5-fold record-wise cross-validation inside DS1 (DS2 is never read).

    PYTHONPATH=. .venv/bin/python benchmarks/ds1_protocol.py run NAME --seed 1 [-- TRAIN OPTIONS]
    PYTHONPATH=. .venv/bin/python benchmarks/ds1_protocol.py report NAME [NAME ...] [--ensemble NAME+NAME]

`run` trains one model per fold with `model.train`'s options, for a fixed
number of epochs and without early stopping, because the held-out records
must not choose anything. It stores every DS1 beat's held-out logits in
runs/ds1_protocol/NAME.npz.

`report` pools the held-out predictions of all folds. Logit offsets for the
records of one fold are tuned on the held-out logits of the other four folds,
so no beat is scored with offsets chosen on itself. An ensemble averages the
class probabilities of several runs.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import sys
import time
from pathlib import Path

import numpy as np

from model import preprocess, train
from model.classifier import SolverConfig
from model.data_paths import DS1_RECORDS, require_data_dir
from model.dataset import BeatSet, load_beat_set, load_noise
from model.metrics import class_statistics, confusion_matrix, selection_score

logger = logging.getLogger("ds1_protocol")

FOLDS = [
    ["209", "106", "112", "115", "230"],
    ["201", "208", "101", "122"],
    ["118", "220", "119", "108", "109"],
    ["207", "203", "124", "114"],
    ["223", "215", "116", "205"],
]
"""Held-out DS1 records per fold. Each fold has one or two S-rich records
(209, 201, 118 and 220, 207 and 124, 223) and at least 500 V beats. The records
with atrial fibrillation, 201 and 203, sit in different folds."""

RUN_DIR = Path("runs/ds1_protocol")


def load_ds1(input_config, cache_dir: Path) -> BeatSet:
    """Prepare all DS1 beats for `input_config`, reusing a cached copy made with the same settings and code."""
    # The key covers the preprocessing code too, so a changed feature is never read from a stale cache.
    source = Path(preprocess.__file__).read_bytes()
    key = hashlib.sha256(json.dumps(input_config.to_dict(), sort_keys=True).encode() + source).hexdigest()[:12]
    path = cache_dir / f"ds1-{key}.npz"
    if path.exists():
        data = np.load(path)
        return BeatSet(data["ecg"], data["rr"], data["template"], data["label"], data["record"])

    beats = load_beat_set(list(DS1_RECORDS), require_data_dir() / "mitdb", input_config)
    cache_dir.mkdir(parents=True, exist_ok=True)
    np.savez(path, ecg=beats.ecg, rr=beats.rr, template=beats.template, label=beats.label, record=beats.record)
    return beats


def run(name: str, seed: int, train_options: list[str]) -> Path:
    """Train one model per fold and store the held-out logits of every DS1 beat."""
    args = train.parse_args(train_options + ["--seeds", str(seed)])
    input_config = train.input_config_from(args)
    solver_config = SolverConfig(args.solver, args.steps_per_sample)
    beats = load_ds1(input_config, RUN_DIR / "cache")
    noise_tracks = load_noise(require_data_dir() / "nstdb-noise", input_config)

    logits = np.zeros((len(beats), 5), dtype=np.float32)
    fold_of_beat = np.full(len(beats), -1, dtype=np.int8)
    started = time.monotonic()
    for fold_index, fold in enumerate(FOLDS):
        held_out = np.isin(beats.record, fold)
        model, _, history = train.train_one_seed(
            seed, args, beats.subset(~held_out), None, noise_tracks, solver_config
        )
        logits[held_out] = train.logits_for(model, beats.subset(held_out), 512)
        fold_of_beat[held_out] = fold_index
        logger.info("%s seed %d fold %d trained in %.0f s", name, seed, fold_index + 1, history["train_s"])

    out = RUN_DIR / f"{name}.npz"
    np.savez(
        out,
        logits=logits,
        label=beats.label,
        fold=fold_of_beat,
        options=json.dumps(train_options + ["--seeds", str(seed)]),
        seconds=time.monotonic() - started,
    )
    logger.info("wrote %s after %.0f s", out, time.monotonic() - started)
    return out


def summarise(names: list[str]) -> dict:
    """Pooled statistics of one run, or of the probability average of several runs."""
    held_out = train.load_held_out([RUN_DIR / f"{name}.npz" for name in names])
    label, fold = held_out.label, held_out.fold
    raw = confusion_matrix(label, np.argmax(held_out.log_probabilities, axis=1))
    predicted = train.cross_fitted_predictions(held_out)
    tuned = confusion_matrix(label, predicted)
    fold_scores = [
        selection_score(confusion_matrix(label[fold == k], predicted[fold == k])) for k in np.unique(fold)
    ]
    return {"raw": raw, "tuned": tuned, "fold_scores": fold_scores, "seconds": held_out.seconds}


def report(names: list[str], ensembles: list[str]) -> None:
    """Print one Markdown row per run or ensemble."""
    print(
        "| design | mean F1 N,S,V (no offsets) | mean F1 N,S,V | fold range | "
        "N Se / +P | S Se / +P | V Se / +P | training (min) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for entry in [[name] for name in names] + [group.split("+") for group in ensembles]:
        result = summarise(entry)
        stats = class_statistics(result["tuned"])
        cells = [f"{stats[c]['se']:.1f} / {stats[c]['ppv']:.1f}" for c in ("N", "S", "V")]
        print(
            f"| {' + '.join(entry)} | {selection_score(result['raw']):.3f} | {selection_score(result['tuned']):.3f} | "
            f"{min(result['fold_scores']):.3f}-{max(result['fold_scores']):.3f} | "
            + " | ".join(cells)
            + f" | {result['seconds'] / 60:.1f} |",
            flush=True,
        )


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    train_options: list[str] = []
    if "--" in argv:
        split = argv.index("--")
        argv, train_options = argv[:split], argv[split + 1 :]

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="train the five folds of one design and seed")
    run_parser.add_argument("name", help="file name of the stored held-out logits, without .npz")
    run_parser.add_argument("--seed", type=int, default=1)
    report_parser = commands.add_parser("report", help="print pooled held-out statistics")
    report_parser.add_argument("names", nargs="*", default=[])
    report_parser.add_argument(
        "--ensemble", nargs="*", default=[], help="runs joined by + whose probabilities are averaged"
    )
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if args.command == "run":
        run(args.name, args.seed, train_options)
        report([args.name], [])
    else:
        report(args.names, args.ensemble)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
