"""Widgets and layouts that let a panel get narrower than its text on one line, so the window fits half a screen."""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

ELLIPSIS = "…"


class ElidedLabel(QtWidgets.QLabel):
    """A one-line label that ends its text with "…" when it is narrower than the text.

    `text()` returns the whole text, and the tooltip shows it while it is cut.
    Only plain text is supported, because the label draws the text itself.
    """

    def __init__(self, text: str = "", parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setTextFormat(QtCore.Qt.TextFormat.PlainText)

    def minimumSizeHint(self) -> QtCore.QSize:
        hint = super().minimumSizeHint()
        margins = self.contentsMargins()
        width = self.fontMetrics().horizontalAdvance(ELLIPSIS) + margins.left() + margins.right()
        return QtCore.QSize(width, hint.height())

    def elided_text(self) -> str:
        """Return the text as drawn at the label's current width."""
        width = self.contentsRect().width()
        return self.fontMetrics().elidedText(self.text(), QtCore.Qt.TextElideMode.ElideRight, width)

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:
        painter = QtGui.QPainter(self)
        self.style().drawItemText(
            painter,
            self.contentsRect(),
            int(self.alignment()),
            self.palette(),
            self.isEnabled(),
            self.elided_text(),
            self.foregroundRole(),
        )

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:
        super().resizeEvent(event)
        self._update_tooltip()

    def setText(self, text: str) -> None:
        super().setText(text)
        self._update_tooltip()

    def _update_tooltip(self) -> None:
        self.setToolTip(self.text() if self.elided_text() != self.text() else "")


class WrappingLabel(QtWidgets.QLabel):
    """A word-wrapped label whose minimum height is that of its text wrapped at the label's current width.

    A plain word-wrapped QLabel reports one minimum height whatever its width,
    so in a short dock the widgets below it cover its extra lines once it gets narrow.
    """

    def __init__(self, text: str = "", parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setWordWrap(True)
        self._wrapped_height = -1

    def minimumSizeHint(self) -> QtCore.QSize:
        hint = super().minimumSizeHint()
        if self.width() <= 0 or not self.text():
            return hint
        return QtCore.QSize(hint.width(), max(hint.height(), self.heightForWidth(self.width())))

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:
        super().resizeEvent(event)
        self._check_wrapped_height()

    def setText(self, text: str) -> None:
        super().setText(text)
        self._check_wrapped_height()

    def _check_wrapped_height(self) -> None:
        height = self.heightForWidth(self.width())
        if height != self._wrapped_height:
            self._wrapped_height = height
            self.updateGeometry()


class FlowLayout(QtWidgets.QLayout):
    """A layout that places items left to right at their preferred size and wraps to a new row when the width runs out.

    Items in a row are centred vertically. An item wider than the whole layout
    gets a row of its own and is narrowed to the layout's width, but never
    below its minimum width. The minimum height is that of the rows at the
    latest width, so that a short dock does not draw the widgets below over
    the wrapped rows.
    """

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self._items: list[QtWidgets.QLayoutItem] = []
        self._arranged_height = -1
        """Height of the rows at the width of the latest `setGeometry`, or -1 before the first."""

    # QLayout interface

    def addItem(self, item: QtWidgets.QLayoutItem) -> None:
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QtWidgets.QLayoutItem | None:
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QtWidgets.QLayoutItem | None:
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> QtCore.Qt.Orientation:
        return QtCore.Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._arrange(QtCore.QRect(0, 0, width, 0), move_items=False)

    def setGeometry(self, rect: QtCore.QRect) -> None:
        super().setGeometry(rect)
        height = self._arrange(rect, move_items=True)
        if height != self._arranged_height:
            # The rows changed, so the parent layouts must ask for the new minimum height.
            self._arranged_height = height
            self.invalidate()

    def sizeHint(self) -> QtCore.QSize:
        """Return the size of all items in one row."""
        hints = [item.sizeHint() for item in self._visible_items()]
        width = sum(hint.width() for hint in hints) + self._horizontal_spacing() * max(len(hints) - 1, 0)
        height = max((hint.height() for hint in hints), default=0)
        return self._add_margins(QtCore.QSize(width, height))

    def minimumSize(self) -> QtCore.QSize:
        """Return the width of the widest item, because every item can start a row, and the height of the rows now."""
        size = QtCore.QSize(0, 0)
        for item in self._visible_items():
            size = size.expandedTo(item.minimumSize())
        size = self._add_margins(size)
        if self._arranged_height >= 0:
            size.setHeight(max(size.height(), self._arranged_height))
        return size

    # Placement

    def _visible_items(self) -> list[QtWidgets.QLayoutItem]:
        return [item for item in self._items if not item.isEmpty()]

    def _add_margins(self, size: QtCore.QSize) -> QtCore.QSize:
        margins = self.contentsMargins()
        return size + QtCore.QSize(margins.left() + margins.right(), margins.top() + margins.bottom())

    def _horizontal_spacing(self) -> int:
        if self.spacing() >= 0:
            return self.spacing()
        return self._style_spacing(QtWidgets.QStyle.PixelMetric.PM_LayoutHorizontalSpacing)

    def _vertical_spacing(self) -> int:
        if self.spacing() >= 0:
            return self.spacing()
        return self._style_spacing(QtWidgets.QStyle.PixelMetric.PM_LayoutVerticalSpacing)

    def _style_spacing(self, metric: QtWidgets.QStyle.PixelMetric) -> int:
        parent = self.parentWidget()
        style = parent.style() if parent is not None else QtWidgets.QApplication.style()
        spacing = style.pixelMetric(metric, None, parent)
        # Styles that leave the spacing to each pair of controls return -1 here.
        return spacing if spacing >= 0 else 6

    def _arrange(self, rect: QtCore.QRect, move_items: bool) -> int:
        """Split the items into rows that fit `rect`'s width, place them when `move_items`, and return the height."""
        area = rect.marginsRemoved(self.contentsMargins())
        horizontal_spacing = self._horizontal_spacing()
        rows: list[list[tuple[QtWidgets.QLayoutItem, QtCore.QSize]]] = [[]]
        row_width = 0
        for item in self._visible_items():
            size = item.sizeHint().expandedTo(item.minimumSize())
            size.setWidth(max(min(size.width(), area.width()), item.minimumSize().width()))
            needed = size.width() if not rows[-1] else row_width + horizontal_spacing + size.width()
            if rows[-1] and needed > area.width():
                rows.append([])
                needed = size.width()
            rows[-1].append((item, size))
            row_width = needed

        y = area.y()
        for row in rows:
            row_height = max((size.height() for _, size in row), default=0)
            x = area.x()
            for item, size in row:
                if move_items:
                    top = y + (row_height - size.height()) // 2
                    item.setGeometry(QtCore.QRect(QtCore.QPoint(x, top), size))
                x += size.width() + horizontal_spacing
            y += row_height + self._vertical_spacing()
        used_height = y - self._vertical_spacing() - area.y() if rows[0] else 0
        margins = self.contentsMargins()
        return used_height + margins.top() + margins.bottom()
