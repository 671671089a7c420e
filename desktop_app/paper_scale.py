"""Paper scale: 25 mm/s and 10 mm/mV on the screen, from the screen's physical size.

The screen reports its size in millimetres (from the monitor's EDID data),
which gives logical pixels per millimetre. Monitors and projectors sometimes
report a wrong size, so the user can calibrate: View > Calibrate Screen draws a
bar, the user enters its length measured with a ruler, and the settings keep
the result.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from PySide6 import QtCore, QtGui, QtWidgets

logger = logging.getLogger(__name__)

PAPER_SPEED_MM_PER_S = 25.0
PAPER_GAIN_MM_PER_MV = 10.0
PIXELS_PER_MM_SETTING = "display/pixels_per_mm"
PLAUSIBLE_PIXELS_PER_MM = (1.5, 40.0)
"""Densities outside this range (38-1016 dpi) are taken as a wrong screen report."""
CALIBRATION_BAR_PX = 400


@dataclass(frozen=True)
class ScreenDensity:
    """Logical pixels per millimetre of the screen, and where the number came from."""

    pixels_per_mm: float
    source: str
    """"calibrated", "screen" (reported physical size) or "estimated" (logical DPI)."""

    def describe(self) -> str:
        sources = {
            "calibrated": "calibrated by the user",
            "screen": "from the size the screen reports",
            "estimated": "estimated; use View > Calibrate Screen for true millimetres",
        }
        return f"{self.pixels_per_mm:.2f} px/mm, {sources[self.source]}"


def screen_density(widget: QtWidgets.QWidget, settings: QtCore.QSettings | None = None) -> ScreenDensity:
    """Return the pixels per millimetre of the screen that shows `widget`."""
    low, high = PLAUSIBLE_PIXELS_PER_MM
    if settings is not None:
        stored = settings.value(PIXELS_PER_MM_SETTING)
        try:
            calibrated = float(stored) if stored is not None else None
        except (TypeError, ValueError):
            logger.warning("Ignoring the invalid setting %s=%r", PIXELS_PER_MM_SETTING, stored)
            calibrated = None
        if calibrated is not None and low <= calibrated <= high:
            return ScreenDensity(calibrated, "calibrated")

    screen = widget.screen() or QtGui.QGuiApplication.primaryScreen()
    if screen is not None:
        physical_width_mm = screen.physicalSize().width()
        if physical_width_mm > 0:
            pixels_per_mm = screen.geometry().width() / physical_width_mm
            if low <= pixels_per_mm <= high:
                return ScreenDensity(pixels_per_mm, "screen")
        return ScreenDensity(screen.logicalDotsPerInchX() / 25.4, "estimated")
    return ScreenDensity(96 / 25.4, "estimated")


def paper_span_s(width_px: float, pixels_per_mm: float) -> float:
    """Return the seconds that fit in `width_px` at 25 mm/s."""
    return width_px / pixels_per_mm / PAPER_SPEED_MM_PER_S


def paper_span_mv(height_px: float, pixels_per_mm: float) -> float:
    """Return the millivolts that fit in `height_px` at 10 mm/mV."""
    return height_px / pixels_per_mm / PAPER_GAIN_MM_PER_MV


class CalibrationDialog(QtWidgets.QDialog):
    """Dialog with a bar of known pixel length, which the user measures with a ruler and enters in millimetres."""

    def __init__(self, density: ScreenDensity, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("calibration_dialog")
        self.setWindowTitle("Calibrate Screen")
        bar = QtWidgets.QFrame()
        bar.setObjectName("calibration_bar")
        bar.setFixedSize(CALIBRATION_BAR_PX, 14)
        bar.setStyleSheet("background: #111827;")
        self.length_box = QtWidgets.QDoubleSpinBox()
        self.length_box.setObjectName("calibration_length")
        self.length_box.setRange(10.0, 1000.0)
        self.length_box.setDecimals(1)
        self.length_box.setSuffix(" mm")
        self.length_box.setValue(CALIBRATION_BAR_PX / density.pixels_per_mm)
        buttons = QtWidgets.QDialogButtonBox(
            QtWidgets.QDialogButtonBox.StandardButton.Ok | QtWidgets.QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(QtWidgets.QLabel("Measure the black bar on the screen with a ruler:"))
        layout.addWidget(bar)
        form = QtWidgets.QFormLayout()
        form.addRow("Measured length", self.length_box)
        layout.addLayout(form)
        layout.addWidget(QtWidgets.QLabel(f"Now: {density.describe()}."))
        layout.addWidget(buttons)

    def pixels_per_mm(self) -> float:
        return CALIBRATION_BAR_PX / self.length_box.value()
