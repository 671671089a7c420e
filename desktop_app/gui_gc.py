"""Keep Python's cyclic garbage collection in the GUI thread.

CPython runs the cyclic collector in whichever thread crosses the allocation
threshold. JAX tracing in the model job thread allocates enough to trigger it
there, and a collected cycle that contains Qt wrappers then has shiboken
defer their deletion to the GUI thread. With
PySide6 6.11 that deferred deletion crashed the offline test's window with a
segmentation fault in `BindingManager::runDeletionInMainThread`. pyqtgraph's
`GarbageCollector` turns automatic collection off and collects from a GUI
thread timer instead.
"""

from __future__ import annotations

import logging

from pyqtgraph.util.garbage_collector import GarbageCollector

logger = logging.getLogger(__name__)

COLLECT_INTERVAL_S = 1.0

_collector: GarbageCollector | None = None


def collect_garbage_in_gui_thread() -> None:
    """Turn off automatic cyclic collection and collect from a GUI thread timer instead. Call it once a QApplication exists."""
    global _collector
    if _collector is None:
        logger.debug("Cyclic garbage collection now runs from a GUI thread timer every %.1f s", COLLECT_INTERVAL_S)
        _collector = GarbageCollector(interval=COLLECT_INTERVAL_S)
