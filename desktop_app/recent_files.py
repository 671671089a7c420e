"""The Open Recent list, kept in QSettings (most recent first)."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6 import QtCore

logger = logging.getLogger(__name__)

MAX_RECENT_FILES = 10
SETTINGS_KEY = "recent_files"


class RecentFiles:
    """Header paths of recently opened records, stored as absolute paths."""

    def __init__(self, settings: QtCore.QSettings) -> None:
        self.settings = settings

    def paths(self) -> list[str]:
        value = self.settings.value(SETTINGS_KEY, [])
        if isinstance(value, str):
            # QSettings returns a one-element list stored in INI files as a bare string.
            value = [value]
        return [str(path) for path in (value or [])][:MAX_RECENT_FILES]

    def add(self, path: str | Path) -> None:
        """Put `path` first, dropping an older copy of it and anything past the tenth entry."""
        path = str(Path(path).resolve())
        paths = [path] + [existing for existing in self.paths() if existing != path]
        self._store(paths[:MAX_RECENT_FILES])

    def remove(self, path: str | Path) -> None:
        path = str(path)
        self._store([existing for existing in self.paths() if existing != path])

    def clear(self) -> None:
        self._store([])

    def _store(self, paths: list[str]) -> None:
        self.settings.setValue(SETTINGS_KEY, paths)
        self.settings.sync()
