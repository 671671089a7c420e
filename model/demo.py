"""Generate the synthetic demo record that `liquid-ecg` opens when given no record.

The record is written once into the user's cache folder and reused until the
generator version changes. Every beat is a sum of Gaussian waves (P, Q, R, S,
T), the idea behind ECGSYN (McSharry, Clifford, Tarassenko and Smith, IEEE
TBME 50(3):289-294, 2003), written here in time rather than in phase. RR
intervals carry respiratory sinus arrhythmia (about 0.25 Hz) and Mayer waves
(about 0.1 Hz), and QT shortens with RR after Bazett (QT proportional to
sqrt(RR)).

Ectopic beats follow the textbook timing. A supraventricular premature beat
(MIT symbol `A`) comes early with an abnormal P wave and a normal QRS, and it
resets the sinus node. A premature ventricular beat (`V`) comes early with a
wide QRS, a discordant T wave and no P wave. The sinus rhythm goes on behind
it, so the pause after it is fully compensatory.

This module imports neither Qt nor JAX.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import wfdb

logger = logging.getLogger(__name__)

GENERATOR_VERSION = 1
"""Bump when the generated signal changes, so that cached copies are rewritten."""

DEMO_RECORD_NAME = "synthetic_demo"
DEMO_FS = 360
DEMO_DURATION_S = 300.0
DEMO_SEED = 20031
DEMO_SIG_NAME = ("MLII", "V1")

_ADC_GAIN = 200.0
"""Digital units per mV, as in the MIT-BIH Arrhythmia Database."""

_VERSION_PATTERN = re.compile(r"generator version (\d+)")

_MEAN_RR_S = 0.86
_RESPIRATION_HZ = 0.25
_MAYER_HZ = 0.1
_N_SUPRAVENTRICULAR = 7
_N_VENTRICULAR = 9
_SUPRAVENTRICULAR_COUPLING = 0.66
"""RR before a supraventricular premature beat as a fraction of the sinus RR."""
_VENTRICULAR_COUPLING = 0.60
"""RR before a premature ventricular beat as a fraction of the sinus RR."""


@dataclass(frozen=True)
class Wave:
    """One Gaussian wave of a beat, relative to the beat's fiducial time."""

    offset_s: float
    """Centre of the wave after the fiducial time, in seconds at RR = 1 s."""
    width_s: float
    """Standard deviation of the Gaussian, in seconds at RR = 1 s."""
    amplitude_mv: tuple[float, float]
    """Peak amplitude in the MLII and V1 leads, in mV."""
    scales_with_rr: bool = False
    """True for repolarisation waves, whose offset and width scale with sqrt(RR)."""


_SINUS_P = (
    Wave(-0.180, 0.022, (0.11, 0.07)),
    Wave(-0.150, 0.020, (0.07, -0.05)),
)
_NORMAL_QRS_T = (
    Wave(-0.028, 0.008, (-0.12, 0.00)),
    Wave(0.000, 0.010, (1.25, 0.30)),
    Wave(0.026, 0.011, (-0.30, -0.95)),
    Wave(0.280, 0.055, (0.22, 0.06), scales_with_rr=True),
    Wave(0.340, 0.035, (0.12, 0.03), scales_with_rr=True),
)
_ECTOPIC_ATRIAL_P = (
    # A low atrial focus activates the atria upwards: an inverted P in MLII
    # and a shorter PR interval.
    Wave(-0.125, 0.020, (-0.16, 0.07)),
)
_VENTRICULAR_QRS_T = (
    # A right-ventricular outflow focus: broad upright QRS in MLII, broad QS
    # in V1, and a T wave opposite to the QRS in both leads.
    Wave(-0.045, 0.016, (0.00, 0.15)),
    Wave(0.000, 0.030, (1.55, -0.55)),
    Wave(0.045, 0.026, (0.45, -0.80)),
    Wave(0.320, 0.075, (-0.45, 0.35), scales_with_rr=True),
)

BEAT_WAVES = {
    "N": _SINUS_P + _NORMAL_QRS_T,
    "A": _ECTOPIC_ATRIAL_P + _NORMAL_QRS_T,
    "V": _VENTRICULAR_QRS_T,
}
"""Waves of each MIT beat symbol in the demo record."""


@dataclass(frozen=True)
class DemoEcg:
    """A synthetic ECG and its reference beats."""

    signal_mv: np.ndarray
    """float64 (n_samples, 2): MLII and V1 in mV."""
    sample: np.ndarray
    """int64 (n_beats,): beat annotations in samples at DEMO_FS."""
    symbol: list[str]
    """MIT beat symbols: "N", "A" or "V"."""


def demo_record_path(cache_dir: Path | None = None) -> Path:
    """Return the `.hea` path of the demo record, generating it when needed.

    The record lives in `cache_dir`, by default `$XDG_CACHE_HOME/liquid-ecg/demo`
    (`~/.cache/liquid-ecg/demo` when XDG_CACHE_HOME is unset). It is
    generated again when a file is missing or truncated, or when it came from
    another GENERATOR_VERSION. When the cache folder cannot be written, the
    record goes into a new temporary folder instead.
    """
    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    header_path = folder / f"{DEMO_RECORD_NAME}.hea"
    if is_current_demo_record(header_path):
        return header_path

    try:
        return write_demo_record(folder)
    except OSError as error:
        fallback = Path(tempfile.mkdtemp(prefix="liquid-ecg-demo-"))
        logger.warning("cannot write the demo record to %s (%s); using %s", folder, error, fallback)
        return write_demo_record(fallback)


def default_cache_dir() -> Path:
    """Return the per-user cache folder of the demo record, honouring XDG_CACHE_HOME."""
    xdg_cache = os.environ.get("XDG_CACHE_HOME", "")
    # The XDG Base Directory Specification treats a relative path as invalid and ignores it.
    base = Path(xdg_cache) if os.path.isabs(xdg_cache) else Path.home() / ".cache"
    return base / "liquid-ecg" / "demo"


def is_current_demo_record(header_path: Path) -> bool:
    """Return True when a complete demo record of this GENERATOR_VERSION is at `header_path`."""
    signal_path = header_path.with_suffix(".dat")
    annotation_path = header_path.with_suffix(".atr")
    if not (header_path.is_file() and signal_path.is_file() and annotation_path.is_file()):
        return False

    try:
        header = wfdb.rdheader(str(header_path.with_suffix("")))
    except Exception as error:  # wfdb raises many types for malformed headers
        logger.info("demo record header %s is unreadable (%s); regenerating", header_path, error)
        return False

    versions = [_VERSION_PATTERN.search(comment) for comment in header.comments or []]
    if not any(match and int(match.group(1)) == GENERATOR_VERSION for match in versions):
        logger.info("demo record %s is from another generator version; regenerating", header_path)
        return False

    # Format 212 packs one frame of two 12-bit samples into 3 bytes.
    expected_bytes = int(header.sig_len) * 3
    if signal_path.stat().st_size != expected_bytes:
        logger.info("demo signal file %s is truncated; regenerating", signal_path)
        return False
    return True


def write_demo_record(folder: Path, seed: int = DEMO_SEED) -> Path:
    """Write the demo record (`.hea`, `.dat`, `.atr`) into `folder` and return the `.hea` path.

    The files are written into a temporary folder first and moved in with the
    header last, so a reader never sees a header without its signal.
    """
    folder.mkdir(parents=True, exist_ok=True)
    demo = synthesize_demo_ecg(seed)
    staging = Path(tempfile.mkdtemp(prefix=".writing-", dir=folder))
    try:
        _write_wfdb_files(demo, staging, seed)
        for suffix in (".dat", ".atr", ".hea"):
            name = DEMO_RECORD_NAME + suffix
            os.replace(staging / name, folder / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)

    header_path = folder / f"{DEMO_RECORD_NAME}.hea"
    logger.info("wrote the synthetic demo record %s (%d beats)", header_path, len(demo.sample))
    return header_path


def _write_wfdb_files(demo: DemoEcg, write_dir: Path, seed: int) -> None:
    comments = [
        f"Synthetic ECG made by liquid-ecg (model.demo, generator version {GENERATOR_VERSION}, "
        f"seed {seed}): not a recording of a patient.",
        "Beats N (sinus), A (supraventricular premature), V (premature ventricular); "
        "reference labels in the atr annotation file.",
    ]
    # Format 212 stores 12-bit samples, so clip to its range at this gain.
    limit_mv = 2047 / _ADC_GAIN
    signal_mv = np.clip(demo.signal_mv, -limit_mv, limit_mv)
    wfdb.wrsamp(
        DEMO_RECORD_NAME,
        fs=DEMO_FS,
        units=["mV", "mV"],
        sig_name=list(DEMO_SIG_NAME),
        p_signal=signal_mv,
        fmt=["212", "212"],
        adc_gain=[_ADC_GAIN, _ADC_GAIN],
        baseline=[0, 0],
        comments=comments,
        write_dir=str(write_dir),
    )
    wfdb.wrann(
        DEMO_RECORD_NAME,
        "atr",
        demo.sample,
        symbol=demo.symbol,
        fs=DEMO_FS,
        write_dir=str(write_dir),
    )


def synthesize_demo_ecg(seed: int = DEMO_SEED) -> DemoEcg:
    """Synthesize the two-lead demo ECG with its beat labels (deterministic for a seed)."""
    rng = np.random.default_rng(seed)
    n_samples = int(round(DEMO_DURATION_S * DEMO_FS))
    time_s = np.arange(n_samples) / DEMO_FS

    beat_time_s, symbol = schedule_beats(rng, DEMO_DURATION_S)
    signal_mv = np.zeros((n_samples, 2))
    sample = np.zeros(len(beat_time_s), dtype=np.int64)
    respiration_phase = rng.uniform(0, 2 * np.pi)

    for index, (fiducial_s, beat_symbol) in enumerate(zip(beat_time_s, symbol)):
        rr_s = fiducial_s - beat_time_s[index - 1] if index > 0 else _MEAN_RR_S
        # Breathing moves the heart's axis, so QRS amplitude follows respiration.
        gain = 1.0 + 0.06 * np.sin(2 * np.pi * _RESPIRATION_HZ * fiducial_s + respiration_phase)
        gain *= rng.normal(1.0, 0.02)
        _add_beat(signal_mv, time_s, fiducial_s, rr_s, BEAT_WAVES[beat_symbol], gain)
        sample[index] = _annotation_sample(fiducial_s, rr_s, BEAT_WAVES[beat_symbol], gain)

    signal_mv += _baseline_wander_mv(rng, time_s, respiration_phase)
    signal_mv += _noise_mv(rng, time_s)
    return DemoEcg(signal_mv=signal_mv, sample=sample, symbol=symbol)


def schedule_beats(rng: np.random.Generator, duration_s: float) -> tuple[np.ndarray, list[str]]:
    """Place sinus and ectopic beats in time and return their fiducial times in seconds and symbols.

    The sinus node fires on its own schedule. A premature ventricular beat
    replaces one sinus beat without touching that schedule, but a
    supraventricular premature beat resets it.
    """
    phases = rng.uniform(0, 2 * np.pi, size=2)
    n_expected = int(duration_s / _MEAN_RR_S)
    ectopic_symbol = _choose_ectopic_beats(rng, n_expected)

    def sinus_rr_s(at_s: float) -> float:
        respiratory = 0.045 * np.sin(2 * np.pi * _RESPIRATION_HZ * at_s + phases[0])
        mayer = 0.035 * np.sin(2 * np.pi * _MAYER_HZ * at_s + phases[1])
        return _MEAN_RR_S * (1.0 + respiratory + mayer + rng.normal(0.0, 0.01))

    times: list[float] = []
    symbols: list[str] = []
    sinus_s = 0.45
    while sinus_s < duration_s - 0.6:
        beat_symbol = ectopic_symbol.get(len(times), "N")
        rr_s = sinus_rr_s(sinus_s)
        previous_s = times[-1] if times else sinus_s - rr_s

        if beat_symbol == "V":
            times.append(previous_s + _VENTRICULAR_COUPLING * rr_s)
            # The blocked sinus beat keeps its time, so the next sinus beat
            # comes two sinus RR intervals after the beat before the PVC.
            sinus_s += rr_s
        elif beat_symbol == "A":
            times.append(previous_s + _SUPRAVENTRICULAR_COUPLING * rr_s)
            # The reset sinus node needs slightly longer than one RR to fire again.
            sinus_s = times[-1] + 1.05 * sinus_rr_s(times[-1])
        else:
            times.append(sinus_s)
            sinus_s += sinus_rr_s(sinus_s)
        symbols.append(beat_symbol)

    return np.asarray(times), symbols


def _choose_ectopic_beats(rng: np.random.Generator, n_expected: int) -> dict[int, str]:
    """Pick beat indices for the ectopic beats, at least six beats apart and away from the ends."""
    n_ectopic = _N_SUPRAVENTRICULAR + _N_VENTRICULAR
    slots = np.arange(10, n_expected - 10, 6)
    chosen = np.sort(rng.choice(slots, size=n_ectopic, replace=False))
    chosen += rng.integers(0, 3, size=n_ectopic)
    symbols = ["A"] * _N_SUPRAVENTRICULAR + ["V"] * _N_VENTRICULAR
    rng.shuffle(symbols)
    return {int(index): symbol for index, symbol in zip(chosen, symbols)}


def _wave_centre_and_width_s(wave: Wave, fiducial_s: float, rr_s: float) -> tuple[float, float]:
    scale = np.sqrt(rr_s) if wave.scales_with_rr else 1.0
    return fiducial_s + wave.offset_s * scale, wave.width_s * scale


def _add_beat(
    signal_mv: np.ndarray,
    time_s: np.ndarray,
    fiducial_s: float,
    rr_s: float,
    waves: tuple[Wave, ...],
    gain: float,
) -> None:
    """Add the Gaussian waves of one beat to `signal_mv` in place, within 5 widths of each centre."""
    for wave in waves:
        centre_s, width_s = _wave_centre_and_width_s(wave, fiducial_s, rr_s)
        first = max(int((centre_s - 5 * width_s) * DEMO_FS), 0)
        last = min(int((centre_s + 5 * width_s) * DEMO_FS) + 1, len(time_s))
        if first >= last:
            continue
        shape = np.exp(-0.5 * ((time_s[first:last] - centre_s) / width_s) ** 2)
        signal_mv[first:last] += gain * shape[:, None] * np.asarray(wave.amplitude_mv)[None, :]


def _annotation_sample(fiducial_s: float, rr_s: float, waves: tuple[Wave, ...], gain: float) -> int:
    """Return the sample of the beat's largest MLII deflection within 60 ms of its fiducial time.

    MIT-BIH annotations sit on the QRS peak, so the reference labels of the
    demo record do too.
    """
    time_s = fiducial_s + np.arange(-0.06, 0.06, 1.0 / DEMO_FS)
    mlii_mv = np.zeros_like(time_s)
    for wave in waves:
        centre_s, width_s = _wave_centre_and_width_s(wave, fiducial_s, rr_s)
        mlii_mv += gain * wave.amplitude_mv[0] * np.exp(-0.5 * ((time_s - centre_s) / width_s) ** 2)
    return int(round(time_s[np.argmax(np.abs(mlii_mv))] * DEMO_FS))


def _baseline_wander_mv(
    rng: np.random.Generator, time_s: np.ndarray, respiration_phase: float
) -> np.ndarray:
    """Return (n_samples, 2) baseline wander: breathing plus slow drifts below 0.15 Hz."""
    breathing = 0.06 * np.sin(2 * np.pi * _RESPIRATION_HZ * time_s + respiration_phase)
    drift = np.zeros_like(time_s)
    for frequency_hz in rng.uniform(0.02, 0.15, size=4):
        drift += 0.05 * np.sin(2 * np.pi * frequency_hz * time_s + rng.uniform(0, 2 * np.pi))
    wander = breathing + drift
    return np.stack([wander, 0.6 * wander], axis=1)


def _noise_mv(rng: np.random.Generator, time_s: np.ndarray) -> np.ndarray:
    """Return (n_samples, 2) white noise plus a faint 60 Hz mains hum."""
    hum = 0.004 * np.sin(2 * np.pi * 60.0 * time_s + rng.uniform(0, 2 * np.pi))
    white = rng.normal(0.0, 0.008, size=(len(time_s), 2))
    return white + hum[:, None]
