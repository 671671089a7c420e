"""The RR intervals around one beat, as the beat detail shows them to a reader.

numpy only. The local mean RR is the one the network's RR features use
(`model.preprocess.rr_features`): the mean of the beat's `local_rr_beats`
preceding intervals, its own previous RR included. Unlike the features, the
intervals here are not clipped to 0.15-4 s, so a long pause shows its real
length.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.preprocess import InputConfig


@dataclass(frozen=True)
class BeatRhythm:
    """The RR intervals of one beat in milliseconds; NaN where the record has no neighbouring beat."""

    previous_rr_ms: float
    """From the previous beat's R peak to this one's."""
    next_rr_ms: float
    """From this beat's R peak to the next one's."""
    local_mean_rr_ms: float
    """Mean of up to `local_rr_beats` intervals ending at this beat; NaN for the record's first beat."""

    @property
    def previous_ratio(self) -> float:
        """Previous RR over the local mean, well below 1 for a premature beat."""
        return self.previous_rr_ms / self.local_mean_rr_ms

    @property
    def next_ratio(self) -> float:
        """Next RR over the local mean, above 1 when a pause follows the beat."""
        return self.next_rr_ms / self.local_mean_rr_ms


def beat_rhythm(
    beat_sample: np.ndarray, fs: float, beat: int, local_rr_beats: int = InputConfig().local_rr_beats
) -> BeatRhythm:
    """Measure the RR intervals of `beat` from the beat positions `beat_sample`, in samples at `fs`.

    Reads only the beats around `beat`, so it costs the same on a 24-hour record.
    """
    n_beats = len(beat_sample)
    if not 0 <= beat < n_beats:
        raise IndexError(f"beat {beat} is outside the record's {n_beats} beats")

    first = max(0, beat - local_rr_beats)
    last = min(n_beats, beat + 2)
    intervals_ms = np.diff(np.asarray(beat_sample[first:last], dtype=np.float64)) * 1000.0 / fs

    previous_intervals_ms = intervals_ms[: beat - first]
    previous_rr_ms = float(previous_intervals_ms[-1]) if previous_intervals_ms.size else float("nan")
    next_rr_ms = float(intervals_ms[beat - first]) if beat + 1 < n_beats else float("nan")
    local_mean_rr_ms = float(previous_intervals_ms.mean()) if previous_intervals_ms.size else float("nan")
    return BeatRhythm(previous_rr_ms, next_rr_ms, local_mean_rr_ms)
