"""Load WFDB records and their beat annotations into plain numpy containers.

This module imports neither Qt nor JAX, so the window can open records before
the network has loaded.
"""

from __future__ import annotations

import glob
import logging
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import wfdb

from model.record_files import (
    RecordError,
    check_header_path,
    convert_voltages_to_mv,
    header_path_of,
    read_header,
    read_signals,
)

logger = logging.getLogger(__name__)

AAMI_CLASSES = ("N", "S", "V", "F", "Q")
"""Beat classes of ANSI/AAMI EC57, in the column order used everywhere."""

SYMBOL_TO_AAMI = {
    **dict.fromkeys(["N", "L", "R", "e", "j"], "N"),
    **dict.fromkeys(["A", "a", "J", "S"], "S"),
    **dict.fromkeys(["V", "E"], "V"),
    "F": "F",
    **dict.fromkeys(["/", "f", "Q"], "Q"),
}
"""MIT-BIH beat symbols grouped into AAMI classes; other symbols are not beats."""

AAMI_TO_SYMBOL = {"N": "N", "S": "A", "V": "V", "F": "F", "Q": "Q"}
"""The MIT symbol written for each AAMI class when saving predictions."""

_ECG_NAME = re.compile(
    r"^(ecg|ekg|ml ?i{1,3}|ml|m?cm\d?|i{1,3}|a?v[rlf]|v\d|d[1-3]|lead.*|ecg.*|ekg.*|mod.*v\d)$",
    re.IGNORECASE,
)
_NON_ECG_NAME = re.compile(
    r"(abp|art|bp|pap|cvp|pleth|spo2|sao2|resp|eeg|emg|eog|temp|noise|co2|ppg|press|flow)",
    re.IGNORECASE,
)
_PREFERRED_LEADS = ("MLII", "II", "ML II", "MLI", "V5", "I")
_VOLTAGE_UNITS = ("mv", "uv", "µv", "μv", "v")

DETECTION_FS = 360.0
"""Rate in Hz at which XQRS runs: the rate of MIT-BIH, on which its default parameters work."""


DEFAULT_ANNOTATOR = "atr"
COUNTERFACTUAL_COMMENT_PREFIX = "Counterfactual of record"
"""Start of the first header comment of a counterfactual saved by Liquid ECG."""
NOT_ANNOTATION_EXTENSIONS = frozenset(
    "hea dat mat flac wav edf csv txt json xml pdf png jpg jpeg svg html md zip gz tmp rev".split()
)
"""File extensions never offered as beat annotations: signals, documents, and the review's own `.rev`."""


@dataclass(frozen=True)
class Beats:
    """Beat positions and labels of one record."""

    sample: np.ndarray
    """int64 (n_beats,): R-peak positions in samples at the record's fs."""
    symbol: np.ndarray
    """str (n_beats,): MIT beat symbols."""
    aami: np.ndarray
    """int8 (n_beats,): index into AAMI_CLASSES."""
    source: str
    """"reference" for annotations read from a file, "detected" for QRS detector output."""

    def __len__(self) -> int:
        return len(self.sample)


@dataclass
class EcgRecord:
    """One WFDB record with its signals in physical units and its beats."""

    header_path: Path
    record_name: str
    fs: float
    signal: np.ndarray
    """float32 (n_samples, n_signals) in physical units (ECG in mV); NaN where invalid."""
    sig_name: list[str]
    units: list[str]
    ecg_channels: list[int]
    model_channel: int
    beats: Beats
    comments: list[str] = field(default_factory=list)
    is_synthetic: bool = False
    notes: list[str] = field(default_factory=list)
    """Problems found while loading that did not stop it, e.g. missing signal files."""
    annotator: str = DEFAULT_ANNOTATOR
    """Extension of the annotation file the reference beats were read from (or looked for)."""

    @property
    def counterfactual_source(self) -> str | None:
        """Return the first header comment when this record is a saved counterfactual, else None."""
        if self.comments and self.comments[0].startswith(COUNTERFACTUAL_COMMENT_PREFIX):
            return self.comments[0]
        return None

    @property
    def n_samples(self) -> int:
        return int(self.signal.shape[0])

    @property
    def duration_s(self) -> float:
        return self.n_samples / self.fs

    @property
    def model_signal_mv(self) -> np.ndarray:
        """float32 (n_samples,): the lead the network reads, in mV."""
        return self.signal[:, self.model_channel]


def annotation_extensions(header_path: Path) -> list[str]:
    """Return, sorted, the extensions of the files beside a record that may be beat annotations.

    Signal files, the review's own files and common non-WFDB files are left out;
    whether a listed file parses is only known when it is read.
    """
    header_path = Path(header_path)
    extensions = []
    for path in header_path.parent.glob(f"{glob.escape(header_path.stem)}.*"):
        extension = path.name[len(header_path.stem) + 1 :]
        if extension and "." not in extension and extension.lower() not in NOT_ANNOTATION_EXTENSIONS:
            extensions.append(extension)
    return sorted(extensions)


def load_record(path: str | Path, annotator: str = DEFAULT_ANNOTATOR) -> EcgRecord:
    """Read a WFDB record, pick its ECG leads and read or detect its beats.

    Raises RecordError with the file name when the record cannot be read or has
    no ECG lead.
    """
    header_path = check_header_path(path)
    header = read_header(header_path)
    data = read_signals(header_path, header)
    signal = data.signal
    units = convert_voltages_to_mv(signal, data.units)
    sig_name = data.sig_name

    ecg_channels = find_ecg_channels(sig_name, units)
    if not ecg_channels:
        described = ", ".join(f"{name} ({unit})" for name, unit in zip(sig_name, units)) or "(none)"
        raise RecordError(
            f"{header_path}: no ECG lead among the signals {described}; "
            "ECG leads are recognised by lead name (MLII, V1, aVR ...) or by voltage units, "
            "unless the name marks another signal (ABP, RESP, PLETH, noise ...)."
        )

    model_channel = choose_model_channel(sig_name, ecg_channels)
    notes = []
    beats = read_beats(header_path, annotator, data.fs, data.frame_fs)
    if beats is None:
        beats = detect_beats(signal[:, model_channel], data.fs)
        if annotator != DEFAULT_ANNOTATOR:
            notes.append(f"no {header_path.stem}.{annotator} annotation file, so the beats were detected")
    beats = beats_inside(beats, signal.shape[0], header_path)

    if data.missing_signals:
        notes.append(f"signal files missing for {', '.join(data.missing_signals)}; those signals are not shown")
    return EcgRecord(
        header_path=header_path,
        record_name=header_path.stem,
        fs=data.fs,
        signal=signal,
        sig_name=sig_name,
        units=units,
        ecg_channels=ecg_channels,
        model_channel=model_channel,
        beats=beats,
        comments=data.comments,
        is_synthetic=any("synthetic" in comment.lower() for comment in data.comments),
        notes=notes,
        annotator=annotator,
    )


def with_model_channel(record: EcgRecord, channel: int) -> EcgRecord:
    """Return `record` with the network reading lead `channel`; the signal array is shared, not copied.

    Detected beats are detected again on the new lead, reference beats stay.
    Raises ValueError when `channel` is not one of the record's ECG leads.
    """
    if channel not in record.ecg_channels:
        names = ", ".join(record.sig_name[index] for index in record.ecg_channels)
        raise ValueError(
            f"{record.header_path}: signal {channel} is not an ECG lead; the network reads only {names}."
        )

    beats = record.beats
    if beats.source == "detected" and channel != record.model_channel:
        beats = beats_inside(detect_beats(record.signal[:, channel], record.fs), record.n_samples, record.header_path)
    return replace(record, model_channel=channel, beats=beats)


def find_ecg_channels(sig_name: list[str], units: list[str]) -> list[int]:
    """Return the indices of ECG leads, recognised by lead name or by voltage units."""
    channels = []
    for index, name in enumerate(sig_name):
        name = name.strip()
        unit = units[index].strip().lower() if index < len(units) else ""
        if _NON_ECG_NAME.search(name):
            continue
        if _ECG_NAME.match(name) or unit in ("mv", "uv", "µv", "μv", "v"):
            channels.append(index)
    return channels


def choose_model_channel(sig_name: list[str], ecg_channels: list[int]) -> int:
    """Return the lead the network reads: MLII or II when present, else the first ECG lead."""
    normalised = {sig_name[index].strip().upper(): index for index in ecg_channels}
    for lead in _PREFERRED_LEADS:
        if lead in normalised:
            return normalised[lead]
    return ecg_channels[0]


def read_beats(header_path: Path, annotator: str, fs: float, frame_fs: float | None = None) -> Beats | None:
    """Read reference beats from the annotation file, or return None when it is absent.

    Annotation samples are converted to samples at `fs`: they count frames (at
    `frame_fs`) unless the file stores its own sampling frequency.
    """
    annotation_path = header_path.with_suffix(f".{annotator}")
    if not annotation_path.is_file():
        return None

    try:
        annotation = wfdb.rdann(str(header_path.with_suffix("")), annotator)
        symbols = np.asarray(annotation.symbol, dtype=object)
        samples = np.asarray(annotation.sample, dtype=np.int64)
    except Exception as error:  # wfdb raises many types for malformed files
        raise RecordError(
            f"{annotation_path}: cannot read the annotations ({type(error).__name__}: {error}); "
            "move the file away to open the record with detected beats."
        ) from error

    annotation_fs = float(annotation.fs) if annotation.fs else (frame_fs or fs)
    if abs(annotation_fs - fs) > 1e-6:
        samples = np.round(samples * (fs / annotation_fs)).astype(np.int64)

    is_beat = np.array([symbol in SYMBOL_TO_AAMI for symbol in symbols], dtype=bool)
    return make_beats(samples[is_beat], symbols[is_beat], "reference")


def detect_beats(ecg_mv: np.ndarray, fs: float) -> Beats:
    """Detect QRS complexes with wfdb's XQRS detector; the beats carry no reference class.

    The lead is resampled to DETECTION_FS first, because XQRS's default
    parameters find no beats in 1000 Hz PTB record s0010_re but 52 at 360 Hz.
    Invalid samples (NaN) are read as 0 mV. When the detector fails, for
    example on a flat lead, the record gets no beats and a logged warning.
    """
    from wfdb import processing

    from model.preprocess import resample

    finite = np.nan_to_num(ecg_mv, nan=0.0)
    try:
        detection_signal = resample(finite, fs, DETECTION_FS).astype(np.float64)
        detector = processing.XQRS(sig=detection_signal, fs=DETECTION_FS)
        detector.detect(verbose=False)
        detected = np.asarray(detector.qrs_inds, dtype=np.float64)
        samples = np.round(detected * (fs / DETECTION_FS)).astype(np.int64)
        samples = np.unique(np.clip(samples, 0, len(ecg_mv) - 1))
    except Exception as error:  # XQRS fails in several ways on flat or very short signals
        logger.warning("QRS detection failed (%s: %s); the record has no beats", type(error).__name__, error)
        samples = np.zeros(0, dtype=np.int64)

    symbols = np.full(len(samples), "Q", dtype=object)
    return make_beats(samples, symbols, "detected")


def beats_inside(beats: Beats, n_samples: int, header_path: Path) -> Beats:
    """Drop beats annotated outside the record's samples, with a logged warning."""
    inside = (beats.sample >= 0) & (beats.sample < n_samples)
    if inside.all():
        return beats
    logger.warning("%s: %d beats lie outside the record's %d samples and are left out",
                   header_path, int((~inside).sum()), n_samples)
    return Beats(sample=beats.sample[inside], symbol=beats.symbol[inside], aami=beats.aami[inside], source=beats.source)


def make_beats(samples: np.ndarray, symbols: np.ndarray, source: str) -> Beats:
    """Build Beats sorted by sample, with AAMI classes from the MIT symbols."""
    order = np.argsort(samples, kind="stable")
    samples = samples[order]
    symbols = symbols[order]
    aami = np.array(
        [AAMI_CLASSES.index(SYMBOL_TO_AAMI.get(symbol, "Q")) for symbol in symbols], dtype=np.int8
    )
    return Beats(sample=samples, symbol=symbols.astype(str), aami=aami, source=source)
