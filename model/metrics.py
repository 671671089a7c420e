"""AAMI EC57 beat-classification statistics: confusion matrix, sensitivity, positive predictivity."""

from __future__ import annotations

import numpy as np

from model.records import AAMI_CLASSES


def confusion_matrix(reference: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """Return counts[reference class, predicted class]; beats with a negative label are skipped."""
    n = len(AAMI_CLASSES)
    keep = (reference >= 0) & (predicted >= 0)
    counts = np.zeros((n, n), dtype=np.int64)
    np.add.at(counts, (reference[keep].astype(int), predicted[keep].astype(int)), 1)
    return counts


def class_statistics(counts: np.ndarray) -> dict[str, dict[str, float]]:
    """Per-class Se = TP/(TP+FN) and +P = TP/(TP+FP), in percent; NaN where undefined."""
    stats = {}
    for index, name in enumerate(AAMI_CLASSES):
        true_positive = counts[index, index]
        reference_total = counts[index].sum()
        predicted_total = counts[:, index].sum()
        stats[name] = {
            "se": 100.0 * true_positive / reference_total if reference_total else float("nan"),
            "ppv": 100.0 * true_positive / predicted_total if predicted_total else float("nan"),
            "n_reference": int(reference_total),
            "n_predicted": int(predicted_total),
        }
    return stats


def selection_score(counts: np.ndarray) -> float:
    """Model-selection score: mean F1 of N, S and V (F and Q are too rare in DS1 to steer by)."""
    stats = class_statistics(counts)
    f1_scores = []
    for name in ("N", "S", "V"):
        se, ppv = stats[name]["se"], stats[name]["ppv"]
        if np.isnan(se) or np.isnan(ppv) or se + ppv == 0:
            f1_scores.append(0.0)
        else:
            f1_scores.append(2 * se * ppv / (se + ppv) / 100.0)
    return float(np.mean(f1_scores))


def format_report(counts: np.ndarray, title: str) -> str:
    """Render the per-class table and the confusion matrix as Markdown."""
    stats = class_statistics(counts)
    lines = [f"### {title}", "", "| class | beats | Se % | +P % |", "|---|---|---|---|"]
    for name in AAMI_CLASSES:
        row = stats[name]
        lines.append(f"| {name} | {row['n_reference']} | {_percent(row['se'])} | {_percent(row['ppv'])} |")

    lines += ["", "Confusion matrix (rows: reference, columns: predicted)", ""]
    lines.append("| | " + " | ".join(AAMI_CLASSES) + " |")
    lines.append("|---" * (len(AAMI_CLASSES) + 1) + "|")
    for index, name in enumerate(AAMI_CLASSES):
        lines.append(f"| **{name}** | " + " | ".join(str(v) for v in counts[index]) + " |")
    return "\n".join(lines) + "\n"


def _percent(value: float | None) -> str:
    """Format a percentage; undefined values (no reference or no predicted beats) print as n/a."""
    if value is None or np.isnan(value):
        return "n/a"
    return f"{value:.1f}"
