"""Loading MIT-BIH records and turning them into network inputs."""

from __future__ import annotations

import numpy as np
import pytest
import wfdb

from model.inference import place_beat_states, place_states_on_record
from model.preprocess import (
    RR_FEATURE_NAMES,
    InputConfig,
    filter_and_resample,
    prepare_beats,
    resample,
    rr_features,
)
from model.records import AAMI_CLASSES, RecordError, load_record


def test_record_100_loads_with_reference_beats(mitdb_dir):
    record = load_record(mitdb_dir / "100.hea")

    assert record.record_name == "100"
    assert record.fs == 360.0
    assert record.signal.shape == (650000, 2)
    assert record.sig_name == ["MLII", "V5"]
    assert record.ecg_channels == [0, 1]
    assert record.model_channel == 0
    assert record.beats.source == "reference"
    # 2274 annotations, one of them the rhythm label "+", which is not a beat.
    assert len(record.beats) == 2273
    counts = np.bincount(record.beats.aami, minlength=5)
    assert counts.tolist() == [2239, 33, 1, 0, 0]


def test_signal_is_in_millivolts(mitdb_dir):
    record = load_record(mitdb_dir / "100.hea")
    raw = wfdb.rdrecord(str(mitdb_dir / "100"), sampto=1000, physical=False)
    expected = (raw.d_signal[:, 0] - 1024) / 200.0
    assert np.allclose(record.signal[:1000, 0], expected, atol=1e-6)


def test_model_lead_is_mlii_when_not_first(mitdb_dir):
    record = load_record(mitdb_dir / "114.hea")
    assert record.sig_name == ["V5", "MLII"]
    assert record.model_channel == 1


def test_missing_header_names_the_file(tmp_path):
    missing = tmp_path / "nothing_here.hea"
    with pytest.raises(RecordError, match="nothing_here.hea"):
        load_record(missing)


def test_noise_record_has_no_ecg(data_dir):
    with pytest.raises(RecordError, match="no ECG lead"):
        load_record(data_dir / "nstdb-noise" / "bw.hea")


def test_beat_windows_centre_the_r_peak(mitdb_dir):
    record = load_record(mitdb_dir / "100.hea")
    config = InputConfig()
    inputs = prepare_beats(record.model_signal_mv, record.fs, record.beats.sample, config)

    assert inputs.ecg.shape == (2273, config.window_length)
    assert inputs.valid.all()
    # Record 100's R waves are positive in MLII: the window's peak sits within 40 ms of the annotation.
    peak_offsets = np.argmax(inputs.ecg[10:-10], axis=1) - config.samples_before
    assert np.median(np.abs(peak_offsets)) <= 0.04 * config.model_fs
    # Normalised to the record's typical QRS amplitude.
    assert 0.6 < np.median(np.max(inputs.ecg, axis=1)) < 1.6


def test_premature_beats_have_short_relative_rr(mitdb_dir):
    record = load_record(mitdb_dir / "100.hea")
    features, rr_s = rr_features(record.beats.sample, record.fs, InputConfig())
    premature = record.beats.aami == AAMI_CLASSES.index("S")
    normal = record.beats.aami == AAMI_CLASSES.index("N")

    # log(pre RR / patient baseline): negative for early beats, near zero for normal ones.
    assert np.median(features[premature, 0]) < -0.15
    assert abs(np.median(features[normal, 0])) < 0.05
    assert np.isnan(rr_s[0, 0])
    assert rr_s[1, 0] == pytest.approx((record.beats.sample[1] - record.beats.sample[0]) / 360.0)


def test_first_beat_not_premature(mitdb_dir):
    # Record 119 opens with a sinus beat followed 0.54 s later by a ventricular
    # beat. The sinus beat has no previous interval, so it must not look early.
    record = load_record(mitdb_dir / "119.hea")
    assert record.beats.aami[1] == AAMI_CLASSES.index("V")
    features, _ = rr_features(record.beats.sample, record.fs, InputConfig())
    pre_over_base = RR_FEATURE_NAMES.index("log pre/base")
    post_over_pre = RR_FEATURE_NAMES.index("log post/pre")

    assert features[0, pre_over_base] == pytest.approx(0.0, abs=1e-6)
    # The early beat after it still shows as a short next interval.
    assert features[0, post_over_pre] < -0.2
    assert features[1, pre_over_base] < -0.2


def test_invalid_samples_make_beats_unclassifiable():
    fs = 360.0
    ecg = np.sin(np.arange(36000) / 20.0).astype(np.float32) * 0.1
    beats = np.arange(360, 35000, 300)
    ecg[beats] = 1.0
    ecg[18000:18100] = np.nan
    inputs = prepare_beats(ecg, fs, beats, InputConfig())

    config = InputConfig()
    window_first = beats - config.window_before_s * fs
    window_last = beats + config.window_after_s * fs
    overlaps_gap = (window_first < 18100) & (window_last > 18000)
    # The resampling filter spreads a gap by a few samples; 0.15 s is a safe margin.
    clear_of_gap = (window_first > 18100 + 0.15 * fs) | (window_last < 18000 - 0.15 * fs)

    assert overlaps_gap.sum() == 1
    assert not inputs.valid[overlaps_gap].any()
    assert inputs.valid[clear_of_gap].all()
    assert np.isfinite(inputs.ecg).all()


def test_resample_keeps_duration():
    values = np.random.default_rng(0).normal(size=3600).astype(np.float32)
    assert len(resample(values, 360.0, 120.0)) == 1200
    assert len(resample(values, 250.0, 120.0)) == round(3600 * 120 / 250)


def test_states_are_placed_between_neighbouring_peaks():
    window, before = 10, 6
    beat_states = np.stack([np.full((window, 2), value, dtype=np.float32) for value in (1.0, 2.0)])
    window_start = np.array([0, 8])
    track = place_states_on_record(beat_states, window_start, before, 25)

    # Peaks at 6 and 14: the boundary is their midpoint, 10.
    assert np.all(track[0:10] == 1.0)
    assert np.all(track[10:18] == 2.0)
    assert np.isnan(track[18:]).all()


def test_decimated_state_track_keeps_every_kth_sample():
    rng = np.random.default_rng(3)
    window, before = 12, 7
    window_start = np.array([0, 9, 20, 28])
    beat_states = rng.normal(size=(4, window, 2)).astype(np.float32)
    full = place_states_on_record(beat_states, window_start, before, 41)

    step = 3
    decimated = np.full((14, 2), np.nan, dtype=np.float32)
    # Two batches, as classify_record passes them.
    place_beat_states(decimated, beat_states[:3], 0, window_start, before, 41, step)
    place_beat_states(decimated, beat_states[3:], 3, window_start, before, 41, step)

    assert np.array_equal(decimated, full[::step], equal_nan=True)


def test_blockwise_filter_matches_whole(mitdb_dir):
    record = load_record(mitdb_dir / "100.hea")
    ecg = record.model_signal_mv.copy()
    ecg[1000:1500] = np.nan
    config = InputConfig()

    whole = filter_and_resample(ecg, record.fs, config)
    blocks = filter_and_resample(ecg, record.fs, config, block_samples=100_000)

    assert blocks.shape == whole.shape
    assert np.array_equal(np.isnan(blocks), np.isnan(whole))
    assert np.nanmax(np.abs(blocks - whole)) < 1e-5


def test_median_irregularity_ignores_isolated_premature_beats():
    fs = 360.0
    intervals_s = np.full(200, 0.8)
    intervals_s[10::10] = 0.5  # a premature beat every 10 beats...
    intervals_s[11::10] = 1.1  # ...followed by a compensatory pause
    sinus_samples = np.round(np.concatenate([[0.0], np.cumsum(intervals_s)]) * fs).astype(np.int64)
    fibrillation_s = np.random.default_rng(5).uniform(0.4, 1.2, size=200)
    fibrillation_samples = np.round(np.concatenate([[0.0], np.cumsum(fibrillation_s)]) * fs).astype(np.int64)
    mean_config = InputConfig(rhythm_irregularity=True, irregularity_statistic="mean")
    median_config = InputConfig(rhythm_irregularity=True, irregularity_statistic="median")

    sinus_mean = rr_features(sinus_samples, fs, mean_config)[0][:, -1]
    sinus_median = rr_features(sinus_samples, fs, median_config)[0][:, -1]
    fibrillation_median = rr_features(fibrillation_samples, fs, median_config)[0][:, -1]

    assert sinus_median.shape == (201,)
    assert np.max(sinus_median) < 0.05
    assert np.min(sinus_mean[5:-5]) > 0.3
    assert np.median(fibrillation_median) > 1.0


def test_unknown_irregularity_statistic_is_rejected():
    samples = np.arange(0, 36000, 300)
    with pytest.raises(ValueError, match="irregularity statistic 'max'"):
        rr_features(samples, 360.0, InputConfig(rhythm_irregularity=True, irregularity_statistic="max"))
