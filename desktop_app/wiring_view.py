"""The network's wiring: inputs and neurons in layers, synapses coloured by sign and sized by weight."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

if TYPE_CHECKING:
    from model.classifier import SynapseTable
    from model.inference import RecordPrediction

logger = logging.getLogger(__name__)

EXCITATORY_COLOR = (47, 109, 181)
"""Blue: reversal potential above 0, the synapse pulls its target up."""
INHIBITORY_COLOR = (217, 130, 0)
"""Orange: reversal potential below 0, the synapse pulls its target down."""
FADED_ALPHA = 35
LAYER_ORDER = ("input", "inter", "command", "motor")


def node_positions(roles: list[str], n_inputs: int) -> tuple[np.ndarray, np.ndarray]:
    """Return (input positions, neuron positions): one column per layer, nodes spread evenly."""
    layers = {"input": list(range(n_inputs))}
    for role in LAYER_ORDER[1:]:
        layers[role] = [index for index, neuron_role in enumerate(roles) if neuron_role == role]

    input_positions = np.zeros((n_inputs, 2))
    neuron_positions = np.zeros((len(roles), 2))
    for column, role in enumerate(LAYER_ORDER):
        members = layers[role]
        for rank, member in enumerate(members):
            y = (rank + 0.5) / max(len(members), 1)
            target = input_positions if role == "input" else neuron_positions
            target[member] = (column, 1.0 - y)
    return input_positions, neuron_positions


class WiringView(pg.GraphicsLayoutWidget):
    """Draws the trained wiring of the classifier that labelled the current record."""

    def __init__(self, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent=parent)
        self.setObjectName("wiring_view")
        self.setBackground("w")
        self.view_box = self.addViewBox(lockAspect=False, enableMouse=False)
        self.edges: list[pg.PlotCurveItem] = []
        self.synapses: SynapseTable | None = None
        self.selected_neuron = -1
        self.placeholder = pg.TextItem("The wiring appears once the model has labelled a record.", color="#6b7280")
        self.view_box.addItem(self.placeholder)

    def set_prediction(self, prediction: RecordPrediction) -> None:
        """Draw the wiring stored with `prediction`; baselines without a wiring show a message."""
        self.view_box.clear()
        self.edges = []
        self.synapses = prediction.synapses
        if self.synapses is None:
            self.placeholder.setText("This classifier has no LTC wiring to draw.")
            self.view_box.addItem(self.placeholder)
            return

        synapses = self.synapses
        input_positions, neuron_positions = node_positions(prediction.neuron_roles, len(synapses.input_names))
        self.neuron_positions = neuron_positions
        max_weight = float(synapses.weight.max()) or 1.0
        for source, is_input, target, weight, reversal in zip(
            synapses.source, synapses.source_is_input, synapses.target, synapses.weight, synapses.reversal
        ):
            start = input_positions[source] if is_input else neuron_positions[source]
            end = neuron_positions[target]
            edge = pg.PlotCurveItem(x=[start[0], end[0]], y=[start[1], end[1]])
            edge.base_pen = (EXCITATORY_COLOR if reversal >= 0 else INHIBITORY_COLOR, 0.5 + 3.5 * weight / max_weight)
            self.view_box.addItem(edge)
            self.edges.append(edge)

        self._add_nodes(input_positions, synapses.input_names, "#9ca3af")
        self._add_nodes(neuron_positions, prediction.neuron_names, "#374151")
        legend = pg.TextItem(
            "blue: excitatory, orange: inhibitory, width: weight. Click a heatmap row to pick a neuron.",
            color="#4b5563",
            anchor=(0.0, 0.0),
        )
        legend.setPos(-0.45, -0.02)
        self.view_box.addItem(legend)
        self.view_box.setRange(xRange=(-0.5, 3.6), yRange=(-0.05, 1.05), padding=0.0)
        self.highlight_neuron(self.selected_neuron)

    def _add_nodes(self, positions: np.ndarray, names: list[str], color: str) -> None:
        nodes = pg.ScatterPlotItem(pos=positions, size=12, brush=pg.mkBrush(color), pen=pg.mkPen("w"))
        self.view_box.addItem(nodes)
        for (x, y), name in zip(positions, names):
            label = pg.TextItem(name, color="#111827", anchor=(0.5, 1.2))
            label.setFont(QtGui.QFont("DejaVu Sans", 7))
            label.setPos(x, y)
            self.view_box.addItem(label)

    def highlight_neuron(self, neuron: int) -> None:
        """Show the selected neuron's incoming and outgoing synapses in full and fade the rest; -1 shows all."""
        self.selected_neuron = neuron
        if self.synapses is None:
            return
        touches = (self.synapses.target == neuron) | (
            ~self.synapses.source_is_input & (self.synapses.source == neuron)
        )
        for edge, is_touching in zip(self.edges, touches):
            color, width = edge.base_pen
            alpha = 255 if neuron < 0 or is_touching else FADED_ALPHA
            edge.setPen(pg.mkPen((*color, alpha), width=width))

    def highlighted_edge_count(self) -> int:
        """Return how many synapses are drawn at full strength."""
        return sum(edge.opts["pen"].color().alpha() == 255 for edge in self.edges)
