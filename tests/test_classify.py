"""Theme models: training through the CLI, numpy-only applying (fast path = reference path =
scikit-learn), refusing broken model files, low confidence, the codebook's integrity and the
default model's answers on the seed report."""
import csv
import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner

from conftest import ROOT, SEED
from nlp_reports.cli import main
from nlp_reports.classify.model import ThemeModel, load_model
from nlp_reports.errors import ModelError

# A tiny codebook of three themes, two places per theme so that grouped CV has something to do.
TINY = [
    ("开展安全隐患排查\n检查企业隐患，整改安全隐患12处，开展消防演练。", "safety", "a"),
    ("安全生产检查\n排查隐患，督促企业整改，组织应急演练。", "safety", "b"),
    ("隐患整改\n对安全隐患挂牌督办，开展安全检查。", "safety", "c"),
    ("应急演练\n组织防汛应急演练，排查安全隐患。", "safety", "d"),
    ("普法宣传进村\n发放普法宣传资料，开展法治讲座。", "publicity", "a"),
    ("法治宣传教育\n利用赶集日开展普法宣传，发放宣传资料。", "publicity", "b"),
    ("宪法宣传周\n开展宪法宣传，举办法治讲座和普法活动。", "publicity", "c"),
    ("以案释法\n组织普法宣传，发放法治宣传资料。", "publicity", "d"),
    ("矛盾纠纷调解\n人民调解委员会调解纠纷，化解矛盾。", "disputes", "a"),
    ("信访工作\n接待群众来访，化解信访矛盾纠纷。", "disputes", "b"),
    ("纠纷排查化解\n排查矛盾纠纷，调解成功率高。", "disputes", "c"),
    ("调解组织建设\n配备调解员，开展矛盾纠纷调解。", "disputes", "d"),
]


def _write_csv(path, rows):
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["text", "label", "group"])
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny")
    result = CliRunner().invoke(main, ["train", str(_write_csv(folder / "tiny.csv", TINY)), "--out", str(folder / "model")])
    assert result.exit_code == 0, result.output
    assert "grouped-CV macro-F1" in result.output and "| safety |" in result.output
    return folder / "model"


def test_train_writes_a_model_and_card_that_reload_and_predict(tiny_model):
    assert sorted(p.name for p in tiny_model.iterdir()) == ["MODEL_CARD.md", "arrays.npz", "model.json"]
    model = load_model(tiny_model)
    assert model.labels == ["disputes", "publicity", "safety"]
    assert model.predict(["排查安全隐患\n开展安全检查和应急演练。", "送法下乡\n开展普法宣传。", "调解纠纷\n化解矛盾纠纷。"]) \
        == ["safety", "publicity", "disputes"]
    card = (tiny_model / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "Grouped cross-validation" in card and "(chosen)" in card and "Confusion matrix (out-of-fold)" in card
    # labels that are not codebook themes get no codebook rows
    assert "Codebook rows added to training: 0" in card


def test_train_refuses_data_with_one_label(tmp_path):
    data = _write_csv(tmp_path / "one.csv", [row[:2] + ("a",) for row in TINY[:4]])
    result = CliRunner().invoke(main, ["train", str(data), "--out", str(tmp_path / "m")])
    assert result.exit_code == 2
    assert result.output == f"nlp-reports: error: {data}: training data need at least two labels\n"


def test_numpy_scores_equal_scikit_learn():
    """The numpy tf-idf + softmax gives scikit-learn's probabilities for the same fitted model."""
    from nlp_reports.classify import train as tr
    from nlp_reports.classify.features import terms, text_parts

    rows = [{"parts": text_parts(t), "label": lab, "group": g} for t, lab, g in TINY]
    config = tr.CONFIGS[0]
    keywords = tr.codebook_keywords()
    term_lists = [terms(r["parts"], config["features"], keywords) for r in rows]
    vec, kinds, clf = tr._fit(term_lists, [r["label"] for r in rows], config)
    model = tr.to_model(vec, clf, config, 0.0, {}, keywords)
    texts = ["排查隐患\n开展演练。", "宣传\n普法讲座和调解。"]
    ours = model.predict_proba(texts)
    theirs = clf.predict_proba(tr.vectorize(vec, kinds, [terms(text_parts(t), config["features"], keywords) for t in texts]))
    assert ours == pytest.approx(theirs, abs=1e-9)


def test_a_configuration_within_the_cv_noise_of_the_best_keeps_the_earlier_one():
    from nlp_reports.classify.train import CV_TIE, choose

    first, second, third = ({"name": n, "macro_f1": f} for n, f in (("a", 0.831), ("b", 0.832), ("c", 0.70)))
    assert choose([first, second, third]) is first
    second["macro_f1"] = first["macro_f1"] + CV_TIE + 0.001
    assert choose([first, second, third]) is second


def _corpus_reports(limit=None):
    from nlp_reports.loading import load_file
    from nlp_reports.normalise import normalise
    from nlp_reports.structure import parse_sections

    files = sorted(p for p in (ROOT / "corpora" / "reports").iterdir() if p.suffix in (".txt", ".docx"))
    for path in files[:limit]:
        text = normalise(load_file(path).text)
        yield path.name, text, parse_sections(text)


@pytest.mark.parametrize("which", ["default", "tiny"])
def test_the_fast_path_equals_the_reference_path(which, tiny_model):
    """vectors.py (all sections of a report at once) gives the probabilities of features.terms."""
    from nlp_reports.classify import get_model
    from nlp_reports.classify.features import section_parts

    model = get_model() if which == "default" else load_model(tiny_model)
    assert model.vectorizer.supports
    for name, text, sections in _corpus_reports(None if which == "default" else 20):
        if sections:
            fast = model.section_proba(text, sections)
            reference = model.predict_proba(section_parts(text, sections))
            assert np.abs(fast - reference).max() < 1e-9, name


def test_the_bigram_table_gives_the_ids_the_search_gives(monkeypatch):
    import copy

    from nlp_reports.classify import get_model, vectors
    from nlp_reports.classify.features import HAN_RANGE

    vec = get_model().vectorizer
    assert vec.bigram_ids is not None
    texts = [text for _, text, _ in _corpus_reports(10)] + ["", "法", "依法治理\U00020000法治ABC法治\uffff法律援助"]
    for text in texts:
        codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.int64)
        han = (codes >= HAN_RANGE[0]) & (codes <= HAN_RANGE[1])
        assert (vec._bigrams(codes, han) == vec._lookup(codes, han, 2, None)).all()
    monkeypatch.setattr(vectors, "_TABLE_CHARS", 10)
    wide = copy.copy(vec)
    wide._bigram_table()
    assert wide.bigram_ids is None  # a model with more characters than that keeps the search
    codes = np.array([ord(c) for c in "法治宣传"], dtype=np.int64)
    han = np.ones(4, dtype=bool)
    assert (wide._bigrams(codes, han) == vec._bigrams(codes, han)).all()


def test_long_reports_are_scored_in_chunks_of_whole_rows_with_the_same_result():
    from nlp_reports.classify import get_model
    from nlp_reports.classify.vectors import row_scores, weigh
    from nlp_reports.normalise import normalise
    from nlp_reports.structure import parse_sections, title_span

    model = get_model()
    text = normalise(SEED.read_text(encoding="utf-8") * 3)
    sections = parse_sections(text)
    row, col, counts, shared = model.vectorizer.rows(text, sections, title_span(text))
    val = weigh(row, col, counts, model.idf_, model.vectorizer.kinds, True)
    n = int(shared.max()) + 1
    whole = row_scores(row, col, val, model._weights, n)
    assert row_scores(row, col, val, model._weights, n, chunk=7) == pytest.approx(whole, abs=1e-12)
    assert np.count_nonzero(whole.any(axis=1)) > len(sections)  # the shared rows have scores too


def test_keywords_are_counted_in_heading_body_and_sub_sections():
    from nlp_reports.classify.features import DEFAULT_FEATURES, section_parts, terms
    from nlp_reports.structure import parse_sections

    text = "镇2023年工作总结\n一、普法宣传\n开展普法讲座3场。\n（一）调解工作\n调解纠纷5起。"
    sections = parse_sections(text)
    parts = section_parts(text, sections)
    found = [t for t in terms(parts[0], DEFAULT_FEATURES, {"publicity": ["普法", "讲座"], "disputes": ["调解"]})
             if t.startswith("x")]
    assert sorted(found) == ["x:publicity", "x:publicity", "x:publicity", "xh:publicity", "xs:disputes", "xs:disputes"]


def _copy(src: pathlib.Path, dst: pathlib.Path) -> pathlib.Path:
    dst.mkdir()
    for f in src.iterdir():
        (dst / f.name).write_bytes(f.read_bytes())
    return dst


def _flip_byte(folder):
    path = folder / "arrays.npz"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def _truncate(folder):
    path = folder / "arrays.npz"
    path.write_bytes(path.read_bytes()[:200])


def _edit_manifest(**changes):
    def damage(folder):
        manifest = json.loads((folder / "model.json").read_text(encoding="utf-8"))
        for key, change in changes.items():
            manifest[key] = change(manifest[key])
        (folder / "model.json").write_text(json.dumps(manifest), encoding="utf-8")
    return damage


def _not_json(folder):
    (folder / "model.json").write_text("{not json", encoding="utf-8")


@pytest.mark.parametrize("damage, message", [
    (_flip_byte, "does not match the sha256"),
    (_truncate, "does not match the sha256"),
    (_edit_manifest(format_version=lambda v: 99), "format version 99 is not supported"),
    (_edit_manifest(vocabulary=lambda v: ["c:假"] + v[1:]), "model.json was changed"),
    (_edit_manifest(threshold=lambda t: 0.9), "model.json was changed"),
    (_not_json, "model.json is not valid JSON"),
], ids=["changed-byte", "truncated", "other-version", "changed-vocabulary", "changed-threshold", "not-json"])
def test_a_tampered_model_is_refused_with_one_line(tiny_model, tmp_path, damage, message):
    model = _copy(tiny_model, tmp_path / "model")
    damage(model)
    with pytest.raises(ModelError, match=message):
        load_model(model)
    result = CliRunner().invoke(main, ["classify", "--model", str(model), str(SEED)])
    assert result.exit_code == 3
    assert result.output.count("\n") == 1 and result.output.startswith("nlp-reports: error: ") and message in result.output


def test_a_folder_without_a_model_is_refused(tmp_path):
    with pytest.raises(ModelError, match="not a theme model folder"):
        load_model(tmp_path)


def test_low_confidence_is_other_with_the_best_guess_kept():
    manifest = {"labels": ["leadership", "other", "publicity"], "features": {"chars": [1, 1]}, "vocabulary": ["c:普"],
                "threshold": 0.5}
    model = ThemeModel(manifest, np.ones(1), np.zeros((3, 1)), np.log(np.array([0.45, 0.15, 0.40])))
    (theme, confidence, second), = model.decide(model.predict_proba(["无关\n内容"]))
    assert (theme, confidence, second) == ("other", 0.45, "leadership")
    model.threshold = 0.4
    assert model.decide(model.predict_proba(["无关\n内容"])) == [("leadership", 0.45, "publicity")]


def test_classify_lists_sections_with_theme_and_confidence(tiny_model):
    result = CliRunner().invoke(main, ["classify", "--model", str(tiny_model), "--format", "json", str(SEED)])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert len(rows) == 15 and {"heading", "role", "theme", "confidence", "second"} <= set(rows[0])
    assert all(r["theme"] in ("disputes", "publicity", "safety") and 0 < r["confidence"] <= 1 for r in rows)
    csv_out = CliRunner().invoke(main, ["classify", "--model", str(tiny_model), "--format", "csv", str(SEED)]).output
    assert csv_out.splitlines()[0] == "path,id,level,role,theme,confidence,second,heading"
    assert len(csv_out.splitlines()) == 16


# -- the default model -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def seed_sections():
    from nlp_reports.analyse import analyse_file
    from nlp_reports.classify import get_model

    model = get_model()
    assert model is not None, "the default model models/default is missing"
    return analyse_file(SEED, classifier=model).sections


def test_default_model_on_the_seed(seed_sections):
    """Issue 5: part 一 is publicity or study training, 二 leadership, 三 decision rules, the
    liaison-station item disputes and petitions; the last two parts are problems and next steps."""
    parts = [s for s in seed_sections if s.level == 1]
    assert [s.heading[:2] for s in parts] == ["一、", "二、", "三、", "今年", "下一"]
    assert parts[0].theme in {"publicity", "study_training"}
    assert [s.theme for s in parts[1:3]] == ["leadership", "decision_rules"]
    liaison = next(s for s in seed_sections if "人大代表联络站" in s.heading)
    assert (liaison.parent, liaison.theme) == (parts[2].id, "disputes_petitions")
    assert [s.role for s in parts] == ["practice", "practice", "practice", "problems", "next_steps"]
    assert {s.role for s in seed_sections if s.parent == parts[4].id} == {"next_steps"}


def test_extract_fills_themes_by_default():
    result = CliRunner().invoke(main, ["extract", "--format", "json", "--no-text", str(SEED)])
    doc = json.loads(result.output)
    assert all(s["theme"] and 0 < s["theme_confidence"] <= 1 and s["theme_second"] for s in doc["sections"])
    plain = json.loads(CliRunner().invoke(main, ["extract", "--format", "json", "--no-classify", str(SEED)]).output)
    assert all(s["theme"] is None and s["theme_confidence"] is None for s in plain["sections"])


def test_applying_a_model_imports_no_scikit_learn_nor_jieba():
    """numpy imports the pickle module itself; models are read with allow_pickle=False."""
    code = ("import sys; from nlp_reports.analyse import analyse_file; from nlp_reports.classify import get_model; "
            f"r = analyse_file({str(SEED)!r}, classifier=get_model()); assert r.sections[0].theme; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sklearn', 'scipy', 'jieba')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert out.strip() == "[]"


def test_spacy_pipeline_has_a_theme_component(seed_text):
    import nlp_reports

    nlp = nlp_reports.load()
    assert "report_themes" in nlp.pipe_names
    assert all(s.theme for s in nlp(seed_text)._.sections)


# -- the codebook ------------------------------------------------------------------------------
def test_codebook_is_complete_and_covers_the_default_model():
    from nlp_reports.classify.model import default_model_path
    from nlp_reports.resources import load

    themes = load("codebook.yaml")["themes"]
    for key, entry in themes.items():
        assert entry.get("label") and entry.get("definition"), key
        assert len(entry.get("examples") or []) == 2, key
        words = entry.get("keywords") or []
        assert bool(words) == (key != "other"), key
        assert len(set(words)) == len(words), key
        assert all(len(w) >= 2 and all("\u4e00" <= c <= "\u9fff" for c in w) for w in words), key
    manifest = json.loads((default_model_path() / "model.json").read_text(encoding="utf-8"))
    assert set(manifest["labels"]) <= set(themes)
    assert manifest["keywords"] == {k: v["keywords"] for k, v in themes.items() if v.get("keywords")}
    assert set(themes) <= set((ROOT / "models" / "CODEBOOK.md").read_text(encoding="utf-8").split("`"))


@pytest.mark.parametrize("command", ["classify", "train"])
def test_commands_have_an_example_block(command):
    assert "Example:" in CliRunner().invoke(main, [command, "--help"]).output
