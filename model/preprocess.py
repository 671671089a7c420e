"""Turn a record's ECG into network inputs: filtered, normalised, resampled windows plus RR features.

All functions are numpy/scipy only. Times are in samples at the rate named by
the argument (`fs` for the record, `model_fs` for the network's input rate).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from fractions import Fraction

import numpy as np
from scipy import signal as scipy_signal

logger = logging.getLogger(__name__)

RR_FEATURE_NAMES = (
    "log pre/base",
    "log post/base",
    "log local/base",
    "log pre/local",
    "log post/pre",
    "irregularity",
)
"""RR features in input order; the last is used only when `rhythm_irregularity` is set."""


@dataclass(frozen=True)
class InputConfig:
    """Preprocessing settings that turn a record into network input; stored in the model card."""

    model_fs: float = 120.0
    """Rate of the network's input, in Hz."""
    window_before_s: float = 0.7
    """Window start before the R peak, in seconds (covers the P wave and the previous T wave)."""
    window_after_s: float = 0.5
    """Window end after the R peak, in seconds (covers QRS and T)."""
    band_low_hz: float = 0.5
    band_high_hz: float = 40.0
    local_rr_beats: int = 10
    """Number of preceding RR intervals averaged into the local rhythm."""
    baseline_rr_beats: int = 300
    """Beats in the centred window whose mean RR is the patient's baseline (about 5 min)."""
    derivative_channel: bool = True
    """Feed the ECG's first difference as an input channel (it marks QRS onset and width)."""
    template_channel: bool = True
    """Feed the difference from the record's dominant beat shape as an input channel."""
    template_beats: int = 300
    """Consecutive beats whose median window is the dominant beat shape."""
    rhythm_irregularity: bool = True
    """Add the local RR irregularity, which is high in atrial fibrillation, as an RR feature."""
    irregularity_beats: int = 16
    """Beats in the centred window over which RR irregularity is averaged."""
    irregularity_statistic: str = "mean"
    """Summary of the RR jumps in that window: "mean", or "median", which ignores
    the two jumps around an isolated premature beat or pause."""
    morphology_features: bool = False
    """Feed five scalar comparisons of the QRS with the dominant beat (`model.morphology`);
    needs the template channel's dominant beat."""

    @property
    def n_ecg_channels(self) -> int:
        return 1 + int(self.derivative_channel) + int(self.template_channel)

    @property
    def n_rr_features(self) -> int:
        return 5 + int(self.rhythm_irregularity)

    @property
    def n_morphology_features(self) -> int:
        return 5 if self.morphology_features else 0

    @property
    def n_scalar_inputs(self) -> int:
        """Inputs held constant over the window: RR features, then morphology features."""
        return self.n_rr_features + self.n_morphology_features

    @property
    def samples_before(self) -> int:
        return int(round(self.window_before_s * self.model_fs))

    @property
    def samples_after(self) -> int:
        return int(round(self.window_after_s * self.model_fs))

    @property
    def window_length(self) -> int:
        return self.samples_before + self.samples_after

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class BeatInputs:
    """Network inputs for the beats of one record."""

    ecg: np.ndarray
    """float32 (n_beats, window_length): normalised ECG windows at model_fs."""
    rr: np.ndarray
    """float32 (n_beats, n_rr_features): RR features, constant over each window."""
    valid: np.ndarray
    """bool (n_beats,): False where the window touches invalid samples (NaN)."""
    window_start: np.ndarray
    """int64 (n_beats,): first window sample, in samples at model_fs."""
    rr_s: np.ndarray
    """float32 (n_beats, 2): previous and next RR interval in seconds (NaN at the record ends)."""
    template: np.ndarray
    """float32 (n_beats, window_length): the dominant beat shape around each beat."""
    amplitude: float = 1.0
    """The QRS amplitude the windows were divided by (filtered signal units)."""


def bandpass(ecg_mv: np.ndarray, fs: float, config: InputConfig) -> np.ndarray:
    """Band-pass filter with zero phase; NaN samples are bridged by zeros and stay NaN."""
    invalid = ~np.isfinite(ecg_mv)
    filled = np.where(invalid, 0.0, ecg_mv).astype(np.float64)
    high = min(config.band_high_hz, 0.45 * fs)
    sos = scipy_signal.butter(2, [config.band_low_hz, high], btype="bandpass", fs=fs, output="sos")
    filtered = scipy_signal.sosfiltfilt(sos, filled)
    filtered[invalid] = np.nan
    return filtered.astype(np.float32)


def resample(values: np.ndarray, fs: float, model_fs: float) -> np.ndarray:
    """Resample by a rational factor with a polyphase filter; NaN spreads to the samples it touches."""
    if abs(fs - model_fs) < 1e-9:
        return values.astype(np.float32)

    ratio = Fraction(model_fs / fs).limit_denominator(1000)
    invalid = ~np.isfinite(values)
    filled = np.where(invalid, 0.0, values)
    resampled = scipy_signal.resample_poly(filled, ratio.numerator, ratio.denominator)

    if invalid.any():
        invalid_resampled = scipy_signal.resample_poly(
            invalid.astype(np.float32), ratio.numerator, ratio.denominator
        )
        resampled[np.abs(invalid_resampled) > 1e-3] = np.nan
    return resampled.astype(np.float32)


FILTER_BLOCK_SAMPLES = 1 << 22
"""Longest signal filtered in one piece (3.2 h at 360 Hz); longer ones go in overlapping blocks."""
FILTER_MARGIN_S = 20.0
"""Overlap either side of a block, in seconds. The 0.5 Hz high-pass settles within a few seconds."""


def filter_and_resample(
    ecg_mv: np.ndarray, fs: float, config: InputConfig, block_samples: int = FILTER_BLOCK_SAMPLES
) -> np.ndarray:
    """Band-pass filter `ecg_mv` and resample it to `config.model_fs`, in overlapping blocks when long.

    A 24-hour lead would need several float64 copies of 250 MB at once if
    filtered whole. Blocks start at multiples of the resampling factor's
    denominator, so every block's output lands on the whole signal's grid.
    """
    n_samples = len(ecg_mv)
    if n_samples <= block_samples:
        return resample(bandpass(ecg_mv, fs, config), fs, config.model_fs)

    ratio = Fraction(config.model_fs / fs).limit_denominator(1000)
    up, down = ratio.numerator, ratio.denominator
    block = max(down, block_samples // down * down)
    margin = int(np.ceil(FILTER_MARGIN_S * fs / down)) * down
    n_output = -(-n_samples * up // down)
    output = np.empty(n_output, dtype=np.float32)

    for first in range(0, n_samples, block):
        last = min(first + block, n_samples)
        padded_first = max(0, first - margin)
        padded_last = min(n_samples, last + margin)
        piece = resample(bandpass(ecg_mv[padded_first:padded_last], fs, config), fs, config.model_fs)

        output_first = first * up // down
        output_last = n_output if last == n_samples else last * up // down
        piece_first = (first - padded_first) * up // down
        output[output_first:output_last] = piece[piece_first : piece_first + output_last - output_first]
    return output


def amplitude_scale(ecg: np.ndarray, beat_positions: np.ndarray, model_fs: float) -> float:
    """Return the record's typical QRS amplitude: the median peak |value| within 60 ms of each beat."""
    half_width = max(1, int(round(0.06 * model_fs)))
    peaks = []
    for position in beat_positions:
        segment = ecg[max(0, position - half_width) : position + half_width + 1]
        if segment.size and np.isfinite(segment).all():
            peaks.append(np.max(np.abs(segment)))

    if not peaks:
        finite = ecg[np.isfinite(ecg)]
        return float(np.std(finite)) * 3.0 if finite.size else 1.0
    return max(float(np.median(peaks)), 1e-3)


def rr_features(beat_sample: np.ndarray, fs: float, config: InputConfig) -> tuple[np.ndarray, np.ndarray]:
    """Compute log RR ratios normalised to the patient's own rhythm.

    Returns (features (n_beats, n_rr_features), rr_s (n_beats, 2)). The baseline RR is the
    mean RR of the surrounding `baseline_rr_beats` beats, so the features
    compare each beat with this patient's rhythm rather than a population. The
    mean, unlike the median, still marks beats as early when ectopic beats are
    the majority and sinus beats follow long pauses. In MIT-BIH record 232 the
    atrial premature beats have a median RR of 0.73 s, the sinus beats 1.87 s.
    """
    n_beats = len(beat_sample)
    rr_s = np.full((n_beats, 2), np.nan, dtype=np.float32)
    if n_beats < 2:
        return np.zeros((n_beats, config.n_rr_features), dtype=np.float32), rr_s

    intervals = np.diff(beat_sample).astype(np.float64) / fs
    intervals = np.clip(intervals, 0.15, 4.0)
    rr_s[1:, 0] = intervals
    rr_s[:-1, 1] = intervals

    pre = np.concatenate([[intervals[0]], intervals])
    post = np.concatenate([intervals, [intervals[-1]]])
    baseline = _centred_mean(pre, config.baseline_rr_beats)
    # The first beat has no previous interval. Taking the next one instead made
    # a sinus beat followed by an early ectopic beat look premature itself.
    pre[0] = baseline[0]

    cumulative = np.concatenate([[0.0], np.cumsum(pre)])
    index = np.arange(n_beats)
    first = np.maximum(0, index - config.local_rr_beats + 1)
    local = (cumulative[index + 1] - cumulative[first]) / (index + 1 - first)

    columns = [
        np.log(pre / baseline),
        np.log(post / baseline),
        np.log(local / baseline),
        np.log(pre / local),
        np.log(post / pre),
    ]
    if config.rhythm_irregularity:
        # Mean |log(RR_k / RR_k-1)|: about 0.03 in sinus rhythm, 0.15-0.3 in atrial
        # fibrillation, where a short RR alone is weak evidence of prematurity.
        jumps = np.abs(np.diff(np.log(pre), prepend=np.log(pre[0])))
        columns.append(5.0 * _centred_statistic(jumps, config.irregularity_beats, config.irregularity_statistic))

    features = np.stack(columns, axis=1)
    return np.clip(features, -2.0, 2.0).astype(np.float32), rr_s


def _centred_statistic(values: np.ndarray, width: int, statistic: str) -> np.ndarray:
    """Mean or median of `values` over a centred window of `width` entries (shrunk at the ends)."""
    if statistic == "mean":
        return _centred_mean(values, width)
    if statistic != "median":
        raise ValueError(f"invalid irregularity statistic {statistic!r}: use 'mean' or 'median'.")

    before, after = width // 2, width - width // 2 - 1
    padded = np.concatenate([np.full(before, np.nan), values, np.full(after, np.nan)])
    windows = np.lib.stride_tricks.sliding_window_view(padded, width)
    return np.nanmedian(windows, axis=1)


def _centred_mean(values: np.ndarray, width: int) -> np.ndarray:
    """Mean of `values` over a centred window of `width` entries (shrunk at the ends)."""
    cumulative = np.concatenate([[0.0], np.cumsum(values)])
    index = np.arange(len(values))
    first = np.maximum(0, index - width // 2)
    last = np.minimum(len(values), index + width - width // 2)
    return (cumulative[last] - cumulative[first]) / (last - first)


def prepare_beats(
    ecg_mv: np.ndarray,
    fs: float,
    beat_sample: np.ndarray,
    config: InputConfig,
    amplitude: float | None = None,
) -> BeatInputs:
    """Build network inputs for every beat of one ECG lead sampled at `fs`.

    `amplitude` fixes the normalising QRS amplitude (filtered units) instead of
    measuring it, so an edited copy of a record is scaled like the original.
    """
    model_ecg = filter_and_resample(ecg_mv, fs, config)
    positions = np.round(beat_sample * (config.model_fs / fs)).astype(np.int64)

    scale = amplitude if amplitude is not None else amplitude_scale(model_ecg, positions, config.model_fs)
    model_ecg = model_ecg / scale

    window_start = positions - config.samples_before
    windows = beat_windows(model_ecg.astype(np.float32, copy=False), window_start, config.window_length)

    valid = np.isfinite(windows).all(axis=1)
    windows[~np.isfinite(windows)] = 0.0
    rr, rr_s = rr_features(beat_sample, fs, config)
    template = dominant_beat_shape(windows, valid, config.template_beats)
    return BeatInputs(
        ecg=windows,
        rr=rr,
        valid=valid,
        window_start=window_start,
        rr_s=rr_s,
        template=template,
        amplitude=float(scale),
    )


def beat_windows(values: np.ndarray, window_start: np.ndarray, window_length: int) -> np.ndarray:
    """Return float32 (n_beats, window_length) copies of `values` from each window start.

    Beyond the signal's ends the filtered signal is taken as its baseline, 0.
    Windows are cut from a strided view, without a (n_beats, window_length)
    index array, which is 120 MB for a 24-hour record.
    """
    pad_before = int(max(0, -window_start.min(initial=0)))
    pad_after = int(max(0, window_start.max(initial=0) + window_length - len(values)))
    padded = np.concatenate([np.zeros(pad_before, np.float32), values, np.zeros(pad_after, np.float32)])
    view = np.lib.stride_tricks.sliding_window_view(padded, window_length)
    return view[window_start + pad_before].astype(np.float32)


def dominant_beat_shape(windows: np.ndarray, valid: np.ndarray, block_beats: int) -> np.ndarray:
    """Return, for each beat, the median window of its block of `block_beats` consecutive beats.

    The median follows the patient's majority morphology, so the difference
    from it is large for ectopic beats of any patient.
    """
    template = np.zeros_like(windows)
    for first in range(0, len(windows), block_beats):
        block = slice(first, min(first + block_beats, len(windows)))
        usable = windows[block][valid[block]]
        if len(usable):
            template[block] = np.median(usable, axis=0)
    return template
