"""Derive test variants of a record: added real noise, another sampling rate.

Used by evaluation to measure robustness; the source record is never changed.
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import numpy as np
from scipy import signal as scipy_signal

from model.preprocess import bandpass, InputConfig
from model.records import Beats, EcgRecord


def qrs_peak_to_peak_mv(record: EcgRecord) -> float:
    """Median peak-to-peak amplitude of the model lead within 50 ms of each beat, in mV."""
    ecg = bandpass(record.model_signal_mv, record.fs, InputConfig())
    half_width = int(round(0.05 * record.fs))
    amplitudes = []
    for sample in record.beats.sample:
        segment = ecg[max(0, sample - half_width) : sample + half_width + 1]
        if segment.size and np.isfinite(segment).all():
            amplitudes.append(float(segment.max() - segment.min()))
    return float(np.median(amplitudes)) if amplitudes else 1.0


def add_noise(
    record: EcgRecord, noise_mv: np.ndarray, noise_fs: float, snr_db: float, seed: int = 0
) -> EcgRecord:
    """Return a copy of `record` with a noise recording added to every ECG lead at `snr_db`.

    Signal power is A^2 / 8 for the median QRS peak-to-peak amplitude A, which
    is the power of a sine with that peak-to-peak amplitude. Noise power is the
    mean square of the noise segment used. The noise is resampled to the
    record's rate and repeated if shorter than the record.
    """
    noise = resample_signal(noise_mv.astype(np.float64), noise_fs, record.fs)
    noise = noise - noise.mean()
    repeats = int(np.ceil(record.n_samples / len(noise)))
    rng = np.random.default_rng(seed)
    start = int(rng.integers(len(noise)))
    noise = np.roll(np.tile(noise, repeats + 1), -start)[: record.n_samples]

    signal_power = qrs_peak_to_peak_mv(record) ** 2 / 8.0
    noise_power = float(np.mean(noise**2))
    gain = np.sqrt(signal_power / (noise_power * 10.0 ** (snr_db / 10.0)))

    noisy = record.signal.copy()
    for channel in record.ecg_channels:
        noisy[:, channel] += (gain * noise).astype(np.float32)
    return dataclasses.replace(record, signal=noisy)


def resample_signal(values: np.ndarray, fs: float, target_fs: float) -> np.ndarray:
    """Resample along the first axis by a rational factor with a polyphase filter."""
    if abs(fs - target_fs) < 1e-9:
        return values
    ratio = Fraction(target_fs / fs).limit_denominator(1000)
    return scipy_signal.resample_poly(values, ratio.numerator, ratio.denominator, axis=0)


def resample_record(record: EcgRecord, target_fs: float) -> EcgRecord:
    """Return `record` as if it had been recorded at `target_fs`: signal and beat positions."""
    signal = resample_signal(record.signal.astype(np.float64), record.fs, target_fs).astype(np.float32)
    sample = np.round(record.beats.sample * (target_fs / record.fs)).astype(np.int64)
    sample = np.clip(sample, 0, len(signal) - 1)
    beats = Beats(sample=sample, symbol=record.beats.symbol, aami=record.beats.aami, source=record.beats.source)
    return dataclasses.replace(record, signal=signal, fs=float(target_fs), beats=beats)
