"""`nlp-reports extract`: one report (or several) → metadata, sections, indicators, items."""
from __future__ import annotations

import sys

import click

from ..errors import ReportError
from .classify import classifier_for, model_option
from .common import Output, fail, finish


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(readable=False))  # the loader says why
@click.option("--format", "fmt", type=click.Choice(["table", "json", "jsonl", "csv"]), default="table",
              show_default=True, help="table for people; json (one document), jsonl (a line per file), csv (a row per indicator).")
@click.option("-o", "--output", type=click.Path(), help="Write to FILE instead of the terminal.")
@click.option("--place", help="Override the place read from the text.")
@click.option("--year", type=int, help="Override the year read from the text.")
@click.option("--no-text", is_flag=True, help="Leave the normalised text out of JSON output.")
@model_option
def extract(paths, fmt, output, place, year, no_text, model, no_classify):
    """Extract metadata, sections, indicators, problems and measures from report files.

    \b
    Example:
        nlp-reports extract report.txt
        nlp-reports extract --format json -o report.json report.docx
        nlp-reports extract --format csv reports/*.txt > indicators.csv
    """
    from ..analyse import analyse_file
    from .. import render

    classifier = classifier_for(model, no_classify)
    out, failed, reports = Output(output), 0, []
    for n, path in enumerate(paths):
        try:
            report = analyse_file(path, place=place, year=year, classifier=classifier)
        except ReportError as exc:
            fail(exc)
            failed = max(failed, exc.exit_code)
            continue
        if fmt == "table":
            out.write(("\n" if reports else "") + render.as_text(report))
        elif fmt == "jsonl":
            out.write(render.as_jsonl(report, not no_text))
        elif fmt == "csv":
            out.write(render.csv_text(render.csv_rows(report), render.CSV_FIELDS, header=not reports).rstrip("\n"))
        reports.append(report)
    if fmt == "json" and reports:
        import json

        docs = [r.to_dict(not no_text) for r in reports]
        out.write(json.dumps(docs[0] if len(paths) == 1 else docs, ensure_ascii=False, indent=2))
    finish(out, failed)


COMMANDS = [extract]
