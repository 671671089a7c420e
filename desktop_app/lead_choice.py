"""The combo box in which the user picks the ECG lead the network reads."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6 import QtCore, QtWidgets

if TYPE_CHECKING:
    from model.records import EcgRecord


class ModelLeadChooser(QtWidgets.QComboBox):
    """Lists the ECG leads of the record shown; non-ECG signals are never offered to the network."""

    lead_chosen = QtCore.Signal(int)
    """The signal index (column of `EcgRecord.signal`) the user picked."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("model_lead_combo")
        self.setToolTip("The ECG lead the network reads. Choosing another lead classifies the beats again.")
        self.setSizeAdjustPolicy(QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.setEnabled(False)
        self.activated.connect(self._on_activated)

    def set_record(self, record: EcgRecord) -> None:
        """List the record's ECG leads and select the one the network reads, without emitting `lead_chosen`."""
        with QtCore.QSignalBlocker(self):
            self.clear()
            for channel in record.ecg_channels:
                self.addItem(f"Model lead: {record.sig_name[channel]}", channel)
            self.setCurrentIndex(record.ecg_channels.index(record.model_channel))
        self.setEnabled(len(record.ecg_channels) > 1)

    def choose_channel(self, channel: int) -> None:
        """Select signal `channel` as a user would, emitting `lead_chosen` when it changes."""
        index = self.findData(channel)
        if index < 0:
            raise ValueError(f"signal {channel} is not an ECG lead of this record")
        self.setCurrentIndex(index)
        self._on_activated(index)

    @QtCore.Slot(int)
    def _on_activated(self, index: int) -> None:
        channel = self.itemData(index)
        if channel is not None:
            self.lead_chosen.emit(int(channel))
