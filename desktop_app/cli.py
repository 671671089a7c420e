"""The `liquid-ecg` command: open the window, or classify records without one.

`liquid-ecg [PATH]` starts the window; `liquid-ecg classify RECORD... --out DIR`
and `liquid-ecg review-summary RECORD.hea` run headless and never import Qt.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from desktop_app.headless import ClassifiedRecord

logger = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_INTERRUPTED = 130


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `liquid-ecg` command with `argv` (default: sys.argv[1:]) and return the exit code."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    # A subparser would claim the GUI's optional PATH argument too, so the
    # subcommand is picked by hand.
    if arguments and arguments[0] == "classify":
        return classify_main(arguments[1:])
    if arguments and arguments[0] == "review-summary":
        from desktop_app.review_summary import review_summary_main

        return review_summary_main(arguments[1:])
    return gui_main(arguments)


EXIT_USAGE = 2


def no_display_message(environment: dict[str, str] | None = None) -> str | None:
    """Return why the window cannot open on this Linux machine (no display and no Qt platform chosen), else None."""
    environment = dict(os.environ if environment is None else environment)
    if not sys.platform.startswith("linux"):
        return None
    if environment.get("DISPLAY") or environment.get("WAYLAND_DISPLAY") or environment.get("QT_QPA_PLATFORM"):
        return None
    return (
        "liquid-ecg: no display found (DISPLAY and WAYLAND_DISPLAY are unset), so the window cannot open. "
        "Run it in a desktop session, under xvfb-run, or with QT_QPA_PLATFORM=offscreen; "
        "'liquid-ecg classify' works without a display."
    )


def _version() -> str:
    try:
        return metadata.version("liquid-ecg")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


def _add_verbosity(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="log more: -v for INFO messages, -vv for DEBUG messages",
    )


def configure_logging(verbosity: int) -> None:
    """Send log records to stderr: warnings by default, INFO with -v, DEBUG with -vv."""
    level = logging.WARNING
    if verbosity == 1:
        level = logging.INFO
    elif verbosity >= 2:
        level = logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)


def build_gui_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="liquid-ecg",
        description=(
            "Open an ECG record in the Liquid ECG window; without PATH, open the "
            "synthetic demo record. To classify records without a window, run "
            "'liquid-ecg classify --help'; to print a saved review's agreement tables, "
            "'liquid-ecg review-summary --help'."
        ),
    )
    parser.add_argument(
        "path",
        nargs="?",
        metavar="PATH",
        help="a WFDB record's .hea file (or the record path without extension)",
    )
    parser.add_argument(
        "--annotator",
        default="atr",
        metavar="EXT",
        help="extension of the reference beat annotations beside the record (default: atr); "
        "without that file, beats come from a QRS detector",
    )
    parser.add_argument(
        "--exit-when-classified",
        action="store_true",
        help="quit once the record is classified, printing the outcome; the exit code is 0 only when "
        "classification finished (for checking an installation without a screen)",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    _add_verbosity(parser)
    return parser


def gui_main(arguments: Sequence[str]) -> int:
    """Start the window on PATH, or on the demo record when PATH is absent."""
    options = build_gui_parser().parse_args(arguments)
    configure_logging(options.verbose)
    missing_display = no_display_message()
    if missing_display:
        print(missing_display, file=sys.stderr)
        return EXIT_USAGE

    from desktop_app.app import run_gui

    return int(run_gui(options.path, annotator=options.annotator, exit_when_classified=options.exit_when_classified))


def build_classify_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="liquid-ecg classify",
        description=(
            "Label every beat of each record with the LTC network, without a window. "
            "For each record, DIR/<record>.csv gets one row per beat and "
            "DIR/<record>.ltc the predictions as a WFDB annotation file. "
            "The exit code is 1 when any record failed."
        ),
    )
    parser.add_argument(
        "records",
        nargs="+",
        metavar="RECORD",
        help="a WFDB record's .hea file (or the record path without extension)",
    )
    parser.add_argument(
        "--out",
        required=True,
        type=Path,
        metavar="DIR",
        help="folder for the CSV and annotation files, created if missing; it must not be a record's own folder",
    )
    parser.add_argument(
        "--annotator",
        default="atr",
        metavar="EXT",
        help="extension of the reference beat annotations beside each record (default: atr). "
        "Records without them get beats from a QRS detector",
    )
    parser.add_argument(
        "--weights",
        type=Path,
        metavar="FILE",
        help="classifier weights with their model card beside them (default: the shipped weights)",
    )
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="print only errors, not one line per record"
    )
    _add_verbosity(parser)
    return parser


def classify_main(arguments: Sequence[str]) -> int:
    """Classify records into --out and return 0 when every record was written, else 1."""
    options = build_classify_parser().parse_args(arguments)
    configure_logging(options.verbose)

    from desktop_app import headless

    reporter = StderrReporter(sys.stderr, quiet=options.quiet)
    try:
        failures = headless.classify_records(
            options.records,
            options.out,
            reporter,
            annotator=options.annotator,
            weights_path=options.weights,
        )
    except headless.ClassifierUnavailable as error:
        reporter.finish_line()
        print(f"liquid-ecg classify: cannot load the classifier: {error}", file=sys.stderr)
        return EXIT_FAILED
    except OSError as error:
        reporter.finish_line()
        print(f"liquid-ecg classify: cannot write to {options.out}: {error}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        reporter.finish_line()
        print("liquid-ecg classify: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED

    total = len(options.records)
    if failures == total:
        noun = "record" if total == 1 else f"all {total} records"
        print(f"liquid-ecg classify: {noun} failed", file=sys.stderr)
        return EXIT_FAILED
    if failures:
        print(
            f"liquid-ecg classify: {failures} of {total} records failed; "
            f"the other {total - failures} are in {options.out}",
            file=sys.stderr,
        )
        return EXIT_FAILED
    return EXIT_OK


class StderrReporter:
    """Prints one line per record and, on a terminal, a running count of classified beats."""

    def __init__(self, stream: TextIO, *, quiet: bool = False) -> None:
        self.stream = stream
        self.quiet = quiet
        self.live = not quiet and stream.isatty()
        self._open_line = False

    def finish_line(self) -> None:
        """End a live progress line, so that the next message starts on a fresh line."""
        if self._open_line:
            self.stream.write("\n")
            self.stream.flush()
            self._open_line = False

    def _show_live(self, text: str) -> None:
        # \033[K clears what a longer previous progress text left on the line.
        self.stream.write(f"\r{text}\033[K")
        self.stream.flush()
        self._open_line = True

    def _show_final(self, text: str) -> None:
        if self._open_line:
            self.stream.write("\r\033[K")
            self._open_line = False
        self.stream.write(text + "\n")
        self.stream.flush()

    def record_started(self, index: int, total: int, path: Path) -> None:
        if self.live:
            self._show_live(f"[{index}/{total}] {path.name}: loading")

    def beats_done(self, index: int, total: int, done_beats: int, total_beats: int) -> None:
        if self.live:
            self._show_live(f"[{index}/{total}] classifying: {done_beats}/{total_beats} beats")

    def record_done(self, index: int, total: int, result: ClassifiedRecord) -> None:
        if self.quiet:
            return
        rate = result.n_beats / result.elapsed_s if result.elapsed_s > 0 else float("inf")
        outputs = str(result.csv_path)
        if result.annotation_path is not None:
            outputs += f", {result.annotation_path}"
        self._show_final(
            f"[{index}/{total}] {result.header_path.name}: {result.n_beats} {result.beats_source} beats "
            f"in {result.elapsed_s:.2f} s ({rate:.0f} beats/s) -> {outputs}"
        )

    def record_failed(self, index: int, total: int, path: Path, error: Exception) -> None:
        self._show_final(f"[{index}/{total}] {path.name}: error: {error}")


if __name__ == "__main__":
    sys.exit(main())
