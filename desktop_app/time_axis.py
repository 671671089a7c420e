"""A time axis in seconds whose tick labels read as clock time (m:ss or h:mm:ss)."""

from __future__ import annotations

import logging
import math

import pyqtgraph as pg

logger = logging.getLogger(__name__)


def format_clock_time(seconds: float, decimals: int = 0) -> str:
    """Format seconds from the record's start as m:ss or h:mm:ss, with `decimals` fractional digits."""
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    scale = 10**decimals
    total = round(seconds * scale) / scale
    hours = int(total // 3600)
    minutes = int((total % 3600) // 60)
    secs = total - hours * 3600 - minutes * 60

    width = 2 if decimals == 0 else 3 + decimals
    secs_text = f"{secs:0{width}.{decimals}f}"
    if hours:
        return f"{sign}{hours}:{minutes:02d}:{secs_text}"
    return f"{sign}{minutes}:{secs_text}"


CLOCK_STEPS_S = (
    0.01, 0.02, 0.04, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600,
    7200, 10800, 21600,
)
"""Tick spacings that read naturally on a clock. 0.04 s and 0.2 s are the ECG paper's small and large boxes."""
MIN_MAJOR_TICK_PX = 90
MIN_MINOR_TICK_PX = 12


def clock_tick_spacing(span_s: float, size_px: float) -> tuple[float, float | None]:
    """Choose major and minor tick spacings (s) for `span_s` seconds drawn over `size_px` pixels."""
    seconds_per_px = span_s / max(size_px, 1.0)
    major = next((step for step in CLOCK_STEPS_S if step / seconds_per_px >= MIN_MAJOR_TICK_PX), CLOCK_STEPS_S[-1])
    minor = None
    for step in CLOCK_STEPS_S:
        if step >= major:
            break
        ratio = major / step
        if abs(ratio - round(ratio)) < 1e-9 and step / seconds_per_px >= MIN_MINOR_TICK_PX:
            minor = step
            break
    return major, minor


class TimeAxisItem(pg.AxisItem):
    """Bottom axis whose values are seconds and whose labels are clock time."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(orientation="bottom", **kwargs)
        self.enableAutoSIPrefix(False)

    def tickSpacing(self, minVal: float, maxVal: float, size: float) -> list[tuple[float, float]]:
        major, minor = clock_tick_spacing(maxVal - minVal, size)
        levels = [(major, 0.0)]
        if minor is not None:
            levels.append((minor, 0.0))
        return levels

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        decimals = 0 if spacing >= 1.0 else min(3, math.ceil(-math.log10(spacing)))
        return [format_clock_time(value, decimals) for value in values]
