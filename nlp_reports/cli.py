"""The `nlp-reports` command: parse options, call the library, format. Nothing else."""
from __future__ import annotations

import sys

import click

from . import __version__
from .errors import ReportError


def fail(exc: ReportError) -> None:
    """One line on stderr naming the file and the reason."""
    click.echo(f"nlp-reports: error: {exc}", err=True)


class Output:
    """Writes to stdout or, with -o, to a file replaced atomically at the end."""

    def __init__(self, path):
        self.path, self.parts = path, []

    def write(self, text: str) -> None:
        if self.path:
            self.parts.append(text)
        else:
            click.echo(text)

    def close(self) -> None:
        if self.path:
            from .atomic import write_text_atomic

            write_text_atomic(self.path, "\n".join(self.parts) + "\n")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="nlp-reports")
def main():
    """Turn Chinese local-government self-inspection and annual work reports into data."""


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["table", "json", "jsonl", "csv"]), default="table",
              show_default=True, help="table for people; json (one document), jsonl (a line per file), csv (a row per indicator).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to FILE instead of the terminal.")
@click.option("--place", help="Override the place read from the text.")
@click.option("--year", type=int, help="Override the year read from the text.")
@click.option("--no-text", is_flag=True, help="Leave the normalised text out of JSON output.")
def extract(paths, fmt, output, place, year, no_text):
    """Extract metadata, sections, indicators, problems and measures from report files.

    \b
    Example:
        nlp-reports extract report.txt
        nlp-reports extract --format json -o report.json report.docx
        nlp-reports extract --format csv reports/*.txt > indicators.csv
    """
    from .analyse import analyse_file
    from . import render

    out, failed, reports = Output(output), 0, []
    for n, path in enumerate(paths):
        try:
            report = analyse_file(path, place=place, year=year)
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
    try:
        out.close()
    except ReportError as exc:
        fail(exc)
        sys.exit(exc.exit_code)
    sys.exit(failed)
