"""Counts of the corpus by type, place, level, year and split, as Markdown tables.
Usage: python corpora/tools/stats.py [corpora/gold]  (prints; corpora/README.md quotes it)"""
import collections
import json
import pathlib
import sys

CORPORA = pathlib.Path(__file__).resolve().parents[1]


def records(path):
    """Gold records from a JSONL file or a folder of them."""
    path = pathlib.Path(path)
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    return [json.loads(line) for f in files for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]


def three_year_places(recs):
    """Places with reports of one type for 3 consecutive years."""
    years = collections.defaultdict(set)
    for r in recs:
        if r["meta"]["year"]:
            years[(r["meta"]["place"], r["meta"]["report_type"])].add(r["meta"]["year"])
    return sorted({p for (p, _), ys in years.items() if any({y, y + 1, y + 2} <= ys for y in ys)})


def table(title, counter):
    rows = [f"| {k} | {v} |" for k, v in sorted(counter.items(), key=lambda kv: (-kv[1], str(kv[0])))]
    return "\n".join([f"| {title} | reports |", "| --- | --- |", *rows])


def main(path=CORPORA / "gold"):
    recs = records(path)
    fmt = collections.Counter(pathlib.Path(r["file"]).suffix for r in recs)
    chars = [len((CORPORA / r["file"]).read_bytes()) for r in recs]
    out = [f"{len(recs)} reports, {len({r['meta']['place'] for r in recs})} places, "
           f"{len({r['meta']['report_type'] for r in recs})} report types, "
           f"{sum(len(r['indicators']) for r in recs)} gold indicators, "
           f"{sum(len(r['sections']) for r in recs)} gold sections.",
           f"Places with 3 consecutive years of one type: {', '.join(three_year_places(recs))}.",
           f"File formats: {dict(fmt)}.", "",
           table("split", collections.Counter(r["split"] for r in recs)), "",
           table("report type", collections.Counter(r["meta"]["report_type"] for r in recs)), "",
           table("place level", collections.Counter(r["meta"]["place_level"] for r in recs)), "",
           table("year", collections.Counter(str(r["meta"]["year"]) for r in recs)), "",
           table("place", collections.Counter(r["meta"]["place"] for r in recs))]
    print("\n".join(out))


if __name__ == "__main__":
    main(*sys.argv[1:])
