"""Export a review's beat table as CSV, without Qt."""

from __future__ import annotations

import csv
import io
import logging
import math
from collections.abc import Sequence
from pathlib import Path

from model.review import Review, atomic_write

logger = logging.getLogger(__name__)

CSV_COLUMNS = (
    "beat",
    "sample",
    "time_s",
    "reference",
    "reference_symbol",
    "model",
    "confidence",
    "reviewer_label",
    "reviewer_symbol",
    "note",
    "reviewer",
    "verdict_time",
    "disagreement",
)


def review_rows(review: Review, beats: Sequence[int] | None = None) -> list[list[str]]:
    """Return one CSV row per beat in `beats` (all beats when None), in the given order.

    `beat` counts from 1 as in the table, `sample` is at the record's fs, and
    empty cells mean no label.
    """
    beats = range(len(review)) if beats is None else beats
    rows = []
    for beat in beats:
        verdict = review.verdicts.get(beat)
        confidence = review.confidence[beat]
        rows.append(
            [
                str(beat + 1),
                str(int(review.sample[beat])),
                f"{review.time_s(beat):.3f}",
                review.reference[beat],
                review.reference_symbol[beat] if review.reference[beat] else "",
                review.model[beat],
                "" if math.isnan(confidence) else f"{confidence:.4f}",
                "" if verdict is None else verdict.aami,
                "" if verdict is None else verdict.symbol,
                "" if verdict is None else verdict.note,
                "" if verdict is None else verdict.reviewer,
                "" if verdict is None else verdict.time,
                "1" if review.is_disagreement(beat) else "0",
            ]
        )
    return rows


def write_review_csv(path: Path, review: Review, beats: Sequence[int] | None = None) -> int:
    """Write the beat table of `review` to `path` atomically and return the number of rows."""
    rows = review_rows(review, beats)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(rows)
    atomic_write(Path(path), buffer.getvalue().encode("utf-8"))
    logger.info("wrote %d beats of %s to %s", len(rows), review.record.record_name, path)
    return len(rows)
