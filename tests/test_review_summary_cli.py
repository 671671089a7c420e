"""`liquid-ecg review-summary` prints the saved review's agreement tables without importing Qt."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from model.records import AAMI_CLASSES, load_record
from model.review import open_review

REPO_ROOT = Path(__file__).resolve().parent.parent


def run_summary(*arguments: str, environment: dict | None = None) -> subprocess.CompletedProcess:
    """Run the command in a fresh interpreter and report whether it imported Qt."""
    code = (
        "import sys\n"
        "from desktop_app.cli import main\n"
        "code = main(sys.argv[1:])\n"
        "print('QT LOADED' if any(name.startswith('PySide6') for name in sys.modules) else 'NO QT', file=sys.stderr)\n"
        "sys.exit(code)\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code, "review-summary", *arguments],
        capture_output=True,
        text=True,
        env=dict(environment or os.environ, PYTHONPATH=str(REPO_ROOT)),
        timeout=120,
    )


def test_summary_prints_saved_tables(linked_record_100):
    record = load_record(linked_record_100)
    review, _ = open_review(record, reviewer="dr cli")
    predicted = record.beats.aami.astype(np.int8).copy()
    predicted[[3, 5]] = AAMI_CLASSES.index("V")
    review.set_model_labels(predicted, np.full((len(predicted), 5), 0.2))
    review.accept_model(3)
    review.accept_reference(5)

    result = run_summary(str(linked_record_100))

    assert result.returncode == 0, result.stderr
    assert "NO QT" in result.stderr
    assert f"Review saved in {linked_record_100.parent}" in result.stdout
    assert "2273 beats, 2 reviewed, 2 with disagreeing labels" in result.stdout
    assert "model vs reference: 2271 of 2273 beats agree" in result.stdout
    assert "reviewer vs model: 1 of 2 beats agree" in result.stdout
    assert "reviewer vs reference: 1 of 2 beats agree" in result.stdout


def test_summary_without_review_fails(linked_record_100):
    result = run_summary(str(linked_record_100))

    assert result.returncode == 1
    assert "no saved review" in result.stderr
    assert "100.review.json" in result.stderr
