"""`nlp-reports evaluate`: accuracy against gold annotations."""
from __future__ import annotations

import json
import sys

import click

from ..errors import ReportError
from .classify import classifier_for, model_option
from .common import fail


def _fmt(x):
    return "-" if x is None else f"{x:.3f}"


@click.command()
@click.argument("gold", type=click.Path())
@click.option("--split", type=click.Choice(["train", "dev", "test"]), help="Only the reports of this split.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--min-f1", type=float, help="Exit 1 if indicator F1 is below this (for CI).")
@click.option("--misses", default=15, show_default=True, help="How many of the worst misses to list.")
@model_option
def evaluate(gold, split, fmt, min_f1, misses, model, no_classify):
    """Measure extraction accuracy against gold annotations (see corpora/ANNOTATION.md).

    \b
    Example:
        nlp-reports evaluate corpora/gold --split dev
        nlp-reports evaluate corpora/gold --split test --format json --min-f1 0.9
    """
    from .. import evaluate as ev_mod
    from ..render import table

    from functools import partial

    from ..analyse import analyse_file

    classifier = classifier_for(model, no_classify)
    try:
        ev = ev_mod.run(gold, split, partial(analyse_file, classifier=classifier))
    except ReportError as exc:
        fail(exc)
        sys.exit(exc.exit_code)
    data = ev.as_dict()
    if fmt == "json":
        data["worst_misses"] = [{"file": f, "kind": k, "text": t} for f, k, t in ev_mod.worst(ev, misses)]
        data["spurious_numbers"]["examples"] = [{"file": f, "class": c, "text": t} for f, c, t in ev.spurious_found[:misses]]
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        rows = []
        for key, label in (("indicators", "indicators (value+unit+name)"), ("indicator_values_only", "indicators (value only)"),
                           ("zeros", "zeros"), ("problems", "problems"), ("measures", "measures"), ("sections", "sections")):
            t = data[key]
            rows.append([label, _fmt(t["precision"]), _fmt(t["recall"]), _fmt(t["f1"]), t["tp"], t["fp"], t["fn"]])
        click.echo(f"{data['reports']} reports" + (f" (split {split})" if split else ""))
        click.echo(table(["measure", "precision", "recall", "F1", "tp", "fp", "fn"], rows, max_width=32))
        click.echo("")
        acc = [["qualifier", _fmt(data["qualifier_accuracy"])], ["scope", _fmt(data["scope_accuracy"])],
               ["kind", _fmt(data["kind_accuracy"])], ["name (of value matches)", _fmt(data["name_accuracy"])],
               ["canonical precision", _fmt(data["canonical_precision"])],
               ["canonical coverage", _fmt(data["canonical_coverage"])], ["section role", _fmt(data["role_accuracy"])],
               ["theme macro-F1", _fmt(data["theme_macro_f1"])]]
        acc += [[f"meta.{k}", _fmt(v)] for k, v in data["meta_accuracy"].items()]
        click.echo(table(["accuracy", "value"], acc, max_width=32))
        spurious = data["spurious_numbers"]
        click.echo(f"\nspurious numbers (false indicators outside every gold evidence): {spurious['total']}, "
                   f"{_fmt(spurious['per_10_reports'])} per 10 reports")
        click.echo(table(["class", "count"], [[c, n] for c, n in spurious["by_class"].items()], max_width=32))
        worst = ev_mod.worst(ev, misses)
        if worst:
            click.echo("\nWorst misses (file, missed gold / false prediction, evidence):")
            for f, kind, text in worst:
                click.echo(f"  {f}  {kind:6}  {text}")
    f1 = data["indicators"]["f1"]
    if min_f1 is not None and (f1 is None or f1 < min_f1):
        fail(ReportError(f"indicator F1 {_fmt(f1)} is below --min-f1 {min_f1}"))
        sys.exit(1)


COMMANDS = [evaluate]
