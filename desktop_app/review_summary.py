"""`liquid-ecg review-summary RECORD.hea`: print the agreement tables of a saved review, without Qt."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from model.records import RecordError, load_record
from model.review import DEFAULT_REVIEW_ANNOTATOR, Review, ReviewError, ReviewStore, format_summary

logger = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILED = 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="liquid-ecg review-summary",
        description=(
            "Print the agreement between model, reference and reviewer labels from the review saved "
            "for a record: beside the record, or in the per-user folder when the record's folder is read-only. "
            "Exits with 1 when there is no saved review."
        ),
    )
    parser.add_argument("record", metavar="RECORD", help="a WFDB record's .hea file (or the record path without extension)")
    parser.add_argument(
        "--annotator",
        default=DEFAULT_REVIEW_ANNOTATOR,
        metavar="EXT",
        help=f"annotator extension of the saved verdicts (default: {DEFAULT_REVIEW_ANNOTATOR})",
    )
    parser.add_argument(
        "--reference",
        default="atr",
        metavar="EXT",
        help="annotator extension of the reference beat annotations (default: atr)",
    )
    return parser


def review_summary_main(arguments: Sequence[str]) -> int:
    options = build_parser().parse_args(arguments)
    try:
        record = load_record(options.record, annotator=options.reference)
        store = ReviewStore(record.header_path, options.annotator)
    except (RecordError, ValueError) as error:
        print(f"liquid-ecg review-summary: {error}", file=sys.stderr)
        return EXIT_FAILED

    if not store.exists():
        print(
            f"liquid-ecg review-summary: no saved review of {record.header_path} "
            f"(looked for {store.review_path} and {store.annotation_path}).",
            file=sys.stderr,
        )
        return EXIT_FAILED

    review = Review(record)
    try:
        store.load_into(review)
    except ReviewError as error:
        print(f"liquid-ecg review-summary: {error}", file=sys.stderr)
        return EXIT_FAILED
    sys.stdout.write(f"Review saved in {store.folder}\n")
    sys.stdout.write(format_summary(review))
    return EXIT_OK
