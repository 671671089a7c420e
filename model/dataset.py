"""Build training and evaluation arrays from MIT-BIH records and NSTDB noise."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import wfdb

from model.preprocess import InputConfig, bandpass, prepare_beats, resample
from model.records import load_record

logger = logging.getLogger(__name__)


@dataclass
class BeatSet:
    """Prepared beats of several records, concatenated."""

    ecg: np.ndarray
    """float32 (n_beats, window): normalised ECG windows."""
    rr: np.ndarray
    """float32 (n_beats, n_rr_features): RR features."""
    template: np.ndarray
    """float32 (n_beats, window): the record's dominant beat shape around each beat."""
    label: np.ndarray
    """int8 (n_beats,): reference AAMI class index."""
    record: np.ndarray
    """str (n_beats,): record name of each beat."""

    def __len__(self) -> int:
        return len(self.label)

    def subset(self, mask: np.ndarray) -> "BeatSet":
        return BeatSet(
            self.ecg[mask], self.rr[mask], self.template[mask], self.label[mask], self.record[mask]
        )


def load_beat_set(record_names: list[str], mitdb_dir: Path, config: InputConfig) -> BeatSet:
    """Prepare every valid reference beat of the named MIT-BIH records."""
    parts = []
    for name in record_names:
        record = load_record(mitdb_dir / f"{name}.hea")
        inputs = prepare_beats(record.model_signal_mv, record.fs, record.beats.sample, config)
        keep = inputs.valid
        parts.append(
            BeatSet(
                ecg=inputs.ecg[keep],
                rr=inputs.rr[keep],
                template=inputs.template[keep],
                label=record.beats.aami[keep],
                record=np.full(int(keep.sum()), name),
            )
        )
        logger.debug("%s: %d beats", name, keep.sum())

    return BeatSet(
        ecg=np.concatenate([p.ecg for p in parts]),
        rr=np.concatenate([p.rr for p in parts]),
        template=np.concatenate([p.template for p in parts]),
        label=np.concatenate([p.label for p in parts]),
        record=np.concatenate([p.record for p in parts]),
    )


def load_noise(noise_dir: Path, config: InputConfig) -> list[np.ndarray]:
    """Return the NSTDB `bw` and `ma` noise channels, filtered like the ECG, at unit RMS."""
    tracks = []
    for name in ("bw", "ma"):
        record = wfdb.rdrecord(str(noise_dir / name))
        for channel in range(record.p_signal.shape[1]):
            filtered = bandpass(record.p_signal[:, channel].astype(np.float32), record.fs, config)
            track = resample(filtered, record.fs, config.model_fs)
            tracks.append(track / max(float(np.sqrt(np.mean(track**2))), 1e-6))
    return tracks


def add_noise(
    ecg: np.ndarray,
    noise_tracks: list[np.ndarray],
    snr_db: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Add a random segment of real noise to each window at the given SNR (dB, per window)."""
    n_beats, window = ecg.shape
    noisy = ecg.copy()
    signal_rms = np.sqrt(np.mean(ecg**2, axis=1)) + 1e-6
    for beat in range(n_beats):
        track = noise_tracks[rng.integers(len(noise_tracks))]
        start = rng.integers(0, len(track) - window)
        noise_rms = signal_rms[beat] / (10.0 ** (snr_db[beat] / 20.0))
        noisy[beat] += noise_rms * track[start : start + window]
    return noisy
