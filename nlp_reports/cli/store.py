"""`nlp-reports batch | score | compare | export`: many reports into the store, and tables out."""
from __future__ import annotations

import sys
import time

import click

from ..errors import ReportError
from .classify import model_option, model_path_for
from .common import fail

_MAX_LISTED_FAILURES = 20


def db_option(required=True):
    return click.option("--db", required=required, type=click.Path(dir_okay=False),
                        help="The store: one SQLite file (created by batch).")


def _exit_on(exc: ReportError):
    fail(exc)
    sys.exit(exc.exit_code)


class Progress:
    """done/total, failures and ETA on one self-rewriting stderr line, at most 10 times a second."""

    def __init__(self, enabled: bool):
        self.enabled, self.start, self.last = enabled, time.monotonic(), 0.0

    def __call__(self, s) -> None:
        now = time.monotonic()
        done = s.processed + s.skipped + s.failed
        if not self.enabled or (now - self.last < 0.1 and done < s.total):
            return
        self.last = now
        rate = s.processed / (now - self.start) if s.processed else 0
        left = s.total - done
        eta = _clock(left / rate) if rate and left else "--:--"
        width = 30
        filled = int(width * done / s.total) if s.total else width
        click.echo(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{s.total}  failed {s.failed}  ETA {eta} ",
                   err=True, nl=False)

    def close(self):
        if self.enabled:
            click.echo("", err=True)


def _clock(seconds: float) -> str:
    m, s = divmod(int(seconds + 0.5), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(readable=False))  # a worker records why
@db_option()
@click.option("--workers", type=click.IntRange(min=1), help="Worker processes [default: all cores].")
@click.option("--executor", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="local: a process pool here; dask: an existing Dask cluster (--scheduler).")
@click.option("--scheduler", metavar="tcp://HOST:PORT", help="The Dask scheduler's address (with --executor dask).")
@click.option("--manifest", type=click.Path(dir_okay=False),
              help="CSV with path, place, year, report_type (and province, city, county, any others) per file.")
@click.option("--force", is_flag=True, help="Re-extract files whose content is stored already.")
@click.option("--rubric", type=click.Path(dir_okay=False), help="Score with this rubric instead of the packaged one.")
@click.option("--wait", is_flag=True, help="If another batch is writing to the store, wait for it instead of stopping.")
@click.option("--progress/--no-progress", default=None, help="Show the progress bar [default: on a terminal].")
@model_option
def batch(paths, db, workers, executor, scheduler, manifest, force, rubric, wait, progress, model, no_classify):
    """Extract many reports (files, folders, globs; .txt and .docx) into the store DB.

    Resumable: files whose content is stored are skipped, so a rerun after a crash or Ctrl-C
    finishes the work. A file that cannot be read is recorded in the failures table and the batch
    goes on; the exit code is 1 if any failed.

    \b
    Example:
        nlp-reports batch reports/ --db reports.db
        nlp-reports batch 'scraped/**/*.docx' --db reports.db --manifest meta.csv --workers 4
        nlp-reports batch reports/ --db reports.db --executor dask --scheduler tcp://10.0.0.5:8786
    """
    from ..batch import describe_ignored, run_batch

    if executor == "dask" and not scheduler:
        raise click.UsageError("--executor dask needs --scheduler tcp://HOST:PORT")
    if not paths and not manifest:
        raise click.UsageError("give PATHS or a --manifest listing the files")
    model = model_path_for(model, no_classify)  # loaded and checked by run_batch, once, while the workers start
    bar = Progress(sys.stderr.isatty() if progress is None else progress)
    try:
        s = run_batch(db, paths, workers=workers, executor=executor, scheduler=scheduler, manifest=manifest,
                      force=force, rubric=rubric, wait=wait, progress=bar, command=" ".join(sys.argv[1:]) or "batch",
                      model=model)
    except ReportError as exc:
        bar.close()
        _exit_on(exc)
    except KeyboardInterrupt:
        bar.close()
        click.echo("nlp-reports: interrupted; every report stored so far is complete: run the same command "
                   "again to finish", err=True)
        sys.exit(130)
    bar.close()
    rate = f" ({s.processed / s.seconds:.1f} reports/s)" if s.processed and s.seconds else ""
    updated = f"; manifest metadata updated for {s.updated} stored reports" if s.updated else ""
    click.echo(f"processed {s.processed}, skipped {s.skipped} (unchanged), failed {s.failed}, "
               f"{s.seconds:.1f} s{rate}{updated}")
    for path, error in s.failures[:_MAX_LISTED_FAILURES]:
        click.echo(f"failed: {error}", err=True)
    if len(s.failures) > _MAX_LISTED_FAILURES:
        click.echo(f"… and {len(s.failures) - _MAX_LISTED_FAILURES} more: see the failures table", err=True)
    if s.ignored:
        click.echo(f"ignored {describe_ignored(s.ignored)} in the folders: only .txt and .docx are read "
                   "(save .doc, .wps or .pdf reports as .docx or .txt to include them)", err=True)
    sys.exit(1 if s.failed else 0)


@click.command()
@db_option()
@click.option("--rubric", type=click.Path(dir_okay=False), help="A rubric file (see nlp_reports/data/rubric.yaml).")
@click.option("--reuse", is_flag=True, help="Also recompute text reuse from scratch (slower).")
def score(db, rubric, reuse):
    """Recompute every report's scores in DB, after a rubric change.

    \b
    Example:
        nlp-reports score --db reports.db
        nlp-reports score --db reports.db --rubric my_rubric.yaml --reuse
    """
    from ..scoring import load_rubric, recompute_reuse, rescore
    from ..store import Store, exclusive

    try:
        rules = load_rubric(rubric)
        with exclusive(db), Store(db, create=False) as store:
            store.recover_keys()
            if reuse or store.state("reuse_rebuild"):  # asked, or the store predates schema 2
                recompute_reuse(store)
            n = rescore(store, rules)
    except ReportError as exc:
        _exit_on(exc)
    click.echo(f"scored {n} reports with rubric {rules['name']}")


@click.command()
@db_option()
@click.option("--indicator", "indicators", multiple=True, metavar="KEY",
              help="Canonical key, or name for indicators without one (repeatable) [default: the most widespread, "
                   "canonical keys first].")
@click.option("--place", help="Only this place (its name or key).")
@click.option("--report-type", help="Only reports of this type.")
@click.option("--years", metavar="FROM-TO", help="Only these years, e.g. 2021-2023.")
@click.option("--by", type=click.Choice(["place", "year"]), default="place", show_default=True,
              help="Rows per place (columns are years) or per year (columns are places).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.option("--plot", type=click.Path(dir_okay=False), help="Also draw the indicators over the years to this PNG.")
def compare(db, indicators, place, report_type, years, by, fmt, plot):
    """Compare indicators across places and years, with year-over-year change.

    Missing values are shown as missing (— in the table, empty in CSV, null in JSON), never as 0.

    \b
    Example:
        nlp-reports compare --db reports.db
        nlp-reports compare --db reports.db --indicator disputes_handled --years 2021-2023 --plot disputes.png
        nlp-reports compare --db reports.db --by year --format csv > compare.csv
    """
    from .. import compare as cmp_mod
    from ..store import Store

    try:
        span = cmp_mod.parse_years(years)
        with Store(db, create=False) as store:
            result = cmp_mod.compare(store, indicators, place, report_type, span)
        warnings = list(result.warnings)
        if plot:
            from ..plot import plot as draw

            warnings += draw(result, plot)
    except ReportError as exc:
        _exit_on(exc)
    for w in warnings:
        click.echo(f"nlp-reports: warning: {w}", err=True)
    click.echo(_render_comparison(result, by, fmt))


def _render_comparison(result, by, fmt) -> str:
    from .. import compare as cmp_mod
    from .. import render

    if fmt == "json":
        import json

        return json.dumps(result.to_dict(), ensure_ascii=False, indent=2)
    if fmt == "csv":
        return render.csv_text(result.rows, cmp_mod.FIELDS).rstrip("\n")
    if result.rows:
        header, rows = cmp_mod.pivot(result, by)
        lines = [render.table(header, [[_cell(c) if isinstance(c, dict) or c is None else c for c in row]
                                       for row in rows], max_width=34),
                 "", "cells: value unit (change on the year before, %); — = not reported"]
    else:
        lines = ["no indicator values match (check --indicator, --place, --years)"]
    if result.themes:
        lines += ["", "Theme shares (of the text under headings; work = without problems and next steps)",
                  render.table(["place", "year", "report", "theme", "share", "work"],
                               [[t["place_key"] or "—", t["year"] or "—", t["report_id"], t["theme"], _pct(t["share"]),
                                 _pct(t["work_share"])] for t in result.themes])]
    else:
        lines += ["", "theme shares: no section has a theme yet"]
    return "\n".join(lines)


def _pct(share) -> str:
    return "—" if share is None else f"{100 * share:.1f}%"


def _cell(c) -> str:
    from ..render import number

    if c is None:
        return "—"
    text = f"{number(c['value'])}{c['unit'] or ''}"
    if c["change"] is not None:
        sign = "+" if c["change"] >= 0 else "-"
        pct = f", {c['change_pct']:+.1f}%" if c["change_pct"] is not None else ""
        text += f" ({sign}{number(abs(c['change']))}{pct})"
    return text


@click.command()
@db_option()
@click.option("--table", type=click.Choice(["reports", "sections", "indicators", "problems", "measures", "scores",
                                           "failures"]), required=True,
              help="failures: the files that could not be stored, with the reason.")
@click.option("--out", required=True, type=click.Path(),  # a folder: the writer says so, exit 4
              help="FILE.csv (UTF-8 with BOM), .xlsx, .parquet or .jsonl; replaced atomically.")
def export(db, table, out):
    """Export a table of DB to a file; every row carries its report's id, path, place, year and type.

    \b
    Example:
        nlp-reports export --db reports.db --table indicators --out indicators.xlsx
        nlp-reports export --db reports.db --table scores --out scores.parquet
    """
    from ..export import export as do_export, format_of
    from ..store import Store

    try:
        format_of(out)
        with Store(db, create=False) as store:
            n = do_export(store, table, out)
    except ReportError as exc:
        _exit_on(exc)
    click.echo(f"wrote {n} rows to {out}", err=True)


COMMANDS = [batch, score, compare, export]
