"""Load WFDB records and their beat annotations into plain numpy containers.

This module imports neither Qt nor JAX, so the window can open records before
the network has loaded.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import wfdb

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


class RecordError(Exception):
    """A record that cannot be opened; the message names the file and the problem."""


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


def header_path_of(path: str | Path) -> Path:
    """Return the `.hea` path for a record given as `.hea` or as its base name."""
    path = Path(path)
    if path.suffix.lower() == ".hea":
        return path
    return path.with_name(path.name + ".hea")


def load_record(path: str | Path, annotator: str = "atr") -> EcgRecord:
    """Read a WFDB record, pick its ECG leads and read or detect its beats.

    Raises RecordError with the file name when the record cannot be read or has
    no ECG lead.
    """
    header_path = header_path_of(path)
    if header_path.is_dir() or Path(path).is_dir():
        raise RecordError(f"{path}: is a folder; choose a record's .hea file.")
    if not header_path.is_file():
        raise RecordError(f"{header_path}: header file not found.")

    record_base = str(header_path.with_suffix(""))
    try:
        record = wfdb.rdrecord(record_base, physical=True, smooth_frames=True)
    except Exception as error:  # wfdb raises many types for malformed files
        raise RecordError(f"{header_path}: cannot read the record ({error}).") from error

    signal = _physical_signal_mv(record)
    if signal.shape[0] == 0:
        raise RecordError(f"{header_path}: the record has no samples.")

    sig_name = [str(name) for name in (record.sig_name or [])]
    units = [str(unit) for unit in (record.units or ["mV"] * len(sig_name))]
    # _physical_signal_mv converted every voltage to mV.
    units = ["mV" if unit.strip().lower() in _VOLTAGE_UNITS else unit for unit in units]
    ecg_channels = find_ecg_channels(sig_name, units)
    if not ecg_channels:
        raise RecordError(
            f"{header_path}: no ECG lead among the signals {', '.join(sig_name) or '(none)'}."
        )

    model_channel = choose_model_channel(sig_name, ecg_channels)
    fs = float(record.fs)
    comments = [str(comment) for comment in (record.comments or [])]
    beats = read_beats(header_path, annotator, fs)
    if beats is None:
        beats = detect_beats(signal[:, model_channel], fs)

    return EcgRecord(
        header_path=header_path,
        record_name=header_path.stem,
        fs=fs,
        signal=signal,
        sig_name=sig_name,
        units=units,
        ecg_channels=ecg_channels,
        model_channel=model_channel,
        beats=beats,
        comments=comments,
        is_synthetic=any("synthetic" in comment.lower() for comment in comments),
    )


def _physical_signal_mv(record: wfdb.Record) -> np.ndarray:
    """Return the physical signal as float32 with voltages converted to mV."""
    signal = np.asarray(record.p_signal, dtype=np.float32)
    if signal.ndim == 1:
        signal = signal[:, None]

    for channel, unit in enumerate(record.units or []):
        unit_name = str(unit).strip().lower()
        if unit_name in ("uv", "µv", "μv"):
            signal[:, channel] /= 1000.0
        elif unit_name == "v":
            signal[:, channel] *= 1000.0
    return signal


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


def read_beats(header_path: Path, annotator: str, fs: float) -> Beats | None:
    """Read reference beats from the annotation file, or return None when it is absent."""
    annotation_path = header_path.with_suffix(f".{annotator}")
    if not annotation_path.is_file():
        return None

    try:
        annotation = wfdb.rdann(str(header_path.with_suffix("")), annotator)
    except Exception as error:  # wfdb raises many types for malformed files
        raise RecordError(f"{annotation_path}: cannot read the annotations ({error}).") from error

    if annotation.fs and abs(float(annotation.fs) - fs) > 1e-6:
        logger.warning("%s: annotation fs %s differs from record fs %s", annotation_path, annotation.fs, fs)

    symbols = np.asarray(annotation.symbol, dtype=object)
    samples = np.asarray(annotation.sample, dtype=np.int64)
    is_beat = np.array([symbol in SYMBOL_TO_AAMI for symbol in symbols], dtype=bool)
    return make_beats(samples[is_beat], symbols[is_beat], "reference")


def detect_beats(ecg_mv: np.ndarray, fs: float) -> Beats:
    """Detect QRS complexes with wfdb's XQRS detector; the beats carry no reference class."""
    from wfdb import processing

    finite = np.nan_to_num(ecg_mv.astype(np.float64), nan=0.0)
    detector = processing.XQRS(sig=finite, fs=fs)
    detector.detect(verbose=False)
    samples = np.asarray(detector.qrs_inds, dtype=np.int64)
    symbols = np.full(len(samples), "Q", dtype=object)
    return make_beats(samples, symbols, "detected")


def make_beats(samples: np.ndarray, symbols: np.ndarray, source: str) -> Beats:
    """Build Beats sorted by sample, with AAMI classes from the MIT symbols."""
    order = np.argsort(samples, kind="stable")
    samples = samples[order]
    symbols = symbols[order]
    aami = np.array(
        [AAMI_CLASSES.index(SYMBOL_TO_AAMI.get(symbol, "Q")) for symbol in symbols], dtype=np.int8
    )
    return Beats(sample=samples, symbol=symbols.astype(str), aami=aami, source=source)
