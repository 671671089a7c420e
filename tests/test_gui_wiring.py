"""The wiring view draws the shipped network's synapses and follows the selected neuron."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6 import QtCore

from desktop_app.main_window import MainWindow

CLASSIFY_TIMEOUT_MS = 120_000


@pytest.fixture
def classified_window(qtbot, tmp_path: Path, mitdb_dir: Path) -> MainWindow:
    settings = QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat)
    window = MainWindow(settings=settings)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    with qtbot.waitSignal(window.classification_finished, timeout=CLASSIFY_TIMEOUT_MS):
        assert window.open_record(mitdb_dir / "100.hea")
    return window


def test_wiring_draws_every_synapse(classified_window):
    synapses = classified_window.prediction.synapses
    view = classified_window.wiring_view

    assert synapses is not None
    assert len(view.edges) == len(synapses.source)
    assert synapses.source_is_input.sum() == 32
    assert (~synapses.source_is_input).sum() == 33
    assert np.all(synapses.weight > 0)
    # Both signs occur, and each edge's colour follows its reversal potential.
    assert (synapses.reversal > 0).any()
    assert (synapses.reversal < 0).any()
    for edge, reversal in zip(view.edges, synapses.reversal):
        expected = (47, 109, 181) if reversal >= 0 else (217, 130, 0)
        assert edge.opts["pen"].color().getRgb()[:3] == expected
    assert view.highlighted_edge_count() == len(view.edges)


def test_selected_neuron_highlights_its_synapses(classified_window):
    synapses = classified_window.prediction.synapses
    names = classified_window.prediction.neuron_names
    neuron = names.index("command 1")
    expected = int(
        ((synapses.target == neuron) | (~synapses.source_is_input & (synapses.source == neuron))).sum()
    )

    classified_window.heatmap_view.select_neuron(neuron)
    assert 0 < expected < len(synapses.source)
    assert classified_window.wiring_view.highlighted_edge_count() == expected

    classified_window.heatmap_view.select_neuron(neuron)
    assert classified_window.wiring_view.highlighted_edge_count() == len(synapses.source)
