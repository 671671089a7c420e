"""DS2 studies of the shipped classifier: solver settings, added noise, sampling rate.

    .venv/bin/python benchmarks/model_studies.py [--study solvers noise rates] [--weights PATH]

Prints Markdown tables (Se / +P in %) for docs/benchmarks.md. Each DS2 pass
takes 5-30 s on a 2-core CPU, so the full set runs in a few minutes.
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

import numpy as np

from model.classifier import SolverConfig
from model.evaluate import evaluate, resolve_record_paths
from model.inference import SolverDivergedError, load_classifier, predict_beats
from model.perturb import add_noise, resample_record
from model.preprocess import prepare_beats
from model.records import load_record
from model.weights import DEFAULT_WEIGHTS

SOLVER_SETTINGS = [
    SolverConfig("fused", 1),
    SolverConfig("fused", 2),
    SolverConfig("fused", 6),
    SolverConfig("euler", 6),
    SolverConfig("euler", 24),
    SolverConfig("heun", 6),
    SolverConfig("tsit5", 6),
]


def row(label: str, result: dict, extra: str = "") -> str:
    stats = result["per_class"]
    cells = [f"{stats[name]['se']:.1f} / {stats[name]['ppv']:.1f}" for name in ("N", "S", "V")]
    return f"| {label} | " + " | ".join(cells) + f" |{extra}"


def network_seconds(weights: Path, solver: SolverConfig, record_path: Path) -> float:
    """Median warm time of the network alone on one record (3 runs after one warm-up)."""
    classifier = load_classifier(weights, solver)
    record = load_record(record_path)
    inputs = prepare_beats(record.model_signal_mv, record.fs, record.beats.sample, classifier.input_config)
    predict_beats(classifier, inputs)
    times = []
    for _ in range(3):
        started = time.perf_counter()
        predict_beats(classifier, inputs)
        times.append(time.perf_counter() - started)
    return float(np.median(times))


def solver_study(weights: Path, paths: list[Path]) -> list[str]:
    lines = [
        "| solver, steps per sample | N Se / +P | S Se / +P | V Se / +P | network time, record 100 (s) |",
        "|---|---|---|---|---|",
    ]
    for solver in SOLVER_SETTINGS:
        label = f"{solver.name}, {solver.steps_per_sample}"
        try:
            result = evaluate(paths, weights, solver)
        except SolverDivergedError as error:
            lines.append(f"| {label} | diverged: {str(error).split(': ', 1)[1].split(';')[0]} | | | |")
            continue
        seconds = network_seconds(weights, solver, paths[0])
        lines.append(row(label, result, f" {seconds:.3f} |"))
    return lines


def noise_study(weights: Path, paths: list[Path], noise_dir: Path) -> list[str]:
    import wfdb

    lines = ["| noise, SNR | N Se / +P | S Se / +P | V Se / +P |", "|---|---|---|---|"]
    lines.append(row("none", evaluate(paths, weights, None)))
    for name in ("bw", "ma"):
        noise_record = wfdb.rdrecord(str(noise_dir / name))
        noise_mv = noise_record.p_signal[:, 0]
        for snr_db in (24, 12, 6):
            result = evaluate(
                paths,
                weights,
                None,
                lambda record: add_noise(record, noise_mv, noise_record.fs, snr_db),
            )
            lines.append(row(f"{name}, {snr_db} dB", result))
    return lines


def rate_study(weights: Path, paths: list[Path]) -> list[str]:
    lines = ["| record rate | N Se / +P | S Se / +P | V Se / +P |", "|---|---|---|---|"]
    lines.append(row("360 Hz (original)", evaluate(paths, weights, None)))
    for fs in (128.0, 250.0):
        result = evaluate(paths, weights, None, lambda record: resample_record(record, fs))
        lines.append(row(f"{fs:g} Hz", result))
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--study", nargs="+", default=["solvers", "noise", "rates"])
    parser.add_argument("--weights", type=Path, default=DEFAULT_WEIGHTS)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    paths = resolve_record_paths(None)
    noise_dir = paths[0].parent.parent / "nstdb-noise"
    studies = {
        "solvers": lambda: solver_study(args.weights, paths),
        "noise": lambda: noise_study(args.weights, paths, noise_dir),
        "rates": lambda: rate_study(args.weights, paths),
    }
    for name in args.study:
        started = time.perf_counter()
        print(f"\n### {name}\n")
        print("\n".join(studies[name]()))
        print(f"\n({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
