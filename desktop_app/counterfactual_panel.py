"""The Counterfactual dock's widgets: tool, region, edit list, changed beats and the search.

The panel only shows state and turns clicks into signals. The
`CounterfactualController` runs the edits and fills the panel in.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from desktop_app.beat_style import AAMI_COLORS
from desktop_app.time_axis import format_clock_time
from model.records import AAMI_CLASSES


@dataclass(frozen=True)
class ToolSpec:
    """One edit tool: its `Edit` kind, its name in the tool list and its value's spin box settings."""

    kind: str
    name: str
    value_label: str = ""
    """Label of the value spin box; empty for tools without a value."""
    suffix: str = ""
    minimum: float = 0.0
    maximum: float = 0.0
    default: float = 0.0
    decimals: int = 2
    step: float = 0.1
    hint: str = ""


TOOLS = (
    ToolSpec("scale", "Scale amplitude", "Factor", " ×", 0.0, 5.0, 0.5, 2, 0.1,
             "Scales the region about its median: below 1 shrinks the waves, above 1 enlarges them."),
    ToolSpec("invert", "Invert", hint="Mirrors the region about its median."),
    ToolSpec("baseline", "Shift baseline", "Shift", " mV", -5.0, 5.0, 0.3, 2, 0.05, "Adds a constant to the region."),
    ToolSpec("flatten", "Flatten", hint="Replaces the region by a straight line between its ends."),
    ToolSpec("smooth", "Smooth", "Window", " ms", 5.0, 300.0, 40.0, 0, 5.0, "Moving average over the window."),
    ToolSpec("noise", "Add noise", "SD", " mV", 0.01, 2.0, 0.1, 2, 0.01, "Adds Gaussian noise of this SD."),
    ToolSpec("stretch", "Stretch in time", "Factor", " ×", 0.2, 5.0, 1.5, 2, 0.1,
             "Stretches the region about its centre: above 1 widens the waves."),
    ToolSpec("move_beat", "Move beat", "Shift", " ms", -1500.0, 1500.0, 120.0, 0, 10.0,
             "Moves the region's beat (nearest its centre) later, or earlier when negative; the RR intervals change."),
    ToolSpec("delete_beat", "Delete beat", hint="Deletes the beat nearest the region's centre and flattens the region."),
    ToolSpec("paste", "Paste beat shape", "From beat", "", 1.0, 1.0, 1.0, 0, 1.0,
             "Copies another beat's shape into the region, aligned on the R peaks."),
    ToolSpec("freehand", "Freehand redraw", hint="Drag with the mouse along the lead to redraw it; releasing applies."),
)
TOOLS_BY_KIND = {tool.kind: tool for tool in TOOLS}

EDITED_COLOR = "#c2185b"
"""The edited signal, the region and the counterfactual banner: a deep pink no beat class uses."""
ORIGINAL_COLOR = "#9ca3af"


def probability_text(probabilities: np.ndarray) -> str:
    """Return "V 0.93" for a row of class probabilities, or "unclassified" for NaN."""
    if not np.isfinite(probabilities).all():
        return "unclassified"
    best = int(np.argmax(probabilities))
    return f"{AAMI_CLASSES[best]} {probabilities[best]:.2f}"


class CounterfactualPanel(QtWidgets.QWidget):
    """The editor's controls: region, tool, undo/redo, the edits, the changed beats and the search."""

    apply_requested = QtCore.Signal()
    undo_requested = QtCore.Signal()
    redo_requested = QtCore.Signal()
    reset_requested = QtCore.Signal()
    save_requested = QtCore.Signal()
    region_to_beat_requested = QtCore.Signal()
    lead_chosen = QtCore.Signal(int)
    """Signal index of the lead the region is on."""
    tool_changed = QtCore.Signal(str)
    search_requested = QtCore.Signal()
    search_cancel_requested = QtCore.Signal()
    show_state_change_toggled = QtCore.Signal(bool)
    beat_activated = QtCore.Signal(int)
    """Record beat index of a row double-clicked in the changed-beat table."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("counterfactual_panel")
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self._build_edit_group())
        layout.addWidget(self._build_history_row())
        layout.addWidget(self._build_beat_table(), 1)
        layout.addWidget(self._build_edit_list())
        layout.addWidget(self._build_search_group())
        self.set_tool("scale")

    # Building

    def _build_edit_group(self) -> QtWidgets.QGroupBox:
        group = QtWidgets.QGroupBox("Edit a segment")
        form = QtWidgets.QFormLayout(group)
        form.setFieldGrowthPolicy(QtWidgets.QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)

        self.lead_combo = QtWidgets.QComboBox()
        self.lead_combo.setObjectName("counterfactual_lead_combo")
        self.lead_combo.currentIndexChanged.connect(self._on_lead_index_changed)
        self.region_label = QtWidgets.QLabel("—")
        self.region_label.setObjectName("counterfactual_region_label")
        self.region_to_beat_button = QtWidgets.QPushButton("Around Selected Beat")
        self.region_to_beat_button.setObjectName("counterfactual_region_to_beat_button")
        self.region_to_beat_button.setToolTip("Place the region from 150 ms before to 250 ms after the selected beat.")
        self.region_to_beat_button.clicked.connect(self.region_to_beat_requested)
        region_row = QtWidgets.QHBoxLayout()
        region_row.addWidget(self.region_label, 1)
        region_row.addWidget(self.region_to_beat_button)
        form.addRow("Lead", self.lead_combo)
        form.addRow("Region", region_row)

        self.tool_combo = QtWidgets.QComboBox()
        self.tool_combo.setObjectName("counterfactual_tool_combo")
        for tool in TOOLS:
            self.tool_combo.addItem(tool.name, tool.kind)
        self.tool_combo.currentIndexChanged.connect(self._on_tool_index_changed)
        form.addRow("Tool", self.tool_combo)

        self.value_label = QtWidgets.QLabel()
        self.value_spin = QtWidgets.QDoubleSpinBox()
        self.value_spin.setObjectName("counterfactual_value_spin")
        self.apply_button = QtWidgets.QPushButton("Apply")
        self.apply_button.setObjectName("counterfactual_apply_button")
        self.apply_button.setDefault(True)
        self.apply_button.clicked.connect(self.apply_requested)
        value_row = QtWidgets.QHBoxLayout()
        value_row.addWidget(self.value_spin, 1)
        value_row.addWidget(self.apply_button)
        form.addRow(self.value_label, value_row)

        self.hint_label = QtWidgets.QLabel()
        self.hint_label.setObjectName("counterfactual_hint_label")
        self.hint_label.setWordWrap(True)
        self.hint_label.setStyleSheet("color: #4b5563;")
        # A wrapped label in a form layout is otherwise squeezed to one line when the dock is short.
        self.hint_label.setMinimumHeight(2 * self.hint_label.fontMetrics().lineSpacing() + 2)
        form.addRow(self.hint_label)
        return group

    def _build_history_row(self) -> QtWidgets.QWidget:
        row = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        buttons = QtWidgets.QHBoxLayout()
        self.undo_button = QtWidgets.QPushButton("Undo")
        self.redo_button = QtWidgets.QPushButton("Redo")
        self.reset_button = QtWidgets.QPushButton("Reset to Original")
        self.save_button = QtWidgets.QPushButton("Save As…")
        for name, button, signal in (
            ("undo", self.undo_button, self.undo_requested),
            ("redo", self.redo_button, self.redo_requested),
            ("reset", self.reset_button, self.reset_requested),
            ("save", self.save_button, self.save_requested),
        ):
            button.setObjectName(f"counterfactual_{name}_button")
            button.clicked.connect(signal)
            buttons.addWidget(button)
        layout.addLayout(buttons)

        self.status_label = QtWidgets.QLabel()
        self.status_label.setObjectName("counterfactual_status_label")
        self.status_label.setWordWrap(True)
        layout.addWidget(self.status_label)
        return row

    def _build_edit_list(self) -> QtWidgets.QWidget:
        box = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QtWidgets.QLabel("<b>Edits</b>, in the order applied"))
        self.edit_list = QtWidgets.QListWidget()
        self.edit_list.setObjectName("counterfactual_edit_list")
        self.edit_list.setMaximumHeight(64)
        self.edit_list.setToolTip("The edits applied to the recorded signal, in order.")
        layout.addWidget(self.edit_list)
        return box

    def _build_beat_table(self) -> QtWidgets.QWidget:
        box = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        header = QtWidgets.QHBoxLayout()
        title = QtWidgets.QLabel("<b>Beats the edits changed</b>")
        self.state_change_check = QtWidgets.QCheckBox("Show change in neuron states")
        self.state_change_check.setObjectName("counterfactual_state_change_check")
        self.state_change_check.setToolTip(
            "Draw edited minus original neuron states around the edits in the heatmap."
        )
        self.state_change_check.toggled.connect(self.show_state_change_toggled)
        header.addWidget(title, 1)
        header.addWidget(self.state_change_check)
        layout.addLayout(header)

        self.beat_table = QtWidgets.QTableWidget(0, 4)
        self.beat_table.setObjectName("counterfactual_beat_table")
        self.beat_table.setHorizontalHeaderLabels(["Beat", "Time", "Recorded", "Edited"])
        self.beat_table.horizontalHeaderItem(2).setToolTip("Model label and probability on the recorded signal.")
        self.beat_table.horizontalHeaderItem(3).setToolTip("Model label and probability on the edited signal.")
        self.beat_table.verticalHeader().hide()
        self.beat_table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.beat_table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.beat_table.horizontalHeader().setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.Stretch)
        self.beat_table.setMinimumHeight(150)
        self.beat_table.verticalHeader().setDefaultSectionSize(22)
        self.beat_table.cellDoubleClicked.connect(self._on_row_double_clicked)
        layout.addWidget(self.beat_table)
        return box

    def _build_search_group(self) -> QtWidgets.QGroupBox:
        group = QtWidgets.QGroupBox("Smallest change to the selected beat")
        layout = QtWidgets.QVBoxLayout(group)
        row = QtWidgets.QHBoxLayout()
        self.search_beat_label = QtWidgets.QLabel("No beat selected.")
        self.search_beat_label.setObjectName("counterfactual_search_beat_label")
        self.target_combo = QtWidgets.QComboBox()
        self.target_combo.setObjectName("counterfactual_target_combo")
        for letter in AAMI_CLASSES:
            self.target_combo.addItem(f"make it {letter}", letter)
        self.search_button = QtWidgets.QPushButton("Search")
        self.search_button.setObjectName("counterfactual_search_button")
        self.search_button.setToolTip(
            "Gradient search for the smallest change to the region (on the model lead) that makes the "
            "network label the selected beat as the chosen class."
        )
        self.search_button.clicked.connect(self.search_requested)
        self.cancel_search_button = QtWidgets.QPushButton("Cancel")
        self.cancel_search_button.setObjectName("counterfactual_cancel_search_button")
        self.cancel_search_button.setEnabled(False)
        self.cancel_search_button.clicked.connect(self.search_cancel_requested)
        row.addWidget(self.search_beat_label, 1)
        row.addWidget(self.target_combo)
        row.addWidget(self.search_button)
        row.addWidget(self.cancel_search_button)
        layout.addLayout(row)

        self.search_result_label = QtWidgets.QLabel()
        self.search_result_label.setObjectName("counterfactual_search_result_label")
        self.search_result_label.setWordWrap(True)
        layout.addWidget(self.search_result_label)
        return group

    # Tool and value

    def tool(self) -> str:
        return str(self.tool_combo.currentData())

    def set_tool(self, kind: str) -> None:
        self.tool_combo.setCurrentIndex(self.tool_combo.findData(kind))
        self._show_tool(TOOLS_BY_KIND[kind])

    def value(self) -> float:
        return float(self.value_spin.value())

    def set_value(self, value: float) -> None:
        self.value_spin.setValue(value)

    def set_beat_count(self, n_beats: int) -> None:
        """Allow beat numbers 1 to `n_beats` as the paste source."""
        self._beat_count = max(1, n_beats)
        if self.tool() == "paste":
            self.value_spin.setMaximum(self._beat_count)

    def _on_tool_index_changed(self, index: int) -> None:
        tool = TOOLS[index]
        self._show_tool(tool)
        self.tool_changed.emit(tool.kind)

    def _show_tool(self, tool: ToolSpec) -> None:
        has_value = bool(tool.value_label)
        self.value_label.setText(tool.value_label or "")
        self.value_spin.setVisible(has_value)
        if has_value:
            self.value_spin.setDecimals(tool.decimals)
            self.value_spin.setSingleStep(tool.step)
            self.value_spin.setSuffix(tool.suffix)
            maximum = getattr(self, "_beat_count", 1) if tool.kind == "paste" else tool.maximum
            self.value_spin.setRange(tool.minimum, maximum)
            if tool.kind != "paste":
                self.value_spin.setValue(tool.default)
        self.apply_button.setVisible(tool.kind != "freehand")
        self.hint_label.setText(tool.hint)

    # Lead and region

    def set_leads(self, names: list[str], channels: list[int], model_channel: int) -> None:
        self.lead_combo.blockSignals(True)
        self.lead_combo.clear()
        for name, channel in zip(names, channels):
            suffix = " (the network reads this lead)" if channel == model_channel else ""
            self.lead_combo.addItem(f"{name}{suffix}", channel)
        self.lead_combo.setCurrentIndex(max(0, self.lead_combo.findData(model_channel)))
        self.lead_combo.blockSignals(False)

    def lead(self) -> int:
        data = self.lead_combo.currentData()
        return -1 if data is None else int(data)

    def show_region(self, start_s: float, stop_s: float) -> None:
        self.region_label.setText(
            f"{format_clock_time(start_s, 3)} – {format_clock_time(stop_s, 3)} ({1000 * (stop_s - start_s):.0f} ms)"
        )

    def _on_lead_index_changed(self, index: int) -> None:
        if index >= 0:
            self.lead_chosen.emit(int(self.lead_combo.itemData(index)))

    # State

    def set_busy(self, busy: bool) -> None:
        """Disable the controls that start an edit while one of the editor's jobs runs."""
        for widget in (self.apply_button, self.search_button, self.save_button):
            widget.setEnabled(not busy)

    def set_status(self, text: str) -> None:
        self.status_label.setText(text)

    def set_history(self, descriptions: list[str], redo_count: int) -> None:
        self.edit_list.clear()
        for number, description in enumerate(descriptions, start=1):
            self.edit_list.addItem(f"{number}. {description}")
        self.edit_list.scrollToBottom()
        self.undo_button.setEnabled(bool(descriptions))
        self.reset_button.setEnabled(bool(descriptions))
        self.redo_button.setEnabled(redo_count > 0)

    def set_changed_beats(
        self,
        record_beats: np.ndarray,
        times_s: np.ndarray,
        recorded: np.ndarray,
        edited: np.ndarray,
    ) -> None:
        """Fill the table: record beat index, time (s) and probabilities before and after, one row per beat.

        `edited` rows of NaN mean the beat was deleted.
        """
        table = self.beat_table
        table.setSortingEnabled(False)
        table.setRowCount(len(record_beats))
        bold = QtGui.QFont()
        bold.setBold(True)
        for row, (beat, time_s, before, after) in enumerate(zip(record_beats, times_s, recorded, edited)):
            deleted = not np.isfinite(after).any()
            after_text = "deleted" if deleted else probability_text(after)
            items = [
                QtWidgets.QTableWidgetItem(str(int(beat) + 1)),
                QtWidgets.QTableWidgetItem(format_clock_time(float(time_s), 2)),
                self._class_item(probability_text(before), before),
                self._class_item(after_text, after),
            ]
            items[0].setData(QtCore.Qt.ItemDataRole.UserRole, int(beat))
            label_changed = deleted or after_text.split()[0] != probability_text(before).split()[0]
            for column, item in enumerate(items):
                if label_changed:
                    item.setFont(bold)
                    item.setBackground(QtGui.QColor("#fce7f3"))
                table.setItem(row, column, item)

    def _class_item(self, text: str, probabilities: np.ndarray) -> QtWidgets.QTableWidgetItem:
        item = QtWidgets.QTableWidgetItem(text)
        if np.isfinite(probabilities).all():
            item.setForeground(QtGui.QColor(AAMI_COLORS[AAMI_CLASSES[int(np.argmax(probabilities))]]))
            item.setToolTip("  ".join(f"{letter} {p:.3f}" for letter, p in zip(AAMI_CLASSES, probabilities)))
        return item

    def changed_beat_rows(self) -> list[tuple[int, str, str]]:
        """Return (record beat index, recorded text, edited text) for every table row."""
        table = self.beat_table
        return [
            (int(table.item(row, 0).data(QtCore.Qt.ItemDataRole.UserRole)), table.item(row, 2).text(), table.item(row, 3).text())
            for row in range(table.rowCount())
        ]

    def _on_row_double_clicked(self, row: int, column: int) -> None:
        self.beat_activated.emit(int(self.beat_table.item(row, 0).data(QtCore.Qt.ItemDataRole.UserRole)))

    # Search

    def set_search_beat(self, text: str) -> None:
        self.search_beat_label.setText(text)

    def target_class(self) -> int:
        return AAMI_CLASSES.index(str(self.target_combo.currentData()))

    def set_target_class(self, letter: str) -> None:
        self.target_combo.setCurrentIndex(self.target_combo.findData(letter))

    def set_searching(self, searching: bool) -> None:
        self.search_button.setEnabled(not searching)
        self.cancel_search_button.setEnabled(searching)
        if searching:
            self.set_search_result("Searching… (up to a few seconds)")

    def set_search_result(self, text: str) -> None:
        self.search_result_label.setText(text)
        self.search_result_label.setVisible(bool(text))
