"""Check a WFDB record's files before `wfdb` reads them, and read its signals in chunks.

`wfdb` raises many exception types on damaged files (ValueError, IndexError,
struct errors, UnicodeDecodeError ...) and trusts the header's signal length
when it allocates arrays. The checks here turn each known kind of damage into a
`RecordError` that names the file and the problem, and compare the signal
files' sizes with the header before anything large is allocated.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import wfdb
from wfdb.io import _signal as wfdb_signal

logger = logging.getLogger(__name__)

READ_CHUNK_SAMPLES = 1 << 20
"""Samples per signal read per `wfdb.rdrecord` call, so no float64 copy of a long record exists at once."""

MIN_FS_HZ = 50.0
"""Lowest sampling frequency accepted: below it a 100 ms QRS complex spans fewer than 5 samples."""

MAX_FS_HZ = 20_000.0
"""Highest sampling frequency accepted, far above any ECG recorder, so a damaged header is not resampled."""

_FLAC_FORMATS = {"508", "516", "524"}


class RecordError(Exception):
    """A record that cannot be opened; the message names the file and the problem."""


@dataclass
class SignalData:
    """Signals read from a record, all on one sample axis."""

    signal: np.ndarray
    """float32 (n_samples, n_signals) in the header's physical units; NaN where invalid."""
    fs: float
    """Rate of `signal` in Hz: the frame rate times the largest samples-per-frame."""
    frame_fs: float
    """The header's frame rate in Hz, the time base of annotation files."""
    sig_name: list[str]
    units: list[str]
    comments: list[str]
    missing_signals: list[str]
    """Names of signals left out because their signal file is missing."""


def header_path_of(path: str | Path) -> Path:
    """Return the `.hea` path for a record given as `.hea` or as its base name."""
    path = Path(path)
    if path.suffix.lower() == ".hea":
        return path
    return path.with_name(path.name + ".hea")


def check_header_path(path: str | Path) -> Path:
    """Return the header path of `path`, or raise RecordError for folders and non-header files."""
    path = Path(path)
    if path.is_dir():
        raise RecordError(f"{path}: is a folder; choose a record's .hea file.")

    header_path = header_path_of(path)
    if path.suffix.lower() != ".hea" and path.is_file() and not header_path.is_file():
        raise RecordError(
            f"{path}: not a WFDB header file; choose the record's .hea file (not its {path.suffix or 'data'} file)."
        )
    if header_path.is_dir():
        raise RecordError(f"{header_path}: is a folder; choose a record's .hea file.")
    if not header_path.is_file():
        raise RecordError(f"{header_path}: header file not found.")
    return header_path


def check_header_text(header_path: Path) -> None:
    """Raise RecordError when the header is not ASCII text, which `wfdb` requires."""
    try:
        content = header_path.read_bytes()
    except OSError as error:
        raise RecordError(f"{header_path}: cannot read the header ({error.strerror}).") from error

    if not content.strip():
        raise RecordError(f"{header_path}: the header file is empty.")
    if b"\0" in content[:4096]:
        raise RecordError(f"{header_path}: not a WFDB header (binary content); choose the record's .hea file.")
    try:
        content.decode("ascii")
    except UnicodeDecodeError as error:
        line = content[: error.start].count(b"\n") + 1
        raise RecordError(
            f"{header_path}: line {line} contains the non-ASCII byte 0x{content[error.start]:02x}; "
            "WFDB headers must be ASCII text."
        ) from error
    check_header_fields(header_path, content.decode("ascii"))


_NUMBER = r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?"
_RECORD_FIELDS = {
    "number of signals": re.compile(r"\d+"),
    "sampling frequency": re.compile(rf"{_NUMBER}(/{_NUMBER}(\({_NUMBER}\))?)?"),
    "number of samples": re.compile(r"\d+"),
}
_SIGNAL_FIELDS = {
    "format": re.compile(r"\d+(x\d+)?(:\d+)?(\+\d+)?"),
    "gain": re.compile(rf"{_NUMBER}(\({_NUMBER}\))?(/\S*)?"),
    "resolution": re.compile(r"\d+"),
    "ADC zero": re.compile(r"[+-]?\d+"),
    "initial value": re.compile(r"[+-]?\d+"),
    "checksum": re.compile(r"[+-]?\d+"),
    "block size": re.compile(r"\d+"),
}


def check_header_fields(header_path: Path, text: str) -> None:
    """Raise RecordError naming the line and field of the first header field that is not valid.

    `wfdb.rdheader` (4.3.1) matches fields with permissive patterns. It
    silently replaces a field it cannot parse with a default, so a sampling
    frequency of "zero" becomes 250 Hz. Hence each field is checked here first.
    """
    lines = [
        (number, line.split())
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not lines:
        raise RecordError(f"{header_path}: the header has no record line.")

    record_line, record_fields = lines[0]
    _check_fields(header_path, record_line, record_fields[1:4], _RECORD_FIELDS)
    if len(record_fields) < 2:
        raise RecordError(f"{header_path}: line {record_line} has no number of signals.")
    n_lines_needed = int(record_fields[1])
    if "/" in record_fields[0]:
        n_segments = record_fields[0].split("/", 1)[1]
        if not n_segments.isdigit():
            raise RecordError(f"{header_path}: line {record_line}: invalid number of segments {n_segments!r}.")
        n_lines_needed = int(n_segments)
        for number, fields in lines[1 : 1 + n_lines_needed]:
            if len(fields) != 2 or not fields[1].isdigit():
                raise RecordError(f"{header_path}: line {number}: expected a segment name and its length.")
    else:
        for number, fields in lines[1 : 1 + n_lines_needed]:
            _check_fields(header_path, number, fields[1:8], _SIGNAL_FIELDS)

    if len(lines) - 1 < n_lines_needed:
        raise RecordError(
            f"{header_path}: line {record_line} announces {n_lines_needed} signal or segment lines, "
            f"but the header has {len(lines) - 1}."
        )


def _check_fields(header_path: Path, line_number: int, values: list[str], fields: dict) -> None:
    for value, (field_name, pattern) in zip(values, fields.items()):
        if not pattern.fullmatch(value):
            raise RecordError(f"{header_path}: line {line_number}: invalid {field_name} {value!r}.")


def read_header(header_path: Path) -> wfdb.Record | wfdb.MultiRecord:
    """Parse the header with `wfdb` and check the fields that later reads depend on."""
    check_header_text(header_path)
    try:
        header = wfdb.rdheader(str(header_path.with_suffix("")), rd_segments=False)
    except Exception as error:  # wfdb raises many types for malformed headers
        raise RecordError(f"{header_path}: invalid header ({type(error).__name__}: {error}).") from error

    fs = header.fs
    if fs is None or not math.isfinite(float(fs)) or float(fs) < MIN_FS_HZ:
        raise RecordError(
            f"{header_path}: invalid sampling frequency {fs} Hz; ECG beat analysis needs at least {MIN_FS_HZ:g} Hz."
        )
    if float(fs) > MAX_FS_HZ:
        raise RecordError(
            f"{header_path}: invalid sampling frequency {fs} Hz; ECG recorders sample at up to a few kHz, "
            f"and this program reads up to {MAX_FS_HZ:g} Hz."
        )
    if not header.n_sig:
        raise RecordError(f"{header_path}: the header lists no signals.")
    if header.sig_len is not None and header.sig_len <= 0:
        raise RecordError(f"{header_path}: the record has no samples (signal length {header.sig_len}).")
    if isinstance(header, wfdb.Record):
        _check_signal_fields(header_path, header)
    return header


def _check_signal_fields(header_path: Path, header: wfdb.Record) -> None:
    for channel in range(header.n_sig):
        fmt = header.fmt[channel]
        if fmt not in wfdb_signal.DAT_FMTS:
            raise RecordError(
                f"{header_path}: signal {channel + 1} has storage format {fmt!r}, which is not a WFDB "
                f"format this program reads ({', '.join(sorted(wfdb_signal.DAT_FMTS, key=int))})."
            )
        gain = header.adc_gain[channel]
        if gain is not None and not math.isfinite(float(gain)):
            raise RecordError(f"{header_path}: signal {channel + 1} has the invalid gain {gain}.")
        spf = header.samps_per_frame[channel] or 1
        if spf < 1 or spf > 1000:
            raise RecordError(f"{header_path}: signal {channel + 1} has the invalid samples per frame {spf}.")


def available_channels(header_path: Path, header: wfdb.Record) -> tuple[list[int], list[str]]:
    """Return the channels whose signal file exists and the names of those that are missing.

    Raises RecordError naming the file when no signal file exists or one is
    shorter than the header's signal length.
    """
    folder = header_path.parent
    present, missing_files = [], []
    for channel, file_name in enumerate(header.file_name):
        if (folder / file_name).is_file():
            present.append(channel)
        else:
            missing_files.append(file_name)

    if not present:
        names = ", ".join(str(folder / name) for name in dict.fromkeys(missing_files))
        raise RecordError(f"{names}: signal file not found (named in {header_path.name}).")

    for file_name in dict.fromkeys(header.file_name[channel] for channel in present):
        _check_file_size(header_path, header, folder / file_name)

    missing = [str(header.sig_name[channel]) for channel in range(header.n_sig) if channel not in present]
    if missing:
        logger.warning(
            "%s: signal files %s not found; showing the other signals",
            header_path, ", ".join(dict.fromkeys(missing_files)),
        )
    return present, missing


def _check_file_size(header_path: Path, header: wfdb.Record, file_path: Path) -> None:
    """Raise RecordError when `file_path` is empty or shorter than the header's signal length needs."""
    channels = [channel for channel, name in enumerate(header.file_name) if name == file_path.name]
    size = file_path.stat().st_size
    offset = header.byte_offset[channels[0]] or 0
    if size <= offset:
        raise RecordError(f"{file_path}: the signal file is empty ({size} bytes, data start at byte {offset}).")

    formats = {header.fmt[channel] for channel in channels}
    if formats & _FLAC_FORMATS or header.sig_len is None:
        return

    bits_per_frame = sum(
        8 * wfdb_signal.BYTES_PER_SAMPLE[header.fmt[channel]] * (header.samps_per_frame[channel] or 1)
        for channel in channels
    )
    needed = offset + math.floor(header.sig_len * bits_per_frame / 8)
    if size < needed:
        available = int((size - offset) * 8 // bits_per_frame)
        raise RecordError(
            f"{file_path}: the signal file is truncated: it has {size} bytes, but {header.sig_len} samples "
            f"need {needed} bytes ({available} samples present)."
        )


def read_signals(
    header_path: Path, header: wfdb.Record | wfdb.MultiRecord, chunk_samples: int = READ_CHUNK_SAMPLES
) -> SignalData:
    """Read every available signal as float32 in physical units, resampled to the highest per-signal rate."""
    record_base = str(header_path.with_suffix(""))
    comments = [str(comment) for comment in (header.comments or [])]
    frame_fs = float(header.fs)

    if isinstance(header, wfdb.MultiRecord):
        record = _rdrecord(header_path, record_base, 0, None, None)
        signal, fs = _frames_to_signal(record, frame_fs)
        return SignalData(
            signal=signal, fs=fs, frame_fs=frame_fs, sig_name=_names(record), units=_units(record),
            comments=comments, missing_signals=[],
        )

    channels, missing = available_channels(header_path, header)
    sig_len = header.sig_len
    # NOTE: wfdb 4.3.1 reads format 8 (first differences) wrongly from a sampfrom above 0, and
    # FLAC cannot seek by sample, so both are read whole.
    formats = {header.fmt[channel] for channel in channels}
    if sig_len is None or formats & (_FLAC_FORMATS | {"8"}):
        record = _rdrecord(header_path, record_base, 0, None, channels)
        signal, fs = _frames_to_signal(record, frame_fs)
    else:
        signal, fs = _read_in_chunks(header_path, record_base, header, channels, chunk_samples)

    if signal.shape[0] == 0:
        raise RecordError(f"{header_path}: the record has no samples.")
    return SignalData(
        signal=signal,
        fs=fs,
        frame_fs=frame_fs,
        sig_name=[str(header.sig_name[channel]) for channel in channels],
        units=[str(header.units[channel] or "mV") if header.units else "mV" for channel in channels],
        comments=comments,
        missing_signals=missing,
    )


def _read_in_chunks(
    header_path: Path, record_base: str, header: wfdb.Record, channels: list[int], chunk_samples: int
) -> tuple[np.ndarray, float]:
    spf = [header.samps_per_frame[channel] or 1 for channel in channels]
    max_spf = max(spf)
    signal = np.empty((header.sig_len * max_spf, len(channels)), dtype=np.float32)

    for first in range(0, header.sig_len, chunk_samples):
        last = min(first + chunk_samples, header.sig_len)
        record = _rdrecord(header_path, record_base, first, last, channels)
        chunk, _ = _frames_to_signal(record, float(header.fs), max_spf)
        if chunk.shape[0] != (last - first) * max_spf:
            raise RecordError(
                f"{header_path}: reading samples {first} to {last} returned {chunk.shape[0] // max_spf} samples."
            )
        signal[first * max_spf : last * max_spf] = chunk
    return signal, float(header.fs) * max_spf


def _rdrecord(
    header_path: Path, record_base: str, sampfrom: int, sampto: int | None, channels: list[int] | None
) -> wfdb.Record:
    try:
        return wfdb.rdrecord(
            record_base,
            sampfrom=sampfrom,
            sampto=sampto,
            channels=channels,
            physical=True,
            smooth_frames=False,
            return_res=32,
        )
    except RecordError:
        raise
    except Exception as error:  # wfdb raises many types for damaged signal files
        raise RecordError(
            f"{header_path}: cannot read the signals ({type(error).__name__}: {error})."
        ) from error


def _frames_to_signal(record: wfdb.Record, frame_fs: float, max_spf: int | None = None) -> tuple[np.ndarray, float]:
    """Put every channel on the rate of the fastest one; slower channels repeat each sample.

    Returns (float32 (n_samples, n_signals), fs in Hz).
    """
    channels = record.e_p_signal
    if channels is None or len(channels) == 0:
        return np.zeros((0, 0), dtype=np.float32), frame_fs

    spf = [int(value or 1) for value in (record.samps_per_frame or [1] * len(channels))]
    max_spf = max_spf or max(spf)
    n_frames = min(len(values) // factor for values, factor in zip(channels, spf))
    signal = np.empty((n_frames * max_spf, len(channels)), dtype=np.float32)
    for index, (values, factor) in enumerate(zip(channels, spf)):
        values = np.asarray(values[: n_frames * factor], dtype=np.float32)
        if max_spf % factor:
            # Rates that are not integer multiples: linear interpolation onto the fast axis.
            target = np.arange(n_frames * max_spf) * (factor / max_spf)
            signal[:, index] = np.interp(target, np.arange(len(values)), values)
        else:
            signal[:, index] = np.repeat(values, max_spf // factor)
    return signal, frame_fs * max_spf


def _voltage_scale_to_mv(unit: str) -> float | None:
    """Return the factor that converts `unit` to mV, or None when it is not a voltage."""
    return {"mv": 1.0, "uv": 1e-3, "µv": 1e-3, "μv": 1e-3, "v": 1e3}.get(unit.strip().lower())


def convert_voltages_to_mv(signal: np.ndarray, units: list[str]) -> list[str]:
    """Scale voltage channels of `signal` to mV in place and return the new units."""
    new_units = []
    for channel, unit in enumerate(units):
        scale = _voltage_scale_to_mv(unit)
        if scale is None:
            new_units.append(unit)
            continue
        if scale != 1.0:
            signal[:, channel] *= np.float32(scale)
        new_units.append("mV")
    return new_units


def _names(record: wfdb.Record) -> list[str]:
    return [str(name) for name in (record.sig_name or [])]


def _units(record: wfdb.Record) -> list[str]:
    names = _names(record)
    return [str(unit or "mV") for unit in (record.units or ["mV"] * len(names))]
