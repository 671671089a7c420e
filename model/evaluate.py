"""Score the classifier against reference annotations with AAMI EC57 statistics.

    python -m model.evaluate                      # DS2 of the inter-patient split
    python -m model.evaluate --records 100 ~/data/other.hea
    python -m model.evaluate --update-card        # store the DS2 result in the model card

Beats are classified at the reference annotation positions, so every reference
beat is matched to exactly one prediction.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path

import wfdb

import numpy as np

from model.classifier import SolverConfig
from model.data_paths import DS2_RECORDS, require_data_dir
from model.inference import classify_record, load_classifier
from model.metrics import class_statistics, confusion_matrix, format_report
from model.perturb import add_noise, resample_record
from model.records import EcgRecord, load_record
from model.model_card import write_model_card_markdown
from model.atomic_io import atomic_write
from model.weights import DEFAULT_WEIGHTS, card_json, card_path_for, read_card

logger = logging.getLogger(__name__)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m model.evaluate", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--records", nargs="+", help="MIT-BIH record names or .hea paths (default: DS2)"
    )
    parser.add_argument("--weights", type=Path, default=DEFAULT_WEIGHTS)
    parser.add_argument("--solver", help="override the model card's solver: fused, euler, heun, tsit5")
    parser.add_argument("--steps-per-sample", type=int, help="override the solver steps per input sample")
    parser.add_argument("--noise", choices=["bw", "ma"], help="add this NSTDB noise record to the ECG")
    parser.add_argument("--snr", type=float, default=12.0, help="signal-to-noise ratio for --noise, in dB")
    parser.add_argument("--resample-fs", type=float, help="resample each record to this rate (Hz) first")
    parser.add_argument("--json", type=Path, help="also write the statistics to this JSON file")
    parser.add_argument(
        "--update-card", action="store_true", help="store the result as the model card's DS2 metrics"
    )
    return parser.parse_args(argv)


def resolve_record_paths(names: list[str] | None) -> list[Path]:
    if not names:
        mitdb = require_data_dir() / "mitdb"
        return [mitdb / f"{name}.hea" for name in DS2_RECORDS]

    paths = []
    for name in names:
        path = Path(name).expanduser()
        if path.suffix != ".hea":
            path = require_data_dir() / "mitdb" / f"{name}.hea" if not path.exists() else path
        paths.append(path)
    return paths


def evaluate(
    paths: list[Path],
    weights: Path,
    solver_config: SolverConfig | None,
    transform: Callable[[EcgRecord], EcgRecord] | None = None,
) -> dict:
    """Classify each record and return per-record and pooled confusion matrices.

    `transform` derives the record that is classified (added noise, another
    rate); the reference labels travel with it.
    """
    classifier = load_classifier(weights, solver_config)
    pooled = np.zeros((5, 5), dtype=np.int64)
    per_record = {}
    started = time.monotonic()
    for path in paths:
        record = load_record(path)
        if transform is not None:
            record = transform(record)
        prediction = classify_record(record, classifier)
        counts = confusion_matrix(record.beats.aami, prediction.predicted)
        per_record[record.record_name] = counts.tolist()
        pooled += counts
        logger.info("%s: %d beats, %d agree", record.record_name, counts.sum(), np.trace(counts))

    return {
        "records": [path.stem for path in paths],
        "confusion": pooled.tolist(),
        "per_class": class_statistics(pooled),
        "per_record_confusion": per_record,
        "seconds": round(time.monotonic() - started, 2),
        "solver": solver_config.to_dict() if solver_config else read_card(weights).get("solver_config"),
    }


def build_transform(args: argparse.Namespace) -> Callable[[EcgRecord], EcgRecord] | None:
    """Return the record transformation the options request, or None."""
    steps = []
    if args.resample_fs:
        steps.append(lambda record: resample_record(record, args.resample_fs))
    if args.noise:
        noise_record = wfdb.rdrecord(str(require_data_dir() / "nstdb-noise" / args.noise))
        noise_mv = noise_record.p_signal[:, 0]
        steps.append(lambda record: add_noise(record, noise_mv, noise_record.fs, args.snr))
    if not steps:
        return None

    def transform(record: EcgRecord) -> EcgRecord:
        for step in steps:
            record = step(record)
        return record

    return transform


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)

    card = read_card(args.weights)
    solver_config = None
    if args.solver or args.steps_per_sample:
        base = SolverConfig(**card["solver_config"])
        solver_config = SolverConfig(args.solver or base.name, args.steps_per_sample or base.steps_per_sample)

    paths = resolve_record_paths(args.records)
    result = evaluate(paths, args.weights, solver_config, build_transform(args))
    counts = np.asarray(result["confusion"])
    title = "DS2" if not args.records else ", ".join(result["records"])
    sys.stdout.write(format_report(counts, f"{title}: {counts.sum()} beats in {result['seconds']} s") + "\n")

    if args.json:
        args.json.write_bytes(card_json(result))
    if args.update_card:
        if args.records or solver_config or args.noise or args.resample_fs:
            raise SystemExit("--update-card stores DS2 results of the card's own solver only.")
        card["ds2"] = {
            key: result[key] for key in ("records", "confusion", "per_class", "per_record_confusion", "seconds")
        }
        card_path = card_path_for(args.weights)
        atomic_write(card_path, card_json(card))
        write_model_card_markdown(card, args.weights)
        logger.info("updated %s", card_path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
