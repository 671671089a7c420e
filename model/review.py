"""The reviewer's verdicts on a record's beats, and the files they are saved in.

A `Review` holds, per beat, the reviewer's MIT symbol, a note, the time of the
verdict and the reviewer's name, beside the reference and model labels it is
compared with. Every change is written at once by a `ReviewStore` into two
files beside the record (or into a per-user folder when the record's folder is
not writable):

- `<record>.<annotator>` (default `rev`): the verdicts as a WFDB annotation
  file, MIT symbols with the notes in `aux_note`, which `wfdb.rdann` reads;
- `<record>.review.json`: the same verdicts with their times and reviewers,
  the model labels, the model version and the SHA-256 of its weights.

Both are replaced atomically (temporary file in the same folder, flush, fsync,
rename), so a crash leaves either the previous or the new file. The record's
own `.hea`, `.dat` and reference annotations are never written.

This module imports neither Qt nor JAX.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
import logging
import os
import shutil
import stat
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np
import wfdb

from model.atomic_io import atomic_write, fsync_folder
from model.data_paths import RESOURCES_DIR
from model.records import AAMI_CLASSES, AAMI_TO_SYMBOL, SYMBOL_TO_AAMI, EcgRecord

logger = logging.getLogger(__name__)

DEFAULT_REVIEW_ANNOTATOR = "rev"
REVIEW_FILE_SUFFIX = ".review.json"
REVIEW_FORMAT = "liquid-ecg-review"
REVIEW_FORMAT_VERSION = 1
DEFAULT_CARD_PATH = RESOURCES_DIR / "ltc_beat_classifier.card.json"
MAX_AUX_NOTE_CHARS = 255
"""WFDB stores an aux_note's length in one byte."""
RESERVED_EXTENSIONS = {"hea", "dat", "atr", "json", "csv", "ltc"}

MIT_BEAT_SYMBOLS = ("N", "L", "R", "e", "j", "A", "a", "J", "S", "V", "E", "F", "/", "f", "Q")
"""MIT-BIH beat symbols a reviewer can give, grouped by AAMI class in SYMBOL_TO_AAMI."""

MIT_SYMBOL_NAMES = {
    "N": "normal beat",
    "L": "left bundle branch block beat",
    "R": "right bundle branch block beat",
    "e": "atrial escape beat",
    "j": "nodal (junctional) escape beat",
    "A": "atrial premature beat",
    "a": "aberrated atrial premature beat",
    "J": "nodal (junctional) premature beat",
    "S": "supraventricular premature beat",
    "V": "premature ventricular contraction",
    "E": "ventricular escape beat",
    "F": "fusion of ventricular and normal beat",
    "/": "paced beat",
    "f": "fusion of paced and normal beat",
    "Q": "unclassifiable beat",
}


class ReviewError(Exception):
    """A review file that cannot be read or written; the message names the file."""


def now_iso() -> str:
    """Return the current UTC time as an ISO 8601 string with seconds."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def default_reviewer() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "reviewer"


@dataclass(frozen=True)
class Verdict:
    """The reviewer's label of one beat."""

    symbol: str
    """MIT beat symbol, one of MIT_BEAT_SYMBOLS."""
    note: str
    time: str
    """When the verdict was last changed, ISO 8601 in UTC."""
    reviewer: str

    @property
    def aami(self) -> str:
        return SYMBOL_TO_AAMI[self.symbol]


@dataclass(frozen=True)
class ModelInfo:
    """The classifier whose labels a review compares against."""

    name: str
    created: str
    weights_file: str
    weights_sha256: str
    app_version: str

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "created": self.created,
            "weights_file": self.weights_file,
            "weights_sha256": self.weights_sha256,
            "app_version": self.app_version,
        }


def app_version() -> str:
    try:
        return metadata.version("liquid-ecg")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


def read_model_info(card_path: Path = DEFAULT_CARD_PATH) -> ModelInfo:
    """Read the model's name, date and weights SHA-256 from its JSON model card, without JAX."""
    try:
        card = json.loads(Path(card_path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        logger.warning("%s: model card not readable (%s), so the review names no model", card_path, error)
        card = {}
    return ModelInfo(
        name=str(card.get("name", "unknown")),
        created=str(card.get("created", "")),
        weights_file=str(card.get("weights_file", "")),
        weights_sha256=str(card.get("weights_sha256", "")),
        app_version=app_version(),
    )


class Review:
    """Verdicts on the beats of one record, compared with the reference and model labels.

    Beats are addressed by their index in `record.beats`. Labels are AAMI class
    letters, or "" where a label is missing (no reference for detected beats, no
    model label before classification or for unclassified beats). A change
    calls `on_change(self)`; a `ReviewStore` uses it to save at once.
    """

    def __init__(self, record: EcgRecord, reviewer: str | None = None) -> None:
        self.record = record
        self.reviewer = reviewer or default_reviewer()
        self.sample = np.asarray(record.beats.sample, dtype=np.int64)
        self.reference_symbol = [str(symbol) for symbol in record.beats.symbol]
        if record.beats.source == "reference":
            self.reference = [AAMI_CLASSES[int(index)] for index in record.beats.aami]
        else:
            self.reference = [""] * len(self.sample)
        self.model = [""] * len(self.sample)
        self.confidence = np.full(len(self.sample), np.nan, dtype=np.float64)
        self.verdicts: dict[int, Verdict] = {}
        self.created = now_iso()
        self.updated = ""
        self.on_change: Callable[[Review], None] | None = None
        self.last_beat: int | None = None
        """Beat of the latest change, because verdict times have whole seconds and can tie."""
        self._index_of_sample = {int(sample): index for index, sample in enumerate(self.sample)}

    def __len__(self) -> int:
        return len(self.sample)

    # Labels

    def set_model_labels(self, predicted: np.ndarray, probabilities: np.ndarray) -> None:
        """Store the model's class per beat (index into AAMI_CLASSES, -1 unclassified) and its probability."""
        predicted = np.asarray(predicted)
        if len(predicted) != len(self):
            raise ValueError(f"{len(predicted)} model labels for {len(self)} beats of {self.record.record_name}")
        probabilities = np.asarray(probabilities, dtype=np.float64)
        self.model = [AAMI_CLASSES[int(index)] if index >= 0 else "" for index in predicted]
        self.confidence = np.array(
            [probabilities[beat, index] if index >= 0 else np.nan for beat, index in enumerate(predicted)]
        )

    def reviewer_label(self, beat: int) -> str:
        verdict = self.verdicts.get(beat)
        return "" if verdict is None else verdict.aami

    def is_disagreement(self, beat: int) -> bool:
        """Tell whether any two of the reference, model and reviewer labels of `beat` differ."""
        labels = {label for label in (self.reference[beat], self.model[beat], self.reviewer_label(beat)) if label}
        return len(labels) > 1

    def disagreements(self) -> list[int]:
        return [beat for beat in range(len(self)) if self.is_disagreement(beat)]

    def beat_at_sample(self, sample: int) -> int | None:
        return self._index_of_sample.get(int(sample))

    def time_s(self, beat: int) -> float:
        return float(self.sample[beat]) / self.record.fs

    # Verdicts

    def set_verdict(self, beat: int, symbol: str, note: str | None = None) -> Verdict:
        """Give `beat` the MIT `symbol`, keeping its note unless `note` is given, and save."""
        if symbol not in MIT_BEAT_SYMBOLS:
            raise ValueError(f"{symbol!r} is not an MIT beat symbol; use one of {' '.join(MIT_BEAT_SYMBOLS)}")
        self._check_beat(beat)
        previous = self.verdicts.get(beat)
        if note is None:
            note = previous.note if previous is not None else ""
        verdict = Verdict(symbol=symbol, note=note, time=now_iso(), reviewer=self.reviewer)
        self.verdicts[beat] = verdict
        self.last_beat = beat
        self._changed(verdict.time)
        return verdict

    def set_class(self, beat: int, aami: str) -> Verdict:
        """Give `beat` an AAMI class, keeping the finer MIT symbol when it is already of that class."""
        previous = self.verdicts.get(beat)
        if previous is not None and previous.aami == aami:
            return self.set_verdict(beat, previous.symbol)
        if self.reference[beat] == aami:
            return self.set_verdict(beat, self.reference_symbol[beat])
        return self.set_verdict(beat, AAMI_TO_SYMBOL[aami])

    def accept_model(self, beat: int) -> Verdict | None:
        """Take the model's class as the verdict; returns None when the model has no label for `beat`."""
        if not self.model[beat]:
            return None
        return self.set_class(beat, self.model[beat])

    def accept_reference(self, beat: int) -> Verdict | None:
        """Take the reference symbol as the verdict; returns None when `beat` has no reference label."""
        if not self.reference[beat]:
            return None
        return self.set_verdict(beat, self.reference_symbol[beat])

    def set_note(self, beat: int, note: str) -> Verdict:
        """Attach `note` to `beat`. A beat without a verdict gets the reference (else model) label."""
        self._check_beat(beat)
        previous = self.verdicts.get(beat)
        if previous is not None:
            symbol = previous.symbol
        elif self.reference[beat]:
            symbol = self.reference_symbol[beat]
        elif self.model[beat]:
            symbol = AAMI_TO_SYMBOL[self.model[beat]]
        else:
            symbol = "Q"
        return self.set_verdict(beat, symbol, note)

    def clear_verdict(self, beat: int) -> None:
        if self.verdicts.pop(beat, None) is not None:
            self.last_beat = None
            self._changed(now_iso())

    def last_changed_beat(self) -> int | None:
        """Return the beat whose verdict changed last, where a resumed review continues."""
        if self.last_beat is not None and self.last_beat in self.verdicts:
            return self.last_beat
        if not self.verdicts:
            return None
        return max(self.verdicts, key=lambda beat: (self.verdicts[beat].time, beat))

    def _check_beat(self, beat: int) -> None:
        if not 0 <= beat < len(self):
            raise IndexError(f"beat {beat} out of range: {self.record.record_name} has {len(self)} beats")

    def _changed(self, time: str) -> None:
        self.updated = time
        if self.on_change is not None:
            self.on_change(self)


# Agreement


def confusion(rows: list[str], columns: list[str]) -> np.ndarray:
    """Count beats per (row label, column label) pair over AAMI_CLASSES, skipping beats missing either."""
    matrix = np.zeros((len(AAMI_CLASSES), len(AAMI_CLASSES)), dtype=np.int64)
    for row, column in zip(rows, columns):
        if row and column:
            matrix[AAMI_CLASSES.index(row), AAMI_CLASSES.index(column)] += 1
    return matrix


def agreement_tables(review: Review) -> dict[str, np.ndarray]:
    """Confusion matrices of model vs reference, reviewer vs model and reviewer vs reference."""
    reviewer = [review.reviewer_label(beat) for beat in range(len(review))]
    return {
        "model vs reference": confusion(review.model, review.reference),
        "reviewer vs model": confusion(reviewer, review.model),
        "reviewer vs reference": confusion(reviewer, review.reference),
    }


def format_agreement_table(title: str, matrix: np.ndarray) -> str:
    """Format a confusion matrix (rows: the first-named labeller) with per-class agreement."""
    first, second = title.split(" vs ")
    total = int(matrix.sum())
    agreeing = int(np.trace(matrix))
    lines = [f"{title}: {agreeing} of {total} beats agree" + (f" ({100 * agreeing / total:.1f} %)" if total else "")]
    lines.append(f"  {first} \\ {second}".ljust(26) + "".join(f"{letter:>7}" for letter in AAMI_CLASSES))
    for row, letter in enumerate(AAMI_CLASSES):
        lines.append(f"  {letter}".ljust(26) + "".join(f"{int(count):>7}" for count in matrix[row]))
    lines.append(f"  per class ({second} beats that {first} labels the same):")
    for column, letter in enumerate(AAMI_CLASSES):
        column_total = int(matrix[:, column].sum())
        if column_total:
            share = 100 * matrix[column, column] / column_total
            lines.append(f"    {letter}: {int(matrix[column, column])} of {column_total} ({share:.1f} %)")
    return "\n".join(lines)


def format_summary(review: Review) -> str:
    """Return the review's counts and its three agreement tables as plain text."""
    record = review.record
    lines = [
        f"Record {record.record_name}: {len(review)} beats, {len(review.verdicts)} reviewed, "
        f"{len(review.disagreements())} with disagreeing labels",
    ]
    if not any(review.model):
        lines.append("No model labels: the record was not classified when the review was saved.")
    for title, matrix in agreement_tables(review).items():
        lines += ["", format_agreement_table(title, matrix)]
    return "\n".join(lines) + "\n"


# Files


def user_review_root() -> Path:
    """Per-user folder for reviews of records in read-only folders: $XDG_DATA_HOME/liquid-ecg/reviews."""
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "liquid-ecg" / "reviews"


def folder_is_writable(folder: Path) -> bool:
    """Tell whether the review may create files in `folder`.

    The permission bits decide first, because root can write into a folder
    whose bits mark it read-only, and such a folder is meant to stay untouched.
    Then a probe file is created and removed, which catches read-only mounts.
    """
    try:
        status = folder.stat()
    except OSError:
        return False
    if not _mode_allows_write(status):
        return False

    try:
        handle, probe = tempfile.mkstemp(dir=folder, prefix=".liquid-ecg-write-test-")
    except OSError:
        return False
    os.close(handle)
    Path(probe).unlink(missing_ok=True)
    return True


def _mode_allows_write(status: os.stat_result) -> bool:
    """Tell whether the folder's permission bits grant this process write access."""
    user_id = os.geteuid()
    if user_id == 0:
        return bool(status.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    if status.st_uid == user_id:
        return bool(status.st_mode & stat.S_IWUSR)
    if status.st_gid == os.getegid() or status.st_gid in os.getgroups():
        return bool(status.st_mode & stat.S_IWGRP)
    return bool(status.st_mode & stat.S_IWOTH)


def aux_note_text(note: str) -> str:
    """Fit a note into a WFDB aux_note: one line of at most 255 Latin-1 characters.

    wfdb 4.3 writes each character as one byte, so other characters become "?";
    the review file keeps the full note.
    """
    line = " ".join(note.split())
    return "".join(char if ord(char) < 256 else "?" for char in line)[:MAX_AUX_NOTE_CHARS]


class ReviewStore:
    """The folder and files where one record's review is saved.

    The record's own folder is used when it is writable. Otherwise the review
    goes into a folder under `fallback_root` named after the record and a hash
    of its path, so two records with the same name do not share a review.
    """

    def __init__(
        self,
        header_path: Path,
        annotator: str = DEFAULT_REVIEW_ANNOTATOR,
        fallback_root: Path | None = None,
        card_path: Path = DEFAULT_CARD_PATH,
    ) -> None:
        check_annotator(annotator)
        self.header_path = Path(header_path)
        self.record_name = self.header_path.stem
        self.annotator = annotator
        self.card_path = card_path
        record_folder = self.header_path.parent
        if folder_is_writable(record_folder):
            self.folder = record_folder
            self.is_fallback = False
        else:
            root = Path(fallback_root) if fallback_root is not None else user_review_root()
            path_hash = hashlib.sha256(str(self.header_path.resolve()).encode()).hexdigest()[:12]
            self.folder = root / f"{self.record_name}-{path_hash}"
            self.is_fallback = True

    @property
    def annotation_path(self) -> Path:
        return self.folder / f"{self.record_name}.{self.annotator}"

    @property
    def review_path(self) -> Path:
        return self.folder / f"{self.record_name}{REVIEW_FILE_SUFFIX}"

    def exists(self) -> bool:
        return self.review_path.is_file() or self.annotation_path.is_file()

    def save(self, review: Review) -> None:
        """Write the annotation file, then the review file, each atomically. Raises ReviewError."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._write_annotations(review)
            atomic_write(self.review_path, self._review_json(review))
        except OSError as error:
            raise ReviewError(f"{self.folder}: saving the review of {self.record_name} failed ({error}).") from error
        logger.debug("saved %d verdicts to %s", len(review.verdicts), self.review_path)

    def load_into(self, review: Review) -> int:
        """Restore saved verdicts into `review` and return how many were restored.

        The review file comes first; when it is missing or unreadable, the
        verdicts are recovered from the annotation file (without times).
        """
        if self.review_path.is_file():
            try:
                return self._load_json(review)
            except (OSError, ValueError, KeyError, TypeError) as error:
                logger.warning("%s: invalid review file (%s), so the verdicts are read from %s", self.review_path, error, self.annotation_path)
        if self.annotation_path.is_file():
            return self._load_annotations(review)
        return 0

    def _review_json(self, review: Review) -> bytes:
        verdicts = [
            {
                "beat": beat,
                "sample": int(review.sample[beat]),
                "symbol": verdict.symbol,
                "note": verdict.note,
                "time": verdict.time,
                "reviewer": verdict.reviewer,
            }
            for beat, verdict in sorted(review.verdicts.items())
        ]
        document = {
            "format": REVIEW_FORMAT,
            "format_version": REVIEW_FORMAT_VERSION,
            "record_name": review.record.record_name,
            "header_path": str(review.record.header_path),
            "fs": review.record.fs,
            "beat_source": review.record.beats.source,
            "n_beats": len(review),
            "annotator": self.annotator,
            "reviewer": review.reviewer,
            "created": review.created,
            "updated": review.updated,
            "last_changed_beat": review.last_beat,
            "model": read_model_info(self.card_path).to_dict(),
            "model_labels": "".join(label or "-" for label in review.model),
            "model_confidence": [None if np.isnan(value) else round(float(value), 4) for value in review.confidence],
            "verdicts": verdicts,
        }
        return json.dumps(document, indent=1, ensure_ascii=False).encode("utf-8") + b"\n"

    def _write_annotations(self, review: Review) -> None:
        if not review.verdicts:
            self.annotation_path.unlink(missing_ok=True)
            return
        beats = sorted(review.verdicts)
        # wrann writes straight to its final name, so it writes into a staging
        # folder beside the target, and the finished file is renamed into place.
        staging = Path(tempfile.mkdtemp(prefix=".writing-", dir=self.folder))
        try:
            wfdb.wrann(
                self.record_name,
                self.annotator,
                review.sample[beats],
                symbol=[review.verdicts[beat].symbol for beat in beats],
                aux_note=[aux_note_text(review.verdicts[beat].note) for beat in beats],
                fs=review.record.fs,
                write_dir=str(staging),
            )
            written = staging / self.annotation_path.name
            with open(written, "rb+") as stream:
                os.fsync(stream.fileno())
            os.replace(written, self.annotation_path)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        fsync_folder(self.folder)

    def _load_json(self, review: Review) -> int:
        document = json.loads(self.review_path.read_text(encoding="utf-8"))
        if document.get("format") != REVIEW_FORMAT:
            raise ValueError(f"not a {REVIEW_FORMAT} file")
        review.created = document.get("created") or review.created
        review.updated = document.get("updated", "")
        review.last_beat = document.get("last_changed_beat")
        model_labels = document.get("model_labels", "")
        if len(model_labels) == len(review) and not any(review.model):
            review.model = ["" if label == "-" else label for label in model_labels]
            review.confidence = np.array(
                [np.nan if value is None else value for value in document.get("model_confidence", [])]
                or [np.nan] * len(review),
                dtype=np.float64,
            )
        restored = 0
        for entry in document["verdicts"]:
            beat = review.beat_at_sample(entry["sample"])
            if beat is None or entry["symbol"] not in MIT_BEAT_SYMBOLS:
                logger.warning("%s: verdict at sample %s matches no beat, skipped", self.review_path, entry["sample"])
                continue
            review.verdicts[beat] = Verdict(
                symbol=entry["symbol"], note=entry.get("note", ""), time=entry["time"], reviewer=entry["reviewer"]
            )
            restored += 1
        return restored

    def _load_annotations(self, review: Review) -> int:
        try:
            annotation = wfdb.rdann(str(self.annotation_path.with_suffix("")), self.annotator)
        except Exception as error:  # wfdb raises many types for malformed files
            raise ReviewError(f"{self.annotation_path}: cannot read the saved verdicts ({error}).") from error
        notes = annotation.aux_note or [""] * len(annotation.sample)
        restored = 0
        for sample, symbol, note in zip(annotation.sample, annotation.symbol, notes):
            beat = review.beat_at_sample(int(sample))
            if beat is None or symbol not in MIT_BEAT_SYMBOLS:
                continue
            review.verdicts[beat] = Verdict(symbol=symbol, note=note or "", time="", reviewer=review.reviewer)
            restored += 1
        logger.warning("%s: recovered %d verdicts from the annotation file", self.review_path, restored)
        return restored


def check_annotator(annotator: str) -> None:
    """Raise ValueError for an annotator extension that could overwrite a record's own files."""
    if not annotator.isalnum() or annotator.lower() in RESERVED_EXTENSIONS:
        raise ValueError(
            f"annotator extension {annotator!r} is not allowed: use letters and digits, "
            f"not one of {', '.join(sorted(RESERVED_EXTENSIONS))}"
        )


def open_review(
    record: EcgRecord,
    reviewer: str | None = None,
    annotator: str = DEFAULT_REVIEW_ANNOTATOR,
    fallback_root: Path | None = None,
) -> tuple[Review, ReviewStore]:
    """Load the saved review of `record` (or start an empty one) and save every later change."""
    store = ReviewStore(record.header_path, annotator, fallback_root)
    review = Review(record, reviewer)
    restored = store.load_into(review)
    if restored:
        logger.info("resumed the review of %s: %d verdicts from %s", record.record_name, restored, store.folder)
    review.on_change = store.save
    return review, store
