"""The beat detail dock: probabilities, RR intervals and the attribution of the selected beat, on real records."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from PySide6 import QtCore, QtGui, QtWidgets

from desktop_app.beat_detail import (
    MINUS_SIGN,
    effect_axis_bound,
    format_interval_ms,
    format_log_change,
    format_probability,
)
from desktop_app.main_window import MainWindow
from model.beat_rhythm import beat_rhythm
from model.records import AAMI_CLASSES
from conftest import open_record_and_wait
from test_gui_unclassifiable import write_record_with_gap

CLASSIFY_TIMEOUT_MS = 120_000
ATTRIBUTION_TIMEOUT_MS = 120_000
"""The first attribution compiles the gradient of the ODE solve, which takes seconds to tens of seconds."""
MODEL_FS = 120.0
WINDOW_LENGTH = 144
SAMPLES_BEFORE = 84

pytestmark = pytest.mark.slow


def open_window(qtbot, tmp_path: Path, header_path: Path, wait_for_labels: bool = True) -> MainWindow:
    settings = QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat)
    window = MainWindow(settings=settings)
    qtbot.addWidget(window)
    window.resize(1600, 950)
    window.show()
    if not wait_for_labels:
        assert open_record_and_wait(qtbot, window, header_path)
        return window
    with qtbot.waitSignal(window.classification_finished, timeout=CLASSIFY_TIMEOUT_MS):
        assert open_record_and_wait(qtbot, window, header_path)
    return window


@pytest.fixture
def window_119(qtbot, tmp_path, mitdb_dir) -> MainWindow:
    """Record 119, which has many ventricular beats, classified by the shipped model."""
    return open_window(qtbot, tmp_path, mitdb_dir / "119.hea")


def v_beats(window: MainWindow) -> np.ndarray:
    """Return the beats that the reference and the model both label V."""
    v = AAMI_CLASSES.index("V")
    return np.flatnonzero((window.record.beats.aami == v) & (window.prediction.predicted == v))


def select_and_wait(qtbot, window: MainWindow, beat: int):
    """Select `beat` in the beat table and return the attribution drawn for it."""
    controller = window.beat_detail_controller
    with qtbot.waitSignal(controller.attribution_shown, timeout=ATTRIBUTION_TIMEOUT_MS) as shown:
        assert window.review_controller.panel.select_beat(beat)
    return shown.args[0]


def expected_window_start(window: MainWindow, beat: int) -> int:
    """Return the first sample of `beat`'s input window at the model rate, as `prepare_beats` places it."""
    position = int(np.round(window.record.beats.sample[beat] * (MODEL_FS / window.record.fs)))
    return position - SAMPLES_BEFORE


def drawn_tick_labels(axis) -> dict[str, QtCore.QRectF]:
    """Return the tick labels that `axis` draws, each with its rectangle in the axis's coordinates."""
    image = QtGui.QImage(axis.size().toSize(), QtGui.QImage.Format.Format_ARGB32)
    painter = QtGui.QPainter(image)
    try:
        # The specs that AxisItem.paint draws, after it drops labels that do not fit the axis.
        _, _, text_specs = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    return {text: rect for rect, _, text in text_specs}


def check_effect_axis(panel, letter: str) -> list[float]:
    """Check that the effect axis is labelled, symmetric about 0 and brackets every bar, and return its tick values."""
    axis = panel.bar_plot.getAxis("left")
    assert axis.style["showValues"]
    assert axis.label.isVisible()
    assert f"Δ log p({letter})" in axis.labelText
    assert "per sample" in axis.labelText

    labels = drawn_tick_labels(axis)
    values = sorted(float(text.replace(MINUS_SIGN, "-")) for text in labels)
    assert len(values) == 3, labels
    assert values[0] == -values[2]
    assert values[1] == 0.0
    for text, rect in labels.items():
        assert rect.left() >= 0.0, f"tick label {text} is cut off at the axis's left edge"

    heights = np.asarray(panel.strip_bars.opts["height"])
    largest = float(np.abs(heights).max())
    assert values[0] <= heights.min()
    assert heights.max() <= values[2]
    # The bound is the next 1, 2 or 5 step, so the tallest bar reaches at least 40 % of it.
    assert values[2] <= 2.5 * largest
    low, high = panel.bar_plot.getViewBox().viewRange()[1]
    assert low == pytest.approx(-high)
    assert high >= values[2]

    # The label fits the height of the bar plot at this window size.
    label_rect = axis.label.mapRectToScene(axis.label.boundingRect())
    plot_rect = panel.bar_plot.sceneBoundingRect()
    assert label_rect.top() >= plot_rect.top()
    assert label_rect.bottom() <= plot_rect.bottom()
    return values


@pytest.mark.parametrize(
    ("largest", "bound", "text"),
    [
        (0.15, 0.2, "0.2"),
        (0.2, 0.2, "0.2"),
        (0.81, 1.0, "1"),
        (2.18, 5.0, "5"),
        (9.5, 10.0, "10"),
        (0.0012, 0.002, "0.002"),
        (0.00049, 0.0005, "5e-4"),
        (4.87e-05, 5e-05, "5e-5"),
        (5e-06, 5e-06, "5e-6"),
        (0.0, 1.0, "1"),
        (float("nan"), 1.0, "1"),
    ],
)
def test_effect_axis_bound_cases(largest, bound, text):
    assert effect_axis_bound(largest) == (pytest.approx(bound), text)


def test_selection_shows_probabilities(qtbot, classified_window):
    window = classified_window
    panel = window.beat_detail_controller.panel
    beat = 40
    window.review_controller.panel.select_beat(beat)

    probabilities = window.prediction.probabilities[beat]
    assert panel.shown_probabilities is not None
    np.testing.assert_array_equal(panel.shown_probabilities, probabilities)
    for index, label in enumerate(panel.probability_labels):
        assert label.text() == format_probability(float(probabilities[index]))
    for index, bar in enumerate(panel.probability_bars):
        assert bar.value() == round(1000 * float(probabilities[index]))

    model_letter = AAMI_CLASSES[int(window.prediction.predicted[beat])]
    reference_letter = AAMI_CLASSES[int(window.record.beats.aami[beat])]
    assert f">{model_letter}</span>" in panel.model_label.text()
    assert f">{reference_letter}</span>" in panel.reference_label.text()
    assert "the model agrees" in panel.reference_label.text()
    assert panel.title_label.text().startswith(f"Beat {beat + 1} of {len(window.record.beats)}")


def test_rr_intervals_match_prediction(qtbot, classified_window):
    window = classified_window
    panel = window.beat_detail_controller.panel
    beat = 40
    window.review_controller.panel.select_beat(beat)

    rr_s = window.prediction.rr_s[beat]
    rhythm = beat_rhythm(window.record.beats.sample, window.record.fs, beat)
    assert rhythm.previous_rr_ms == pytest.approx(1000 * rr_s[0], abs=0.01)
    assert rhythm.next_rr_ms == pytest.approx(1000 * rr_s[1], abs=0.01)
    previous_label, previous_ratio_label = panel.rhythm_labels["previous"]
    next_label, next_ratio_label = panel.rhythm_labels["next"]
    assert previous_label.text() == format_interval_ms(1000 * float(rr_s[0]))
    assert next_label.text() == format_interval_ms(1000 * float(rr_s[1]))
    assert previous_ratio_label.text() == f"{rhythm.previous_ratio:.2f}"
    assert next_ratio_label.text() == f"{rhythm.next_ratio:.2f}"
    assert panel.rhythm_labels["local"][0].text() == format_interval_ms(rhythm.local_mean_rr_ms)


def test_v_beat_attribution_on_waveform(qtbot, window_119):
    window = window_119
    controller = window.beat_detail_controller
    beat = int(v_beats(window)[5])
    result = select_and_wait(qtbot, window, beat)

    assert result.beat == beat
    assert result.target_class == AAMI_CLASSES.index("V")
    assert result.values.shape == (WINDOW_LENGTH,)
    assert np.abs(result.values).max() > 1e-3
    attribution = result.attribution
    output_change = attribution.log_probability - attribution.baseline_log_probability
    assert abs(output_change) > 0.05
    assert attribution.completeness_gap < 0.05 * abs(output_change)

    window_start = expected_window_start(window, beat)
    assert attribution.window_start == window_start
    overlay = controller.overlay
    assert overlay.is_shown()
    assert overlay.plot is window.lead_column.lead_plots[window.record.ecg_channels.index(window.record.model_channel)]
    first_s, last_s = overlay.item.span_s()
    assert first_s == pytest.approx((window_start - 0.5) / MODEL_FS)
    assert last_s == pytest.approx((window_start + WINDOW_LENGTH - 0.5) / MODEL_FS)
    r_peak_s = window.record.beats.sample[beat] / window.record.fs
    assert first_s < r_peak_s - 0.69
    assert last_s > r_peak_s + 0.49

    panel = controller.panel
    assert panel.attribution_status.text() == ""
    assert len(panel.strip_bars.opts["height"]) == WINDOW_LENGTH
    assert ">V</b>" in panel.attribution_legend.text()


def test_class_switch_recomputes(qtbot, window_119):
    window = window_119
    controller = window.beat_detail_controller
    beat = int(v_beats(window)[5])
    v_result = select_and_wait(qtbot, window, beat)

    combo = controller.panel.class_combo
    with qtbot.waitSignal(controller.attribution_shown, timeout=ATTRIBUTION_TIMEOUT_MS) as shown:
        combo.setCurrentIndex(combo.findData(AAMI_CLASSES.index("N")))
    n_result = shown.args[0]

    assert n_result.beat == beat
    assert n_result.target_class == AAMI_CLASSES.index("N")
    assert not np.allclose(n_result.values, v_result.values)
    assert controller.overlay.attribution is n_result
    assert ">N</b>" in controller.panel.attribution_legend.text()

    # The choice holds for the next beat instead of following its label.
    next_result = select_and_wait(qtbot, window, int(v_beats(window)[6]))
    assert next_result.target_class == AAMI_CLASSES.index("N")


def test_quick_reselection_draws_last_beat(qtbot, window_119):
    window = window_119
    controller = window.beat_detail_controller
    first_beat, last_beat = (int(beat) for beat in v_beats(window)[7:9])
    select_and_wait(qtbot, window, int(v_beats(window)[0]))

    shown = []
    controller.attribution_shown.connect(shown.append)
    window.review_controller.panel.select_beat(first_beat)
    stale_job = controller.job
    window.review_controller.panel.select_beat(last_beat)
    assert controller.panel.attribution_status.text() == "computing…"
    qtbot.waitUntil(lambda: not window.model_jobs.is_busy(), timeout=ATTRIBUTION_TIMEOUT_MS)

    assert stale_job is not None and stale_job.is_cancelled()
    assert [result.beat for result in shown] == [last_beat]
    assert controller.overlay.attribution.beat == last_beat


def test_close_during_job_returns(qtbot, tmp_path, mitdb_dir):
    window = open_window(qtbot, tmp_path, mitdb_dir / "119.hea")
    controller = window.beat_detail_controller
    shown = []
    controller.attribution_shown.connect(shown.append)
    window.review_controller.panel.select_beat(int(v_beats(window)[3]))
    assert window.model_jobs.is_busy()

    started = time.perf_counter()
    window.close()
    closing_s = time.perf_counter() - started

    assert closing_s < 30.0
    assert window.model_jobs.shutdown(timeout_s=0)
    qtbot.wait(200)
    assert shown == []


def test_before_labels_shows_reference(qtbot, tmp_path, mitdb_dir):
    window = open_window(qtbot, tmp_path, mitdb_dir / "100.hea", wait_for_labels=False)
    panel = window.beat_detail_controller.panel
    assert window.prediction is None

    beat = window.review_controller.current_beat()
    assert beat is not None
    reference_letter = AAMI_CLASSES[int(window.record.beats.aami[beat])]
    assert "still running" in panel.status_label.text()
    assert f">{reference_letter}</span>" in panel.reference_label.text()
    assert panel.rhythm_labels["next"][0].text().endswith(" ms")
    assert panel.shown_probabilities is None
    assert not window.beat_detail_controller.overlay.is_shown()

    # Labels arriving fill the panel without a new selection.
    with qtbot.waitSignal(window.beat_detail_controller.attribution_shown, timeout=CLASSIFY_TIMEOUT_MS):
        pass
    np.testing.assert_array_equal(panel.shown_probabilities, window.prediction.probabilities[beat])


def test_detected_beat_says_detected(qtbot, tmp_path, mitdb_dir):
    folder = tmp_path / "no-annotations"
    folder.mkdir()
    for suffix in (".hea", ".dat"):
        (folder / f"100{suffix}").symlink_to(mitdb_dir / f"100{suffix}")
    window = open_window(qtbot, tmp_path, folder / "100.hea")
    panel = window.beat_detail_controller.panel
    assert window.record.beats.source == "detected"

    select_and_wait(qtbot, window, 30)
    assert "detected" in panel.reference_label.text()
    assert "no reference label" in panel.reference_label.text()
    np.testing.assert_array_equal(panel.shown_probabilities, window.prediction.probabilities[30])


def test_unclassifiable_beat_not_attributed(qtbot, tmp_path, mitdb_dir):
    window = open_window(qtbot, tmp_path, write_record_with_gap(mitdb_dir, tmp_path))
    controller = window.beat_detail_controller
    shown = []
    controller.attribution_shown.connect(shown.append)
    beat = int(np.flatnonzero(window.prediction.predicted < 0)[0])
    window.review_controller.panel.select_beat(beat)

    assert "did not classify" in controller.panel.status_label.text()
    assert "invalid samples" in controller.panel.status_label.text()
    assert "did not classify" in controller.panel.attribution_status.text()
    assert controller.job is None
    assert controller.panel.shown_probabilities is None
    # The job of the beat selected before, if still queued or running, was cancelled.
    qtbot.waitUntil(lambda: not window.model_jobs.is_busy(), timeout=ATTRIBUTION_TIMEOUT_MS)
    assert shown == []
    assert not controller.overlay.is_shown()


def test_effect_axis_has_scale(qtbot, window_119):
    window = window_119
    panel = window.beat_detail_controller.panel
    result = select_and_wait(qtbot, window, int(v_beats(window)[5]))
    QtWidgets.QApplication.processEvents()

    values = check_effect_axis(panel, "V")
    assert values[2] >= np.abs(result.values).max()
    assert "natural log-probability of V" in panel.bar_plot.toolTip()
    assert f"({1000 / MODEL_FS:.1f} ms)" in panel.bar_plot.toolTip()


def test_legend_states_attribution_sum(qtbot, window_119):
    window = window_119
    panel = window.beat_detail_controller.panel
    result = select_and_wait(qtbot, window, int(v_beats(window)[5]))

    total = float(result.values.sum())
    text = panel.attribution_legend.text()
    assert f"add up to <b>{format_log_change(total)}</b>" in text
    assert "the change in log p(V) from the dominant beat to this beat" in text
    # Integrated gradients make the sum the change in log p(V), up to the Riemann-sum error.
    attribution = result.attribution
    change = attribution.log_probability - attribution.baseline_log_probability
    assert abs(total - change) < 0.05 * abs(change)
    assert f"= {format_log_change(change)}" in panel.attribution_legend.toolTip()
    assert "from a flat line" not in panel.attribution_legend.toolTip()
    assert panel.attribution_legend.isVisible()


def test_weak_effect_axis_readable(qtbot, classified_window):
    window = classified_window
    panel = window.beat_detail_controller.panel
    beat = 40
    assert window.prediction.predicted[beat] == AAMI_CLASSES.index("N")
    result = select_and_wait(qtbot, window, beat)
    QtWidgets.QApplication.processEvents()

    # A normal beat explained for N differs little from the dominant beat, so its bars are tiny.
    assert np.abs(result.values).max() < 1e-3
    values = check_effect_axis(panel, "N")
    assert values[2] < 1e-3
