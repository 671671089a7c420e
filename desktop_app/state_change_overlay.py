"""Draw the change in neuron states caused by counterfactual edits into the neuron heatmap.

While shown, the heatmap's own image is hidden and an image of edited minus
original states covers the stretch around the edits. The colour bar then
gives the change, and hiding the overlay restores the heatmap as it was.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from desktop_app.heatmap_view import (
    COLORMAP_NAME,
    NO_STATE_LABEL,
    NO_STATE_TOOLTIP,
    NeuronHeatmap,
    uniform_state_grid,
)

STATE_LABEL = "neuron state"
CHANGE_LABEL = "edited − original"
NOT_COMPARED_LABEL = "not compared"
NOT_COMPARED_TOOLTIP = (
    "Hatched: no change computed here. Both signals are classified again only from the first to the last "
    "beat window that the edits changed, and inside that stretch, times that no beat's window covers have no state."
)


class StateChangeOverlay:
    """The edited-minus-original image on top of a `NeuronHeatmap`."""

    def __init__(self, heatmap: NeuronHeatmap) -> None:
        self.heatmap = heatmap
        self.image_item = pg.ImageItem(axisOrder="col-major")
        self.image_item.setObjectName("state_change_image")
        self.image_item.setColorMap(pg.colormap.get(COLORMAP_NAME))
        self.image_item.setVisible(False)
        self.difference = np.zeros((0, 0), dtype=np.float32)
        self.state_sample = np.zeros(0, dtype=np.int64)
        self._saved_levels: tuple[float, float] | None = None
        heatmap.plot.addItem(self.image_item)

    def is_shown(self) -> bool:
        return self.image_item.isVisible()

    def show_change(self, state_sample: np.ndarray, difference: np.ndarray, fs: float) -> None:
        """Show `difference` (n_columns, n_neurons), whose column k lies at record sample `state_sample[k]`."""
        self.state_sample = np.asarray(state_sample)
        self.difference = np.asarray(difference, dtype=np.float32)
        image, step = uniform_state_grid(self.state_sample, self.difference)
        finite = np.abs(image[np.isfinite(image)])
        bound = max(float(finite.max()) if finite.size else 0.0, 1e-3)

        self.image_item.setImage(image, autoLevels=False, levels=(-bound, bound))
        first = float(self.state_sample[0]) if self.state_sample.size else 0.0
        self.image_item.setRect(QtCore.QRectF((first - step / 2) / fs, 0.0, image.shape[0] * step / fs, image.shape[1]))

        color_bar = self.heatmap.color_bar
        if not self.is_shown():
            self._saved_levels = tuple(color_bar.levels())
        self.heatmap.image_item.setVisible(False)
        self.image_item.setVisible(True)
        color_bar.setImageItem(self.image_item)
        color_bar.setLevels((-bound, bound))
        color_bar.getAxis("left").setLabel(CHANGE_LABEL)
        self.heatmap.set_no_state_text(NOT_COMPARED_LABEL, NOT_COMPARED_TOOLTIP)

    def hide_change(self) -> None:
        """Restore the heatmap's own image and colour bar."""
        if not self.is_shown():
            return
        self.image_item.setVisible(False)
        color_bar = self.heatmap.color_bar
        color_bar.setImageItem(self.heatmap.image_item)
        if self._saved_levels is not None:
            color_bar.setLevels(self._saved_levels)
        color_bar.getAxis("left").setLabel(STATE_LABEL)
        self.heatmap.set_no_state_text(NO_STATE_LABEL, NO_STATE_TOOLTIP)
        self.heatmap.image_item.setVisible(self.heatmap.prediction is not None)
