"""Integrated gradients of one beat, computed as a `ModelJobRunner` job.

`attribute_beat` runs in the runner's thread and imports JAX there, so
importing this module does not. The record's network inputs are prepared once
per record and kept in a `RecordInputsCache`, which only the runner's single
thread touches.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from desktop_app.classify_worker import get_classifier

if TYPE_CHECKING:
    from desktop_app.model_jobs import Job
    from model.attribution import Attribution
    from model.preprocess import BeatInputs
    from model.records import EcgRecord

logger = logging.getLogger(__name__)

INTEGRATION_STEPS = 32
"""Riemann steps of the integrated gradients. With 32, the attributions of record 119's V beats sum to
the log-probability change within 5 % (tests/test_model_attribution.py)."""


@dataclass
class BeatAttribution:
    """The attribution of one beat for one class, with what is needed to place it on the record's time axis."""

    record: EcgRecord
    beat: int
    attribution: Attribution
    model_fs: float
    """Rate of the attribution values, in Hz."""
    baseline_is_dominant_beat: bool = True
    """True when the integrated gradients start from the dominant beat shape, False when from a flat line at 0."""

    @property
    def values(self) -> np.ndarray:
        return self.attribution.values

    @property
    def target_class(self) -> int:
        return self.attribution.target_class

    def sample_times_s(self) -> np.ndarray:
        """Return the record time, in seconds, of each attribution value."""
        window_start = self.attribution.window_start
        return (window_start + np.arange(len(self.values))) / self.model_fs


class RecordInputsCache:
    """The network inputs of the last record attributed, so the next beat of that record reuses them."""

    def __init__(self) -> None:
        self._record: EcgRecord | None = None
        self._inputs: BeatInputs | None = None

    def inputs_for(self, record: EcgRecord, classifier) -> BeatInputs:
        """Return the inputs of every beat of `record`, prepared as `classify_record` prepares them."""
        if self._record is not record:
            from model.preprocess import prepare_beats

            inputs = prepare_beats(record.model_signal_mv, record.fs, record.beats.sample, classifier.input_config)
            self._record, self._inputs = record, inputs
        return self._inputs

    def forget(self) -> None:
        """Drop the cached record and inputs, which for a 24-hour record take hundreds of MB."""
        self._record, self._inputs = None, None


def attribute_beat(
    job: Job,
    record: EcgRecord,
    beat: int,
    target_class: int,
    weights_path: str | Path | None,
    cache: RecordInputsCache,
) -> BeatAttribution | None:
    """Compute the integrated gradients of `beat`'s log-probability of `target_class`.

    Returns None when the job was cancelled before the gradients started. Call
    it from the runner's thread only, because it loads JAX and touches `cache`.
    """
    classifier = get_classifier(weights_path)
    if job.is_cancelled():
        return None
    inputs = cache.inputs_for(record, classifier)
    if job.is_cancelled():
        return None
    if not inputs.valid[beat]:
        raise ValueError(f"beat {beat} of {record.record_name} has invalid samples in its window, so it has no attribution")

    from model.attribution import integrated_gradients

    attribution = integrated_gradients(classifier, inputs, beat, target_class, n_steps=INTEGRATION_STEPS)
    config = classifier.input_config
    # `integrated_gradients` starts from the dominant beat exactly when the network reads it (the template channel).
    return BeatAttribution(record, beat, attribution, float(config.model_fs), bool(config.template_channel))
