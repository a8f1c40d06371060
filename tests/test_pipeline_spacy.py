"""The spaCy API is a layer over the same core: same results, spans aligned to tokens."""
import pytest

from conftest import SEED


@pytest.fixture(scope="module")
def nlp():
    import nlp_reports

    return nlp_reports.load()


def test_doc_has_the_same_results_as_the_core(nlp, seed_text, seed_report):
    doc = nlp(seed_text)
    assert doc.text == seed_report.text
    assert doc._.meta == seed_report.meta
    assert [(i.name, i.value) for i in doc._.indicators] == [(i.name, i.value) for i in seed_report.indicators]
    assert len(doc.spans["problems"]) == 4 and len(doc.spans["measures"]) == 3
    assert doc._.report.meta.place == "X镇"


def test_indicator_spans_cover_number_and_unit_even_inside_glued_tokens(nlp, seed_text):
    doc = nlp(seed_text)
    spans = {s.text for s in doc.spans["indicators"]}
    # jieba glues 余份 into one token; the span is expanded to whole tokens, never cut.
    assert any("50000余份" in s for s in spans)
    labels = {s.label_ for s in doc.spans["indicators"]}
    assert {"count", "people", "money", "rate"} <= labels


def test_components_are_registered_factories(nlp):
    from spacy.language import Language

    for name in ("report_structure", "report_indicators", "report_items", "report_themes"):
        assert Language.has_factory(name)
    assert nlp.pipe_names == ["report_structure", "report_indicators", "report_items", "report_themes"]
