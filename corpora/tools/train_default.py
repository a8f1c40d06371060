"""Train the default theme model on the corpus's train split and write models/default/ and
models/MODEL_CARD.md (grouped-CV comparison; per-class figures on dev and test; `evaluate`
figures; agreement of the second coder; models/CARD_NOTES.md, the hand-written part).
Usage: python corpora/tools/train_default.py [corpora/gold]   (takes a few minutes)
       python corpora/tools/train_default.py --card-only            (models/MODEL_CARD.md again)
The test split is only measured here, never used to choose anything."""
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from nlp_reports.classify import card as C  # noqa: E402
from nlp_reports.classify import train as T  # noqa: E402

MODELS = ROOT / "models"


def main(gold=ROOT / "corpora" / "gold"):
    rows, unmatched = T.gold_rows(gold, "train")
    print(f"train: {len(rows)} sections ({unmatched} gold sections matched no parsed section)", flush=True)
    model, summary = T.train(rows, progress=lambda c, s, t: print(f"  {c['name']}: CV macro-F1 {s['macro_f1']:.3f}",
                                                                   flush=True))
    model.manifest["training"]["data"] = "corpora/gold, split train (sections matched by heading)"
    out = model.save(MODELS / "default")
    evaluations = []
    for split in ("dev", "test"):
        srows, miss = T.gold_rows(gold, split)
        g, p = [r["label"] for r in srows], model.predict([r["parts"] for r in srows])
        evaluations.append((f"{split} split: {len(srows)} sections matched by heading ({miss} unmatched, left out)", g, p))
        print(f"{split}: macro-F1 {T.scores(g, p)['macro_f1']:.3f}", flush=True)
    text = C.model_card(model, summary, "the default model (models/default)", evaluations)
    (MODELS / "default" / "MODEL_CARD.md").write_text(text, encoding="utf-8")
    print(f"wrote {out}", flush=True)
    write_card(gold)


def write_card(gold=ROOT / "corpora" / "gold"):
    """models/MODEL_CARD.md: the training card plus `evaluate` figures, agreement and the notes."""
    from functools import partial

    from nlp_reports.analyse import analyse_file
    from nlp_reports.classify import load_model
    from nlp_reports.evaluate import run

    sys.path.insert(0, str(ROOT / "corpora" / "tools"))
    from agreement import report as agreement_report

    model = load_model(MODELS / "default")
    text = (MODELS / "default" / "MODEL_CARD.md").read_text(encoding="utf-8")
    figures = []
    for split in ("dev", "test"):
        ev = run(gold, split, partial(analyse_file, classifier=model))
        figures.append(f"| {split} | {ev.reports} | {len(ev.themes)} | {ev.theme_macro_f1():.3f} |")
        print(f"evaluate {split}: theme macro-F1 {ev.theme_macro_f1():.3f}", flush=True)
    extra = ["", "## `nlp-reports evaluate corpora/gold --split …` (sections matched by heading; unmatched = miss)", "",
             "| split | reports | gold sections | theme macro-F1 |", "| --- | --- | --- | --- |", *figures,
             "", "## Agreement of two coders (Cohen's kappa)", "",
             "Against the gold as it is now, that is after adjudication; the independent figures from before it, "
             "and how the second labels were made, are in the notes below (`corpora/second_labels.jsonl`; "
             "`python corpora/tools/agreement.py`). Per theme, kappa treats the theme as a yes/no decision.", "",
             agreement_report(ROOT / "corpora" / "second_labels.jsonl", gold)]
    notes = (MODELS / "CARD_NOTES.md").read_text(encoding="utf-8")
    (MODELS / "MODEL_CARD.md").write_text(text.rstrip("\n") + "\n" + "\n".join(extra) + "\n\n" + notes, encoding="utf-8")
    print("wrote models/MODEL_CARD.md", flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--card-only"]:
        write_card(*sys.argv[2:])
    else:
        main(*sys.argv[1:])
