"""Classify records without a window and write the predictions as CSV and WFDB annotations.

This module backs `liquid-ecg classify` and imports no Qt. JAX is imported
only when the first record has loaded, so a run whose records all fail to
open never pays for it.
"""

from __future__ import annotations

import csv
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import wfdb

from model.records import AAMI_CLASSES, AAMI_TO_SYMBOL, EcgRecord, RecordError, load_record

if TYPE_CHECKING:
    from model.inference import RecordPrediction

logger = logging.getLogger(__name__)

CSV_COLUMNS = ("sample", "time_s", "reference", "predicted", "p_N", "p_S", "p_V", "p_F", "p_Q")
PREDICTION_ANNOTATOR = "ltc"
"""Annotator extension of the prediction annotation files."""

UNCLASSIFIABLE_LABEL = "unclassifiable"
"""CSV `predicted` value of a beat the network did not classify because its window touches invalid samples."""
UNCLASSIFIED_NOTE = "not classified: the beat window contains invalid samples"
"""`aux_note` of a beat the network did not classify, which is written with symbol Q (unclassifiable)."""


class OutputError(Exception):
    """The predictions of a record cannot be written where requested."""


class ClassifierUnavailable(Exception):
    """The classifier's weights are missing, damaged or do not match their model card."""


@dataclass(frozen=True)
class ClassifiedRecord:
    """Summary of one record classified and written to disk."""

    header_path: Path
    record_name: str
    n_beats: int
    beats_source: str
    """"reference" when the beats came from the record's annotations, "detected" otherwise."""
    csv_path: Path
    annotation_path: Path | None
    """None when the record has no beats, because a WFDB annotation file cannot be empty."""
    elapsed_s: float
    """Wall time to load, classify and write the record, in seconds.

    Loading the classifier is left out, but JAX compiles the network during
    the first record of a process, which that record's time includes.
    """


class BatchReporter(Protocol):
    """Receives the progress of `classify_records`; the command line prints it."""

    def record_started(self, index: int, total: int, path: Path) -> None: ...

    def beats_done(self, index: int, total: int, done_beats: int, total_beats: int) -> None: ...

    def record_done(self, index: int, total: int, result: ClassifiedRecord) -> None: ...

    def record_failed(self, index: int, total: int, path: Path, error: Exception) -> None: ...


def classify_records(
    paths: Sequence[str | Path],
    out_dir: Path,
    reporter: BatchReporter,
    *,
    annotator: str = "atr",
    weights_path: Path | None = None,
) -> int:
    """Classify each record into `out_dir` and return the number of records that failed.

    A record that cannot be read or written is reported and skipped, and the
    others are still processed. The classifier is loaded once, when the first
    record has loaded; ClassifierUnavailable propagates, because no record can
    be classified without it.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    classifier = None
    written_by: dict[str, Path] = {}
    failures = 0

    for index, raw_path in enumerate(paths, start=1):
        path = Path(raw_path)
        reporter.record_started(index, len(paths), path)
        started = time.perf_counter()
        try:
            record = load_record(path, annotator)
            check_output_dir(record, out_dir, written_by)
        except (RecordError, OutputError) as error:
            failures += 1
            reporter.record_failed(index, len(paths), path, error)
            continue

        if classifier is None:
            load_started = time.perf_counter()
            classifier = load_default_classifier(weights_path)
            started += time.perf_counter() - load_started

        def progress(done_beats: int, total_beats: int, index: int = index) -> None:
            reporter.beats_done(index, len(paths), done_beats, total_beats)

        try:
            result = classify_and_write(record, classifier, out_dir, progress=progress, started=started)
        except OSError as error:
            failures += 1
            reporter.record_failed(index, len(paths), path, error)
            continue

        written_by[record.record_name] = record.header_path
        reporter.record_done(index, len(paths), result)

    return failures


def load_default_classifier(weights_path: Path | None = None) -> Any:
    """Import JAX and load the classifier (the shipped weights unless `weights_path` is given)."""
    started = time.perf_counter()
    from model.inference import load_classifier
    from model.weights import WeightsError

    try:
        classifier = load_classifier(weights_path)
    except WeightsError as error:
        raise ClassifierUnavailable(str(error)) from error
    logger.info("loaded the classifier in %.2f s", time.perf_counter() - started)
    return classifier


def check_output_dir(record: EcgRecord, out_dir: Path, written_by: dict[str, Path]) -> None:
    """Raise OutputError when writing `record`'s predictions to `out_dir` is not allowed.

    Predictions never go into the record's own folder, so that source files
    stay untouched, and two records with the same name in one run would
    overwrite each other's output.
    """
    if out_dir.resolve() == record.header_path.parent.resolve():
        raise OutputError(
            f"{record.header_path}: --out {out_dir} is the record's own folder; "
            "choose another folder so that the source files stay untouched."
        )

    earlier = written_by.get(record.record_name)
    if earlier is not None:
        raise OutputError(
            f"{record.header_path}: the output for record {record.record_name} was already "
            f"written from {earlier} in this run; classify it into another --out folder."
        )


def classify_and_write(
    record: EcgRecord,
    classifier: Any,
    out_dir: Path,
    *,
    progress: Callable[[int, int], None] | None = None,
    started: float | None = None,
) -> ClassifiedRecord:
    """Classify every beat of `record` and write `<record_name>.csv` and `.ltc` into `out_dir`."""
    from model.inference import classify_record

    started = time.perf_counter() if started is None else started
    prediction = classify_record(record, classifier, progress=progress)

    csv_path = out_dir / f"{record.record_name}.csv"
    write_prediction_csv(csv_path, record, prediction)
    annotation_path = write_prediction_annotations(out_dir, record, prediction)

    return ClassifiedRecord(
        header_path=record.header_path,
        record_name=record.record_name,
        n_beats=len(prediction.sample),
        beats_source=record.beats.source,
        csv_path=csv_path,
        annotation_path=annotation_path,
        elapsed_s=time.perf_counter() - started,
    )


def prediction_rows(record: EcgRecord, prediction: RecordPrediction) -> list[list[str]]:
    """Format one CSV row per beat in CSV_COLUMNS order.

    `reference` is empty when the beats were detected rather than annotated.
    `predicted` is "unclassifiable" and the probabilities are empty for a
    beat whose window touches invalid samples.
    """
    reference_by_sample: dict[int, str] = {}
    if record.beats.source == "reference":
        for sample, aami in zip(record.beats.sample, record.beats.aami):
            reference_by_sample[int(sample)] = AAMI_CLASSES[int(aami)]

    rows = []
    for beat, sample in enumerate(prediction.sample):
        sample = int(sample)
        predicted = int(prediction.predicted[beat])
        if 0 <= predicted < len(AAMI_CLASSES):
            label = AAMI_CLASSES[predicted]
            probabilities = [f"{p:.4f}" for p in prediction.probabilities[beat]]
        else:
            label = UNCLASSIFIABLE_LABEL
            probabilities = [""] * len(AAMI_CLASSES)
        time_s = f"{sample / record.fs:.3f}"
        rows.append([str(sample), time_s, reference_by_sample.get(sample, ""), label, *probabilities])
    return rows


def current_umask() -> int:
    """Return the process umask (reading it requires setting it, so it is set straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_prediction_csv(csv_path: Path, record: EcgRecord, prediction: RecordPrediction) -> None:
    """Write the per-beat CSV atomically, so a reader never sees half a file."""
    rows = prediction_rows(record, prediction)
    handle, temporary = tempfile.mkstemp(dir=csv_path.parent, prefix=f".{csv_path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", newline="", encoding="utf-8") as stream:
            writer = csv.writer(stream)
            writer.writerow(CSV_COLUMNS)
            writer.writerows(rows)
        # mkstemp creates the file as 0600; give it the mode a plain open() would.
        os.chmod(temporary, 0o666 & ~current_umask())
        os.replace(temporary, csv_path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_prediction_annotations(
    out_dir: Path, record: EcgRecord, prediction: RecordPrediction
) -> Path | None:
    """Write the predictions as `<record_name>.ltc` in MIT symbols; returns its path.

    AAMI classes map to MIT symbols through AAMI_TO_SYMBOL (S is written as A).
    Returns None and writes nothing when the record has no beats.
    """
    if len(prediction.sample) == 0:
        logger.warning("%s: no beats, so no %s annotation file is written", record.header_path, PREDICTION_ANNOTATOR)
        return None

    symbols = []
    notes = []
    for predicted in prediction.predicted:
        if 0 <= int(predicted) < len(AAMI_CLASSES):
            symbols.append(AAMI_TO_SYMBOL[AAMI_CLASSES[int(predicted)]])
            notes.append("")
        else:
            symbols.append("Q")
            notes.append(UNCLASSIFIED_NOTE)

    # wrann writes straight to its final name, so write into a staging folder
    # on the same file system and move the finished file in.
    file_name = f"{record.record_name}.{PREDICTION_ANNOTATOR}"
    staging = Path(tempfile.mkdtemp(prefix=".writing-", dir=out_dir))
    try:
        wfdb.wrann(
            record.record_name,
            PREDICTION_ANNOTATOR,
            np.asarray(prediction.sample, dtype=np.int64),
            symbol=symbols,
            aux_note=notes if any(notes) else None,
            fs=record.fs,
            write_dir=str(staging),
        )
        os.replace(staging / file_name, out_dir / file_name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return out_dir / file_name
