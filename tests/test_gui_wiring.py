"""The wiring view draws the shipped network's synapses and follows the selected neuron."""

from __future__ import annotations

import numpy as np

from desktop_app.classify_worker import get_classifier


def test_wiring_draws_every_synapse(classified_window):
    synapses = classified_window.prediction.synapses
    view = classified_window.wiring_view

    assert synapses is not None
    assert len(view.edges) == len(synapses.source)
    wiring = get_classifier().wiring
    assert synapses.source_is_input.sum() == len(wiring.sensory_pre)
    assert (~synapses.source_is_input).sum() == len(wiring.pre)
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
