"""Theme models: training through the CLI, numpy-only applying, refusing broken model files, the
codebook's integrity and the default model's answers on the seed report."""
import json
import pathlib
import subprocess
import sys

import pytest
from click.testing import CliRunner

from conftest import ROOT, SEED
from nlp_reports.cli import main
from nlp_reports.classify.model import load_model
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


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny")
    data = folder / "tiny.csv"
    import csv

    with data.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["text", "label", "group"])
        writer.writerows(TINY)
    result = CliRunner().invoke(main, ["train", str(data), "--out", str(folder / "model")])
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
    assert "Grouped cross-validation" in card and "(chosen)" in card


def test_numpy_scores_equal_scikit_learn(tiny_model):
    """The numpy tf-idf + softmax gives scikit-learn's probabilities for the same fitted model."""
    from nlp_reports.classify import train as tr
    from nlp_reports.classify.features import terms

    rows = [{"text": t, "label": lab, "group": g} for t, lab, g in TINY]
    config = tr.CONFIGS[0]
    term_lists = [terms(r["text"], config["features"]) for r in rows]
    vec, clf = tr._fit(term_lists, [r["label"] for r in rows], config)
    model = tr.to_model(vec, clf, config, 0.0, {})
    texts = ["排查隐患\n开展演练。", "宣传\n普法讲座和调解。"]
    ours = model.predict_proba(texts)
    theirs = clf.predict_proba(vec.transform([terms(t, config["features"]) for t in texts]))
    assert ours == pytest.approx(theirs, abs=1e-9)


def _copy(src: pathlib.Path, dst: pathlib.Path) -> pathlib.Path:
    dst.mkdir()
    for f in src.iterdir():
        (dst / f.name).write_bytes(f.read_bytes())
    return dst


def _flip_byte(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def _truncate(path):
    path.write_bytes(path.read_bytes()[:200])


def _other_version(path):
    manifest = json.loads(path.with_name("model.json").read_text(encoding="utf-8"))
    manifest["format_version"] = 99
    path.with_name("model.json").write_text(json.dumps(manifest), encoding="utf-8")


@pytest.mark.parametrize("damage, message", [
    (_flip_byte, "does not match the sha256"),
    (_truncate, "does not match the sha256"),
    (_other_version, "format version 99 is not supported"),
], ids=["changed-byte", "truncated", "other-version"])
def test_a_tampered_model_is_refused_with_one_line(tiny_model, tmp_path, damage, message):
    model = _copy(tiny_model, tmp_path / "model")
    damage(model / "arrays.npz")
    with pytest.raises(ModelError, match=message):
        load_model(model)
    result = CliRunner().invoke(main, ["classify", "--model", str(model), str(SEED)])
    assert result.exit_code == 3
    assert result.output.count("\n") == 1 and result.output.startswith("nlp-reports: error: ") and message in result.output


def test_a_folder_without_a_model_is_refused(tmp_path):
    with pytest.raises(ModelError, match="not a theme model folder"):
        load_model(tmp_path)


def test_classify_lists_sections_with_theme_and_confidence(tiny_model):
    result = CliRunner().invoke(main, ["classify", "--model", str(tiny_model), "--format", "json", str(SEED)])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert rows and {"heading", "role", "theme", "confidence", "second"} <= set(rows[0])
    assert all(r["theme"] in ("disputes", "publicity", "safety") and 0 < r["confidence"] <= 1 for r in rows)
    csv_out = CliRunner().invoke(main, ["classify", "--model", str(tiny_model), "--format", "csv", str(SEED)]).output
    assert csv_out.splitlines()[0] == "path,id,level,role,theme,confidence,second,heading"


# -- the default model -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def seed_sections():
    from nlp_reports.analyse import analyse_file
    from nlp_reports.classify import get_model

    model = get_model()
    assert model is not None, "the default model models/default is missing"
    return {s.heading: s for s in analyse_file(SEED, classifier=model).sections}


@pytest.mark.parametrize("heading, themes", [
    ("一、学习宣传贯彻落实习近平法治思想情况", {"publicity", "study_training"}),
    ("二、党领导法治建设制度和工作机制贯彻落实、发挥作用情况", {"leadership"}),
    ("三、深入推进依法行政、加快建设法治政府情况开展情况", {"decision_rules"}),
    ("二是创新“人大代表联络站+社会治理”新机制", {"disputes_petitions"}),
], ids=["part-1", "part-2", "part-3", "liaison-station"])
def test_default_model_on_the_seed(seed_sections, heading, themes):
    section = next(s for h, s in seed_sections.items() if h.replace("＋", "+") == heading)
    assert section.theme in themes, (section.theme, section.theme_confidence, section.theme_second)


def test_extract_fills_themes_by_default(tmp_path):
    result = CliRunner().invoke(main, ["extract", "--format", "json", "--no-text", str(SEED)])
    doc = json.loads(result.output)
    assert all(s["theme"] and s["theme_confidence"] is not None for s in doc["sections"])
    plain = json.loads(CliRunner().invoke(main, ["extract", "--format", "json", "--no-classify", str(SEED)]).output)
    assert all(s["theme"] is None for s in plain["sections"])


def test_applying_a_model_imports_no_scikit_learn():
    code = ("import sys; from nlp_reports.analyse import analyse_file; from nlp_reports.classify import get_model; "
            f"r = analyse_file({str(SEED)!r}, classifier=get_model()); assert r.sections[0].theme; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sklearn', 'scipy', 'pickle_mixin')))")
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
    manifest = json.loads((default_model_path() / "model.json").read_text(encoding="utf-8"))
    assert set(manifest["labels"]) <= set(themes)
    assert set(themes) <= set((ROOT / "models" / "CODEBOOK.md").read_text(encoding="utf-8").split("`"))


@pytest.mark.parametrize("command", ["classify", "train"])
def test_commands_have_an_example_block(command):
    assert "Example:" in CliRunner().invoke(main, [command, "--help"]).output
