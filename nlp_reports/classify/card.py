"""The model card of a trained theme model, in Markdown: data, date, version, the grouped-CV
comparison, per-class precision/recall/F1, confusion matrices and the weaknesses the figures show."""
from __future__ import annotations

from collections import Counter

from .model import OTHER, ThemeModel
from .train import scores

# Below these, a theme's figures say little (see `weaknesses`).
FEW_EXAMPLES = 15
WEAK_F1 = 0.75


def confusion(gold, pred, labels) -> list[list[int]]:
    index = {lab: i for i, lab in enumerate(labels)}
    m = [[0] * len(labels) for _ in labels]
    for g, p in zip(gold, pred):
        if g in index and p in index:
            m[index[g]][index[p]] += 1
    return m


def per_class_table(s: dict) -> str:
    lines = ["| theme | precision | recall | F1 | support |", "| --- | --- | --- | --- | --- |"]
    for lab, v in s["per_class"].items():
        if v["support"] or v["precision"]:
            lines.append(f"| {lab} | {v['precision']:.2f} | {v['recall']:.2f} | {v['f1']:.2f} | {v['support']} |")
    lines.append(f"| **macro** | | | **{s['macro_f1']:.3f}** | {sum(v['support'] for v in s['per_class'].values())} |")
    return "\n".join(lines)


def confusion_table(gold, pred, labels) -> str:
    """Rows gold, columns predicted; columns are numbered (their theme is the row of that number)."""
    lines = ["| gold \\ predicted | " + " | ".join(str(i + 1) for i in range(len(labels))) + " |",
             "| --- |" + " --- |" * len(labels)]
    for i, (lab, row) in enumerate(zip(labels, confusion(gold, pred, labels)), 1):
        lines.append(f"| {i} {lab} | " + " | ".join(str(x) if x else "·" for x in row) + " |")
    return "\n".join(lines)


def comparison_table(summary: dict) -> str:
    lines = ["| configuration | grouped-CV macro-F1 | accuracy | threshold |", "| --- | --- | --- | --- |"]
    for c in summary["comparison"]:
        mark = " **(chosen)**" if c is summary["best"] else ""
        lines.append(f"| {c['config']['name']}{mark} | {c['macro_f1']:.3f} | {c['accuracy']:.3f} | {c['threshold']} |")
    return "\n".join(lines)


def weaknesses(summary: dict) -> list[str]:
    """What the training data and the out-of-fold figures say to distrust."""
    labels, groups = summary["labels"], summary["groups"]
    per = summary["best"]["scores"]["per_class"]
    counts = Counter(labels)
    places = {lab: len({g for g, l in zip(groups, labels) if l == lab}) for lab in counts}
    out = []
    few = [f"`{lab}` ({n})" for lab, n in sorted(counts.items()) if n < FEW_EXAMPLES]
    if few:
        out.append(f"Few examples (under {FEW_EXAMPLES}): {', '.join(few)}; their F1 moves a lot with each example.")
    lone = [f"`{lab}`" for lab, n in sorted(places.items()) if n == 1]
    if lone:
        out.append(f"Only one group has {', '.join(lone)}: grouped CV never tests it on an unseen group "
                   "(with codebook rows a fold still learns it from its codebook entry).")
    weak = [f"`{lab}` ({v['f1']:.2f})" for lab, v in sorted(per.items()) if v["support"] and v["f1"] < WEAK_F1]
    if weak:
        out.append(f"Out-of-fold F1 below {WEAK_F1}: {', '.join(weak)}.")
    gold, pred = labels, summary["best"]["predicted"]
    mixups = Counter((g, p) for g, p in zip(gold, pred) if g != p).most_common(3)
    if mixups:
        out.append("Most frequent confusions (gold → predicted): "
                   + "; ".join(f"{g} → {p} ({n})" for (g, p), n in mixups) + ".")
    return out


def model_card(model: ThemeModel, summary: dict, data_name: str, evaluations=()) -> str:
    """Markdown card: data, date, version, the CV comparison, per-class figures and confusion
    matrix of the chosen configuration and of each (name, gold, pred) evaluation, weaknesses."""
    info = model.manifest["training"]
    best = summary["best"]
    out = [f"# Theme model card: {data_name}", "",
           f"- Trained: {info['date']} with nlp-reports {info['package_version']}",
           f"- Data: {info['rows']} sections from {info['groups']} groups; labels: "
           + ", ".join(f"{k} {v}" for k, v in sorted(info["label_counts"].items())),
           f"- Codebook rows added to training: {info.get('codebook_rows', 0)}",
           f"- Model: tf-idf ({info['config']}; min_df {info['min_df']}, sublinear tf, each kind of term "
           f"l2-normalised on its own) → multinomial logistic regression (C {info['C']}, class weight "
           f"{info['class_weight']}); softmax probabilities",
           f"- Confidence threshold: {model.threshold} (chosen by out-of-fold macro-F1): a section whose best "
           "probability is lower is tagged `other`, its best guess kept in `theme_second`" if OTHER in model.labels
           else "- No `other` label: every section gets its best label",
           "", f"## Grouped cross-validation ({summary['folds']} folds, grouped by place)", "",
           comparison_table(summary), "", "### Per class, chosen configuration (out-of-fold)", "",
           per_class_table(best["scores"]), "", "Confusion matrix (out-of-fold):", "",
           confusion_table(summary["labels"], best["predicted"], sorted(set(summary["labels"]) | set(best["predicted"])))]
    for name, gold, pred in evaluations:
        labels = sorted(set(gold) | set(pred))
        out += ["", f"## {name}", "", per_class_table(scores(gold, pred, labels)), "", "Confusion matrix:", "",
                confusion_table(gold, pred, labels)]
    out += ["", "## Weaknesses the figures show", ""] + [f"- {w}" for w in weaknesses(summary)]
    return "\n".join(out) + "\n"
