"""Agreement of a second, independent theme labelling with the gold themes: Cohen's kappa overall
and per theme (each theme as a yes/no decision), as a Markdown table for models/MODEL_CARD.md.
Usage: python corpora/tools/agreement.py [corpora/second_labels.jsonl] [corpora/gold]
The second labels are lines {"file", "heading", "theme", "theme2"}; they are matched to gold sections
by file and heading (the same folding `nlp-reports evaluate` uses)."""
import collections
import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from nlp_reports.evaluate import _fold, read_gold  # noqa: E402


def kappa(a, b):
    """Cohen's kappa of two equally long label lists (None when chance agreement is total).

    >>> kappa(["x", "y", "x", "y"], ["x", "y", "x", "y"])
    1.0
    >>> round(kappa(["x", "x", "y", "y"], ["x", "y", "x", "y"]), 3)
    0.0
    """
    n = len(a)
    observed = sum(x == y for x, y in zip(a, b)) / n
    ca, cb = collections.Counter(a), collections.Counter(b)
    expected = sum(ca[k] * cb[k] for k in ca) / (n * n)
    return None if expected == 1 else (observed - expected) / (1 - expected)


def pairs(second_path, gold_path):
    """([(gold section, second label row)], [second label rows that match no gold section])."""
    gold = {}
    for rec in read_gold(gold_path):
        for s in rec["sections"]:
            if s.get("theme"):
                gold.setdefault((rec["file"], _fold(s["heading"])), s)
    out, unmatched = [], []
    for line in pathlib.Path(second_path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            g = gold.get((row["file"], _fold(row["heading"])))
            (out.append((g, row)) if g else unmatched.append(row))
    return out, unmatched


def report(second_path=ROOT / "corpora" / "second_labels.jsonl", gold_path=ROOT / "corpora" / "gold"):
    both, unmatched = pairs(second_path, gold_path)
    matched = [(g["theme"], s["theme"]) for g, s in both]
    g, s = [p[0] for p in matched], [p[1] for p in matched]
    agree = sum(x == y for x, y in matched) / len(matched)
    either = sum(gs["theme"] in (ss["theme"], ss.get("theme2")) or ss["theme"] == gs.get("theme2") for gs, ss in both)
    lines = [f"{len(matched)} sections labelled twice ({len(unmatched)} second labels matched no gold section); "
             f"raw agreement {agree:.3f}, Cohen's kappa {kappa(g, s):.3f}; one coder's theme is the other's "
             f"theme or second-best theme in {either} ({either / len(matched):.3f})", "",
             "| theme | gold | second | both | kappa (yes/no) |", "| --- | --- | --- | --- | --- |"]
    for theme in sorted(set(g) | set(s)):
        k = kappa([x == theme for x in g], [y == theme for y in s])
        lines.append(f"| {theme} | {g.count(theme)} | {s.count(theme)} | "
                     f"{sum(x == y == theme for x, y in matched)} | {'-' if k is None else f'{k:.2f}'} |")
    confusions = collections.Counter((x, y) for x, y in matched if x != y)
    lines += ["", "Most frequent disagreements (gold → second): " +
              "; ".join(f"{x} → {y} ({n})" for (x, y), n in confusions.most_common(8))]
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(*sys.argv[1:]))
