"""Invalid samples: drawn as a gap, and the beats whose window touches it are shown as unclassifiable."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import wfdb
from PySide6 import QtCore

from desktop_app.beat_markers import UNCLASSIFIED_LETTER
from desktop_app.main_window import MainWindow

CLASSIFY_TIMEOUT_MS = 120_000
GAP = slice(7200, 7920)
"""Two seconds of invalid samples, 20 s into the record."""

pytestmark = pytest.mark.slow


def write_record_with_gap(mitdb_dir: Path, folder: Path) -> Path:
    """Write the first minute of record 100 in format 16 with GAP set to the invalid value -32768."""
    raw = wfdb.rdrecord(str(mitdb_dir / "100"), sampto=21600, physical=False)
    digital = raw.d_signal.astype(np.int16) - 1024
    digital[GAP, :] = -32768
    wfdb.wrsamp(
        "gap", fs=360, units=["mV", "mV"], sig_name=["MLII", "V5"], d_signal=digital, fmt=["16", "16"],
        adc_gain=[200.0, 200.0], baseline=[0, 0], write_dir=str(folder),
    )
    annotation = wfdb.rdann(str(mitdb_dir / "100"), "atr", sampto=21599)
    wfdb.wrann("gap", "atr", annotation.sample, symbol=annotation.symbol, write_dir=str(folder))
    return folder / "gap.hea"


@pytest.fixture
def window(qtbot, tmp_path: Path) -> MainWindow:
    settings = QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat)
    main_window = MainWindow(settings=settings)
    qtbot.addWidget(main_window)
    main_window.show()
    return main_window


def test_beats_at_gap_shown_unclassifiable(qtbot, window, mitdb_dir, tmp_path, open_and_wait):
    with qtbot.waitSignal(window.classification_ended, timeout=CLASSIFY_TIMEOUT_MS) as ended:
        assert open_and_wait(window, write_record_with_gap(mitdb_dir, tmp_path))
    assert ended.args == ["finished"], window.last_error
    record, prediction = window.record, window.prediction

    assert np.isnan(record.signal[GAP, record.model_channel]).all()
    unclassifiable = prediction.predicted < 0
    in_gap = (record.beats.sample >= GAP.start) & (record.beats.sample < GAP.stop)
    assert in_gap.any()
    assert unclassifiable[in_gap].all()
    assert unclassifiable.sum() < 8

    layer = window.beat_marker_layer
    assert len(layer.predicted_items[UNCLASSIFIED_LETTER].data) == unclassifiable.sum()
    first_time_s = record.beats.sample[np.flatnonzero(unclassifiable)[0]] / record.fs
    assert "model: unclassifiable" in layer.describe_beat_near(first_time_s, 0.01)
    assert f"{unclassifiable.sum()} unclassifiable" in window.record_label.text()
