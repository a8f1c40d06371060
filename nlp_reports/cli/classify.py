"""`nlp-reports classify | train`: section themes with a model, and training a model."""
from __future__ import annotations

import json
import sys

import click

from ..errors import ReportError
from .common import Output, fail, finish

SECTION_FIELDS = ["path", "id", "level", "role", "theme", "confidence", "second", "heading"]


def model_option(command):
    """--model and --no-classify, shared by every command that classifies sections."""
    command = click.option("--no-classify", is_flag=True, help="Leave section themes empty (no model is loaded).")(command)
    return click.option("--model", type=click.Path(), metavar="PATH",
                        help="Theme model folder (from `nlp-reports train`) [default: models/default].")(command)


def _warn_no_model() -> None:
    click.echo("nlp-reports: warning: no default theme model found (models/default); sections are left "
               "unclassified", err=True)


def model_path_for(model, no_classify=False) -> str | None:
    """The model folder for the options, not loaded (the command loads and checks it): None with
    --no-classify, or (with the same warning as classifier_for) when none is given or installed."""
    if no_classify:
        return None
    from ..classify.model import default_model_path

    path = model or default_model_path()
    if path is None:
        _warn_no_model()
    return str(path) if path is not None else None


def classifier_for(model, no_classify=False):
    """The loaded model for the options: None with --no-classify, or (with a one-line warning)
    when no model is given and none is installed. A broken model ends the command with its error."""
    if no_classify:
        return None
    from ..classify.model import get_model

    try:
        loaded = get_model(model)
    except ReportError as exc:
        fail(exc)
        sys.exit(exc.exit_code)
    if loaded is None:
        _warn_no_model()
    return loaded


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(readable=False))  # the loader says why
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to FILE instead of the terminal.")
@click.option("--model", type=click.Path(), metavar="PATH",
              help="Theme model folder (from `nlp-reports train`) [default: models/default].")
def classify(paths, fmt, output, model):
    """Tag each section of the reports with a theme from the codebook.

    Prints each section's heading, role, theme and confidence; below the model's confidence
    threshold the theme is `other` and the best guess is shown as `second`.

    \b
    Example:
        nlp-reports classify report.txt
        nlp-reports classify --format csv reports/*.txt > themes.csv
        nlp-reports classify --model models/mine --format json report.docx
    """
    from ..analyse import analyse_file
    from ..render import csv_text, table

    loaded = classifier_for(model)
    if loaded is None:
        sys.exit(3)
    out, failed, rows = Output(output), 0, []
    for path in paths:
        try:
            report = analyse_file(path, classifier=loaded)
        except ReportError as exc:
            fail(exc)
            failed = max(failed, exc.exit_code)
            continue
        rows += [{"path": path, "id": s.id, "level": s.level, "role": s.role, "theme": s.theme,
                  "confidence": s.theme_confidence, "second": s.theme_second, "heading": s.heading}
                 for s in report.sections]
    if fmt == "json":
        out.write(json.dumps(rows, ensure_ascii=False, indent=2))
    elif fmt == "csv":
        out.write(csv_text(rows, SECTION_FIELDS).rstrip("\n"))
    elif rows:
        out.write(table(["path", "#", "role", "theme", "conf", "second", "heading"],
                        [[r["path"], r["id"], r["role"], r["theme"], f"{r['confidence']:.2f}", r["second"] or "-",
                          "  " * (r["level"] - 1) + r["heading"]] for r in rows], max_width=40))
    finish(out, failed)


@click.command()
@click.argument("data", type=click.Path())
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Folder to write the model and its card to.")
@click.option("--folds", default=5, show_default=True, type=click.IntRange(min=2), help="Cross-validation folds.")
def train(data, out, folds):
    """Train a theme model on your own labelled sections and write it with its model card.

    DATA is a CSV (header text,label[,group]) or JSONL ({"text", "label", "group"}) file; a text's
    first line is taken as its heading. Folds are grouped by `group` (e.g. the place), so the
    cross-validated figures say how the model does on places it has not seen.

    \b
    Example:
        nlp-reports train my_sections.csv --out models/mine
        nlp-reports classify --model models/mine report.txt
    """
    from ..classify import card, train as tr

    try:
        rows = tr.read_table(data)
        model, summary = tr.train(rows, folds=folds)
        model.manifest["training"]["data"] = str(data)
        folder = model.save(out)
    except ReportError as exc:
        fail(exc)
        sys.exit(exc.exit_code)
    best = summary["best"]
    click.echo(card.comparison_table(summary))
    click.echo("")
    click.echo(f"chosen: {best['config']['name']}; grouped-CV macro-F1 {best['macro_f1']:.3f}; "
               f"confidence threshold {summary['threshold']}")
    click.echo(card.per_class_table(best["scores"]))
    (folder / "MODEL_CARD.md").write_text(card.model_card(model, summary, str(data)), encoding="utf-8")
    click.echo(f"\nwrote {folder}/model.json, arrays.npz and MODEL_CARD.md")


COMMANDS = [classify, train]
