"""The part of a lead that a plot shows, reduced to what its pixels can draw.

The lead plots are given only the samples in view, with their times computed
for those samples alone. Handing pyqtgraph the whole lead instead needs a
float64 time axis as long as the record: 250 MB for 24 hours at 360 Hz.
pyqtgraph 0.14's automatic downsampling also copied that axis on every change
of view, because it could not tell that the times are finite.
"""

from __future__ import annotations

import math

import numpy as np

PEAK_REDUCTION_MIN_SAMPLES_PER_PIXEL = 4
"""Below this many samples per pixel column, every sample is drawn."""


def visible_trace(
    values_mv: np.ndarray, fs: float, start_s: float, end_s: float, width_px: float
) -> tuple[np.ndarray, np.ndarray]:
    """Return (time_s, values_mv) of the samples between `start_s` and `end_s`, one sample beyond each end.

    When a pixel column would cover `PEAK_REDUCTION_MIN_SAMPLES_PER_PIXEL` or
    more samples, each block of samples is reduced to its minimum and maximum,
    both drawn at the block's first time, so that peaks such as R waves keep
    their height. NaN samples are skipped inside a block, and a block with no
    finite sample stays NaN, so gaps stay gaps.
    """
    n_samples = len(values_mv)
    first = max(0, math.floor(start_s * fs) - 1)
    stop = min(n_samples, math.ceil(end_s * fs) + 2)
    if stop <= first:
        return np.zeros(0), np.zeros(0, dtype=np.float32)

    values_in_view = values_mv[first:stop]
    block = (stop - first) // max(int(width_px), 1)
    if block < PEAK_REDUCTION_MIN_SAMPLES_PER_PIXEL:
        return np.arange(first, stop) / fs, np.ascontiguousarray(values_in_view)

    offsets = np.arange(0, stop - first, block)
    peaks_mv = np.empty(2 * len(offsets), dtype=values_mv.dtype)
    peaks_mv[0::2] = np.fmin.reduceat(values_in_view, offsets)
    peaks_mv[1::2] = np.fmax.reduceat(values_in_view, offsets)
    time_s = np.repeat((first + offsets) / fs, 2)
    return time_s, peaks_mv
