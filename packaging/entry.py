"""Entry point of the bundled application: the same command as the installed `liquid-ecg` script."""

import sys

from desktop_app.cli import main

if __name__ == "__main__":
    sys.exit(main())
