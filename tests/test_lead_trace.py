"""The samples handed to a lead plot: those in view, reduced to a minimum and maximum per pixel when dense."""

from __future__ import annotations

import numpy as np
import pytest

from desktop_app.lead_trace import visible_trace

FS = 360.0


@pytest.fixture
def lead_mv() -> np.ndarray:
    rng = np.random.default_rng(7)
    values = rng.normal(0.0, 0.1, 36_000).astype(np.float32)
    values[18_000] = 3.5
    values[27_000] = -2.5
    return values


def test_zoomed_in_returns_every_sample(lead_mv):
    time_s, values_mv = visible_trace(lead_mv, FS, 10.0, 12.0, width_px=1000)

    first = int(10.0 * FS) - 1
    assert time_s[0] == pytest.approx(first / FS)
    assert time_s[-1] >= 12.0
    assert np.array_equal(values_mv, lead_mv[first : first + len(values_mv)])
    assert np.allclose(np.diff(time_s), 1 / FS)


def test_dense_view_keeps_peaks(lead_mv):
    time_s, values_mv = visible_trace(lead_mv, FS, 0.0, 100.0, width_px=500)

    assert len(values_mv) <= 2 * 500 + 4
    assert len(time_s) == len(values_mv)
    assert values_mv.max() == pytest.approx(3.5)
    assert values_mv.min() == pytest.approx(-2.5)
    assert time_s[np.argmax(values_mv)] == pytest.approx(50.0, abs=100.0 / 500)
    assert np.all(np.diff(time_s) >= 0)


def test_gap_stays_gap(lead_mv):
    lead_mv[3_600:7_200] = np.nan

    time_s, values_mv = visible_trace(lead_mv, FS, 0.0, 100.0, width_px=500)

    inside_gap = (time_s > 10.5) & (time_s < 19.5)
    assert inside_gap.any()
    assert np.isnan(values_mv[inside_gap]).all()
    assert np.isfinite(values_mv[~((time_s >= 10.0) & (time_s < 20.0))]).all()


def test_view_outside_record_is_empty(lead_mv):
    time_s, values_mv = visible_trace(lead_mv, FS, 200.0, 210.0, width_px=500)

    assert len(time_s) == 0
    assert len(values_mv) == 0
