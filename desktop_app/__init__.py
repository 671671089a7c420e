"""The Liquid ECG desktop window (PySide6 and pyqtgraph).

Importing this package imports neither Qt nor JAX, so that the headless
`liquid-ecg classify` command can live beside the window. The window starts
with `desktop_app.app.run_gui`.
"""
