"""The beat detail panel: the selected beat's labels, class probabilities, RR intervals and attribution.

The panel only renders what `BeatDetailController` gives it and reports the
class the reader wants explained. It starts no computation itself.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from desktop_app.attribution_overlay import LOWERING_COLOR, RAISING_COLOR, AttributionBandItem, attribution_colors
from desktop_app.beat_style import AAMI_COLORS, AAMI_NAMES, DETECTED_BEAT_COLOR, UNCLASSIFIED_COLOR
from desktop_app.narrow_layout import WrappingLabel
from desktop_app.time_axis import format_clock_time
from model.beat_rhythm import BeatRhythm
from model.preprocess import InputConfig
from model.records import AAMI_CLASSES

if TYPE_CHECKING:
    from desktop_app.beat_attribution import BeatAttribution
    from model.inference import RecordPrediction
    from model.records import EcgRecord

logger = logging.getLogger(__name__)

MODEL_LABEL_CHOICE = "Model's label"
MUTED_COLOR = "#6b7280"
AGREEMENT_COLOR = "#15803d"
DISAGREEMENT_TAG_COLOR = "#facc15"
"""The yellow of the disagreement bands on the waveform, opaque so the text on it reads."""
TRACE_COLOR = "#111827"
STRIP_HEIGHT_PX = 180
BAR_RESOLUTION = 1000
"""Steps of each probability bar, so 0.1 % differences show."""
SHIPPED_INPUTS = InputConfig()
"""The input window of the shipped model, for the strip drawn before an attribution arrives."""
EFFECT_AXIS_WIDTH_PX = 62
"""Width of both left axes of the strip, which fits two label lines and a tick value such as "−0.005"."""
EFFECT_RANGE_PADDING = 0.12
"""Fraction of the effect range added above and below, so the outer tick values are not cut off."""
EFFECT_MANTISSAS = (1, 2, 5)
MINUS_SIGN = "\u2212"


def effect_axis_bound(largest: float) -> tuple[float, str]:
    """Return the smallest 1, 2 or 5 times a power of ten that is at least `largest`, with its tick text.

    The text has no more digits than the bound needs ("0.05", "2", "20"), and
    bounds below 0.001 are written as "5e-5". A `largest` of zero or NaN gives 1.
    """
    if not np.isfinite(largest) or largest <= 0.0:
        return 1.0, "1"
    exponent = int(np.floor(np.log10(largest)))
    for mantissa in (*EFFECT_MANTISSAS, 10):
        bound = mantissa * 10.0**exponent
        # The tolerance absorbs rounding: 5 * 10.0**-6 is just below 5e-6, which must still give 5e-6.
        if bound >= largest * (1.0 - 1e-9):
            break
    if mantissa == 10:
        mantissa, exponent = 1, exponent + 1
        bound = 10.0**exponent
    if exponent >= -3:
        return bound, f"{bound:.{max(0, -exponent)}f}"
    return bound, f"{mantissa}e{exponent}"


def effect_axis_label(letter: str | None) -> str:
    """Return the two-line label of the effect axis, for the class `letter` or for no class yet."""
    quantity = f"log p({letter})" if letter else "log p"
    return f"Δ {quantity}<br>per sample"


def format_log_change(value: float) -> str:
    """Format a change in log-probability with its sign and two decimals, as "+2.46" or "−0.31"."""
    text = f"{round(value, 2) + 0.0:+.2f}"
    return text.replace("-", MINUS_SIGN)


def format_probability(probability: float) -> str:
    """Format a probability as a percentage with one decimal, as the panel shows it."""
    if not np.isfinite(probability):
        return "–"
    if 0 < probability < 0.0005:
        return "<0.1 %"
    return f"{100 * probability:.1f} %"


def format_interval_ms(interval_ms: float) -> str:
    return f"{interval_ms:.0f} ms" if np.isfinite(interval_ms) else "–"


def format_ratio(ratio: float) -> str:
    return f"{ratio:.2f}" if np.isfinite(ratio) else "–"


def class_html(letter: str) -> str:
    """Return the class letter in its colour, followed by the class name."""
    return (
        f'<span style="color:{AAMI_COLORS[letter]}; font-weight:bold">{letter}</span>'
        f' <span style="color:{MUTED_COLOR}">{AAMI_NAMES[letter]}</span>'
    )


class BeatDetailPanel(QtWidgets.QWidget):
    """Widgets that describe one beat. `BeatDetailController` fills them."""

    class_chosen = QtCore.Signal(object)
    """The AAMI class index to explain, or None for the model's label."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("beat_detail_panel")
        self.shown_probabilities: np.ndarray | None = None

        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(6)

        self.title_label = QtWidgets.QLabel("Select a beat in the table or on the waveform.")
        self.title_label.setObjectName("beat_detail_title")
        self.title_label.setStyleSheet("font-weight: bold; font-size: 11pt;")
        layout.addWidget(self.title_label)

        labels_row = QtWidgets.QGridLayout()
        labels_row.setHorizontalSpacing(10)
        labels_row.setVerticalSpacing(2)
        self.model_label = self._add_labelled_value(labels_row, 0, "Model")
        self.reference_label = self._add_labelled_value(labels_row, 1, "Reference")
        labels_row.setColumnStretch(1, 1)
        layout.addLayout(labels_row)

        self.status_label = QtWidgets.QLabel()
        self.status_label.setObjectName("beat_detail_status")
        self.status_label.setWordWrap(True)
        self.status_label.setStyleSheet(f"color: {MUTED_COLOR};")
        layout.addWidget(self.status_label)

        columns = QtWidgets.QHBoxLayout()
        columns.setSpacing(16)
        columns.addWidget(self._build_probability_box(), 3)
        columns.addWidget(self._build_rhythm_box(), 2)
        layout.addLayout(columns)

        layout.addWidget(self._build_attribution_box(), 1)
        self.clear()

    # Building

    @staticmethod
    def _add_labelled_value(grid: QtWidgets.QGridLayout, row: int, name: str) -> QtWidgets.QLabel:
        name_label = QtWidgets.QLabel(name)
        name_label.setStyleSheet(f"color: {MUTED_COLOR};")
        value_label = QtWidgets.QLabel()
        value_label.setObjectName(f"beat_detail_{name.lower()}_label")
        value_label.setTextFormat(QtCore.Qt.TextFormat.RichText)
        grid.addWidget(name_label, row, 0)
        grid.addWidget(value_label, row, 1)
        return value_label

    def _build_probability_box(self) -> QtWidgets.QGroupBox:
        box = QtWidgets.QGroupBox("Class probabilities")
        box.setObjectName("probability_box")
        grid = QtWidgets.QGridLayout(box)
        grid.setVerticalSpacing(3)
        self.probability_bars: list[QtWidgets.QProgressBar] = []
        self.probability_labels: list[QtWidgets.QLabel] = []
        self.class_letter_labels: list[QtWidgets.QLabel] = []
        for row, letter in enumerate(AAMI_CLASSES):
            letter_label = QtWidgets.QLabel(letter)
            letter_label.setToolTip(AAMI_NAMES[letter])
            letter_label.setStyleSheet(f"color: {AAMI_COLORS[letter]}; font-weight: bold;")
            bar = QtWidgets.QProgressBar()
            bar.setObjectName(f"probability_bar_{letter}")
            bar.setRange(0, BAR_RESOLUTION)
            bar.setTextVisible(False)
            bar.setFixedHeight(12)
            bar.setStyleSheet(
                "QProgressBar { border: none; background: #eef0f3; border-radius: 2px; }"
                f"QProgressBar::chunk {{ background: {AAMI_COLORS[letter]}; border-radius: 2px; }}"
            )
            value_label = QtWidgets.QLabel()
            value_label.setObjectName(f"probability_label_{letter}")
            value_label.setAlignment(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)
            value_label.setMinimumWidth(value_label.fontMetrics().horizontalAdvance("100.0 %") + 4)
            grid.addWidget(letter_label, row, 0)
            grid.addWidget(bar, row, 1)
            grid.addWidget(value_label, row, 2)
            self.class_letter_labels.append(letter_label)
            self.probability_bars.append(bar)
            self.probability_labels.append(value_label)
        grid.setColumnStretch(1, 1)
        return box

    def _build_rhythm_box(self) -> QtWidgets.QGroupBox:
        box = QtWidgets.QGroupBox("RR intervals")
        box.setObjectName("rhythm_box")
        grid = QtWidgets.QGridLayout(box)
        grid.setVerticalSpacing(3)
        ratio_header = QtWidgets.QLabel("÷ local mean")
        ratio_header.setToolTip("The RR interval divided by the local mean RR")
        ratio_header.setStyleSheet(f"color: {MUTED_COLOR};")
        grid.addWidget(ratio_header, 0, 2, QtCore.Qt.AlignmentFlag.AlignRight)

        self.rhythm_labels: dict[str, tuple[QtWidgets.QLabel, QtWidgets.QLabel]] = {}
        rows = (
            ("previous", "Previous", "From the previous beat's R peak to this beat's"),
            ("next", "Next", "From this beat's R peak to the next beat's"),
            (
                "local",
                "Local mean",
                f"Mean of the last {SHIPPED_INPUTS.local_rr_beats} RR intervals, this beat's previous RR included",
            ),
        )
        for row, (key, text, tip) in enumerate(rows, start=1):
            name_label = QtWidgets.QLabel(text)
            name_label.setToolTip(tip)
            interval_label = QtWidgets.QLabel()
            interval_label.setObjectName(f"rr_{key}_label")
            interval_label.setAlignment(QtCore.Qt.AlignmentFlag.AlignRight)
            ratio_label = QtWidgets.QLabel()
            ratio_label.setObjectName(f"rr_{key}_ratio_label")
            ratio_label.setAlignment(QtCore.Qt.AlignmentFlag.AlignRight)
            grid.addWidget(name_label, row, 0)
            grid.addWidget(interval_label, row, 1)
            grid.addWidget(ratio_label, row, 2)
            self.rhythm_labels[key] = (interval_label, ratio_label)
        grid.setRowStretch(len(rows) + 1, 1)
        return box

    def _build_attribution_box(self) -> QtWidgets.QWidget:
        # A plain widget, not a group box: the "What drove" row is its title, and a
        # dock under the beat table has no height to spare.
        box = QtWidgets.QWidget()
        box.setObjectName("attribution_box")
        layout = QtWidgets.QVBoxLayout(box)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.setSpacing(4)

        choice_row = QtWidgets.QHBoxLayout()
        title = QtWidgets.QLabel("What drove the label")
        title.setStyleSheet("font-weight: bold;")
        choice_row.addWidget(title)
        choice_row.addSpacing(8)
        self.class_combo = QtWidgets.QComboBox()
        self.class_combo.setObjectName("attribution_class_combo")
        self.class_combo.setToolTip("The class whose probability the colours explain")
        self.class_combo.addItem(MODEL_LABEL_CHOICE, None)
        for index, letter in enumerate(AAMI_CLASSES):
            self.class_combo.addItem(f"{letter}: {AAMI_NAMES[letter]}", index)
        self.class_combo.currentIndexChanged.connect(self._on_class_choice_changed)
        choice_row.addWidget(self.class_combo)
        self.attribution_status = QtWidgets.QLabel()
        self.attribution_status.setObjectName("attribution_status")
        self.attribution_status.setStyleSheet(f"color: {MUTED_COLOR};")
        self.attribution_status.setWordWrap(True)
        choice_row.addWidget(self.attribution_status, 1)
        layout.addLayout(choice_row)

        self.strip = pg.GraphicsLayoutWidget()
        self.strip.setObjectName("attribution_strip")
        self.strip.setBackground("w")
        self.strip.setMinimumHeight(STRIP_HEIGHT_PX)
        # The strip takes the height left over. Its own size hint (480 px) would push the
        # panel past the height of a dock under the beat table.
        self.strip.setSizePolicy(QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Ignored)
        self.strip.ci.setContentsMargins(0, 4, 6, 4)
        self.strip.ci.setSpacing(0)
        self.waveform_plot = self._add_strip_plot(row=0, y_label="mV")
        self.waveform_plot.hideAxis("bottom")
        self.bar_plot = self._add_strip_plot(row=1, y_label=effect_axis_label(None))
        self.bar_plot.setObjectName("attribution_bar_plot")
        self.bar_plot.setYRange(-1.0, 1.0, padding=EFFECT_RANGE_PADDING)
        self.bar_plot.setXLink(self.waveform_plot)
        time_axis = self.bar_plot.getAxis("bottom")
        # Milliseconds are set here, because an automatic prefix would depend on the first layout pass.
        time_axis.setSIPrefixEnableRanges(())
        time_axis.enableAutoSIPrefix(False)
        time_axis.setScale(1000.0)
        self.bar_plot.setLabel("bottom", "time from the R peak", units="ms")
        self.strip.ci.layout.setRowStretchFactor(0, 3)
        self.strip.ci.layout.setRowStretchFactor(1, 2)
        self.waveform_curve = self.waveform_plot.plot(pen=pg.mkPen(TRACE_COLOR, width=1.5))
        self.r_peak_lines = []
        for plot in (self.waveform_plot, self.bar_plot):
            line = pg.InfiniteLine(0.0, angle=90, pen=pg.mkPen("#9ca3af", style=QtCore.Qt.PenStyle.DashLine))
            plot.addItem(line, ignoreBounds=True)
            self.r_peak_lines.append(line)
        self.bar_plot.addItem(pg.InfiniteLine(0.0, angle=0, pen=pg.mkPen("#9ca3af")), ignoreBounds=True)
        self.strip_bands: AttributionBandItem | None = None
        self.strip_bars: pg.BarGraphItem | None = None
        layout.addWidget(self.strip, 1)

        # A WrappingLabel, so a short dock does not draw the strip over the legend's last lines.
        self.attribution_legend = WrappingLabel()
        self.attribution_legend.setObjectName("attribution_legend")
        self.attribution_legend.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.attribution_legend.setStyleSheet(f"color: {MUTED_COLOR};")
        layout.addWidget(self.attribution_legend)
        return box

    def _add_strip_plot(self, row: int, y_label: str) -> pg.PlotItem:
        plot = self.strip.addPlot(row=row, col=0)
        plot.setLabel("left", y_label)
        plot.getAxis("left").setWidth(EFFECT_AXIS_WIDTH_PX)
        # pyqtgraph 0.14 computes the SI prefix once, from the range when automatic prefixes are turned off,
        # and keeps it. An empty list of enabled ranges makes that prefix empty, whatever the layout gives.
        plot.getAxis("left").setSIPrefixEnableRanges(())
        plot.getAxis("left").enableAutoSIPrefix(False)
        plot.setMouseEnabled(x=False, y=False)
        plot.hideButtons()
        plot.setMenuEnabled(False)
        return plot

    # Showing a beat

    def clear(self, message: str = "Select a beat in the table or on the waveform.") -> None:
        """Show `message` and empty every field."""
        self.title_label.setText(message)
        self.model_label.clear()
        self.reference_label.clear()
        self._set_status("")
        self._show_probabilities(None, -1)
        self.show_rhythm(None)
        self.class_combo.setItemText(0, MODEL_LABEL_CHOICE)
        self.waveform_curve.setData([], [])
        self.clear_attribution("")

    def show_beat(
        self,
        record: EcgRecord,
        beat: int,
        rhythm: BeatRhythm,
        prediction: RecordPrediction | None,
        model_status: str,
    ) -> None:
        """Show `beat`'s labels, probabilities and RR intervals, and its waveform in the strip.

        `model_status` is shown when `prediction` is None, to say why the model has no output yet.
        """
        time_s = record.beats.sample[beat] / record.fs
        self.title_label.setText(f"Beat {beat + 1} of {len(record.beats)} at {format_clock_time(time_s, 3)}")

        predicted = -1 if prediction is None else int(prediction.predicted[beat])
        self.reference_label.setText(self._reference_html(record, beat, predicted))

        model_choice = f"{MODEL_LABEL_CHOICE} ({AAMI_CLASSES[predicted]})" if predicted >= 0 else MODEL_LABEL_CHOICE
        self.class_combo.setItemText(0, model_choice)
        if prediction is None:
            self.model_label.setText(f'<span style="color:{MUTED_COLOR}">–</span>')
            self._set_status(model_status)
            self._show_probabilities(None, -1)
        elif predicted < 0:
            self.model_label.setText(f'<span style="color:{UNCLASSIFIED_COLOR}; font-weight:bold">?</span>')
            self._set_status(
                f"The model did not classify this beat, because its input window "
                f"({SHIPPED_INPUTS.window_before_s:g} s before to {SHIPPED_INPUTS.window_after_s:g} s after "
                "the R peak) contains invalid samples, such as a gap or a saturated signal."
            )
            self._show_probabilities(None, -1)
        else:
            letter = AAMI_CLASSES[predicted]
            probability = format_probability(float(prediction.probabilities[beat, predicted]))
            self.model_label.setText(f"{class_html(letter)} <b>{probability}</b>")
            self._set_status("")
            self._show_probabilities(prediction.probabilities[beat], predicted)

        self.show_rhythm(rhythm)
        self._show_waveform(record, beat)

    @staticmethod
    def _reference_html(record: EcgRecord, beat: int, predicted: int) -> str:
        """Return the reference label, and whether the model's label agrees with it once there is one."""
        if record.beats.source != "reference":
            return (
                f'<span style="color:{DETECTED_BEAT_COLOR}">detected</span>'
                f' <span style="color:{MUTED_COLOR}">(found by the QRS detector, no reference label)</span>'
            )
        reference = int(record.beats.aami[beat])
        html = class_html(AAMI_CLASSES[reference])
        if predicted < 0:
            return html
        if predicted == reference:
            return html + f' &nbsp;<span style="color:{AGREEMENT_COLOR}">✓ the model agrees</span>'
        return html + f' &nbsp;<span style="background:{DISAGREEMENT_TAG_COLOR}">&nbsp;the model disagrees&nbsp;</span>'

    def _set_status(self, text: str) -> None:
        """Show `text` under the labels, or hide the line when it is empty."""
        self.status_label.setText(text)
        self.status_label.setVisible(bool(text))

    def _show_probabilities(self, probabilities: np.ndarray | None, predicted: int) -> None:
        self.shown_probabilities = None if probabilities is None else np.array(probabilities, dtype=np.float32)
        for index, (bar, label, letter_label) in enumerate(
            zip(self.probability_bars, self.probability_labels, self.class_letter_labels)
        ):
            probability = float("nan") if probabilities is None else float(probabilities[index])
            bar.setValue(int(round(BAR_RESOLUTION * probability)) if np.isfinite(probability) else 0)
            label.setText(format_probability(probability))
            weight = "bold" if index == predicted else "normal"
            label.setStyleSheet(f"font-weight: {weight};")

    def show_rhythm(self, rhythm: BeatRhythm | None) -> None:
        """Show the RR intervals in ms and their ratios to the local mean RR."""
        nan = float("nan")
        values = {
            "previous": (nan, nan) if rhythm is None else (rhythm.previous_rr_ms, rhythm.previous_ratio),
            "next": (nan, nan) if rhythm is None else (rhythm.next_rr_ms, rhythm.next_ratio),
            "local": (nan, nan) if rhythm is None else (rhythm.local_mean_rr_ms, nan),
        }
        for key, (interval_ms, ratio) in values.items():
            interval_label, ratio_label = self.rhythm_labels[key]
            interval_label.setText(format_interval_ms(interval_ms))
            ratio_label.setText(format_ratio(ratio) if key != "local" else "")

    def _show_waveform(self, record: EcgRecord, beat: int) -> None:
        peak = int(record.beats.sample[beat])
        first = max(0, peak - int(round(SHIPPED_INPUTS.window_before_s * record.fs)))
        last = min(record.n_samples, peak + int(round(SHIPPED_INPUTS.window_after_s * record.fs)) + 1)
        times_s = (np.arange(first, last) - peak) / record.fs
        self.waveform_curve.setData(times_s, record.model_signal_mv[first:last], connect="finite")
        self.waveform_plot.setXRange(-SHIPPED_INPUTS.window_before_s, SHIPPED_INPUTS.window_after_s, padding=0.02)
        self.waveform_plot.setLabel("left", f"{record.sig_name[record.model_channel]} mV")

    # Attribution

    def chosen_class(self) -> int | None:
        """Return the class index chosen in the selector, or None when it follows the model's label."""
        return self.class_combo.currentData()

    def set_attribution_status(self, text: str) -> None:
        self.attribution_status.setText(text)

    def clear_attribution(self, status: str) -> None:
        """Remove the bands and bars of the previous attribution and show `status`."""
        for plot, item in ((self.waveform_plot, self.strip_bands), (self.bar_plot, self.strip_bars)):
            if item is not None:
                plot.removeItem(item)
        self.strip_bands = None
        self.strip_bars = None
        # No tick values without bars, so an empty strip shows no scale.
        self.bar_plot.getAxis("left").setTicks([[], []])
        self.bar_plot.setLabel("left", effect_axis_label(None))
        self.bar_plot.setYRange(-1.0, 1.0, padding=EFFECT_RANGE_PADDING)
        self.bar_plot.setToolTip("")
        self.attribution_legend.clear()
        self.attribution_legend.setToolTip("")
        self.set_attribution_status(status)

    def show_attribution(self, result: BeatAttribution, lead_name: str) -> None:
        """Draw `result` in the strip: bands behind the waveform and one signed bar per model sample."""
        self.clear_attribution("")
        record = result.record
        peak_s = record.beats.sample[result.beat] / record.fs
        times_s = result.sample_times_s() - peak_s
        width_s = 1.0 / result.model_fs
        colors = attribution_colors(result.values)

        self.strip_bands = AttributionBandItem(times_s, width_s, colors)
        self.waveform_plot.addItem(self.strip_bands, ignoreBounds=True)

        bar_colors = colors.copy()
        bar_colors[:, 3] = np.maximum(bar_colors[:, 3], 90)
        self.strip_bars = pg.BarGraphItem(
            x=times_s, height=result.values, width=width_s, brushes=[pg.mkBrush(*color) for color in bar_colors], pen=None
        )
        self.bar_plot.addItem(self.strip_bars)

        letter = AAMI_CLASSES[result.target_class]
        self._show_effect_scale(result.values, letter)

        baseline = "the dominant beat" if result.baseline_is_dominant_beat else "a flat line"
        red = "#%02x%02x%02x" % RAISING_COLOR
        blue = "#%02x%02x%02x" % LOWERING_COLOR
        # The sum comes first, so it shows even where the dock cuts off the last line.
        self.attribution_legend.setText(
            f"The bars add up to <b>{format_log_change(float(result.values.sum()))}</b>, the change in "
            f"log p({letter}) from {baseline} to this beat. "
            f'<b style="color:{red}">Red</b> samples raised the probability of '
            f'<b style="color:{AAMI_COLORS[letter]}">{letter}</b>, <b style="color:{blue}">blue</b> samples '
            f"lowered it. The same colours lie on {lead_name}."
        )
        tooltip = self._attribution_tooltip(result, letter, baseline)
        self.attribution_legend.setToolTip(tooltip)
        self.bar_plot.setToolTip(tooltip)
        self.set_attribution_status("")

    def _show_effect_scale(self, values: np.ndarray, letter: str) -> None:
        """Label the effect axis for class `letter` and mark 0 and a round bound above every bar, on both sides."""
        bound, bound_text = effect_axis_bound(float(np.nanmax(np.abs(values), initial=0.0)))
        ticks = [(-bound, MINUS_SIGN + bound_text), (0.0, "0"), (bound, bound_text)]
        self.bar_plot.getAxis("left").setTicks([ticks, []])
        self.bar_plot.setYRange(-bound, bound, padding=EFFECT_RANGE_PADDING)
        self.bar_plot.setLabel("left", effect_axis_label(letter))

    @staticmethod
    def _attribution_tooltip(result: BeatAttribution, letter: str, baseline: str) -> str:
        attribution = result.attribution
        change = attribution.log_probability - attribution.baseline_log_probability
        start = baseline
        if result.baseline_is_dominant_beat:
            start = f"the dominant beat, the median shape of its block of {SHIPPED_INPUTS.template_beats} beats,"
        return (
            f"Integrated gradients through the network's ODE solve, from {start} to this beat, "
            "with the RR intervals held fixed. "
            f"Each bar is one input sample ({1000.0 / result.model_fs:.1f} ms) and its share of the change "
            f"in the natural log-probability of {letter}. "
            f"The bars add up to log p({letter}) − log p({letter} | {baseline}) = {format_log_change(change)}, "
            f"within {attribution.completeness_gap:.3f}, "
            f"so p({letter}) is {np.exp(change):.3g} times its value for {baseline}."
        )

    def _on_class_choice_changed(self, index: int) -> None:
        self.class_chosen.emit(self.class_combo.itemData(index))
