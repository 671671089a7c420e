"""Colours and glyphs of the AAMI beat classes, shared by every view that draws beats."""

from __future__ import annotations

import logging

from PySide6 import QtGui


logger = logging.getLogger(__name__)

AAMI_COLORS: dict[str, str] = {
    "N": "#2f6db5",
    "S": "#d98200",
    "V": "#c62828",
    "F": "#7b3fb5",
    "Q": "#6b7280",
}
"""One colour per AAMI class. Every beat also shows its letter, so no label depends on colour alone."""

AAMI_NAMES: dict[str, str] = {  # ANSI/AAMI EC57 beat classes
    "N": "normal or bundle branch block",
    "S": "supraventricular ectopic",
    "V": "ventricular ectopic",
    "F": "fusion",
    "Q": "paced or unclassifiable",
}

DISAGREEMENT_COLOR = QtGui.QColor(250, 204, 21, 90)
"""Translucent yellow band behind beats where the model and the reference disagree.

Yellow, not red: the ECG paper grid and the V class are already red, and a red
V on a pink band was hard to read.
"""

DISAGREEMENT_STRIP_COLOR = QtGui.QColor(250, 204, 21, 150)
"""The same band, more opaque in the beat-label strip so it reads at full zoom-out."""

UNCLASSIFIED_COLOR = "#9ca3af"
"""Beats the model could not classify because invalid samples reach into their window."""

DETECTED_BEAT_COLOR = "#374151"
"""Beats found by the QRS detector carry no class, so they share one neutral colour."""


def letter_symbol(letter: str) -> QtGui.QPainterPath:
    """Build a ScatterPlotItem symbol that draws `letter` centred in the unit square.

    One ScatterPlotItem per class with this symbol draws thousands of labels from
    one cached glyph, which is far cheaper than one TextItem per beat.
    """
    font = QtGui.QFont("DejaVu Sans")
    font.setPointSize(48)
    font.setBold(True)
    path = QtGui.QPainterPath()
    path.addText(0.0, 0.0, font, letter)

    bounds = path.boundingRect()
    scale = 1.0 / max(bounds.width(), bounds.height())
    transform = QtGui.QTransform()
    transform.scale(scale, scale)
    transform.translate(-bounds.center().x(), -bounds.center().y())
    return transform.map(path)

