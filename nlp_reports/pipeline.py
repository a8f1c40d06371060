"""The toolkit as a spaCy pipeline: `nlp = nlp_reports.load(); doc = nlp(text)`.

The Doc is built straight from the tokenizer's words over the normalised text (spaCy's own zh
tokenizer spends half its time re-aligning text). Each component calls the plain-text core and
sets `doc._` attributes and `doc.spans` groups; numbers are mapped onto tokens with `char_span`
because jieba glues a number's tail to its unit (余份, 万余元).
"""
from __future__ import annotations

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span

from .analyse import source_info  # noqa: F401  (re-exported for API users)
from .extract.canonical import assign_canonical
from .extract.indicators import extract_indicators
from .extract.items import extract_items
from .meta import read_meta
from .normalise import normalise
from .results import Report
from .structure import parse_sections, section_finder, sentences, title_span
from .tokenize import Tokenizer

for _name in ("meta", "sections", "indicators", "problems", "measures"):
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, default=None)
if not Doc.has_extension("report"):
    Doc.set_extension("report", getter=lambda doc: Report(
        source={"chars": len(doc.text)}, meta=doc._.meta, text=doc.text,
        sections=tuple(doc._.sections or ()), indicators=tuple(doc._.indicators or ()),
        problems=tuple(doc._.problems or ()), measures=tuple(doc._.measures or ())))


class ReportTokenizer:
    """Normalises the text, then builds the Doc from the words of our own tokenizer."""

    def __init__(self, vocab, backend: str | None = None):
        self.vocab = vocab
        self.tokenizer = Tokenizer(backend)

    def __call__(self, text: str) -> Doc:
        norm = normalise(text)
        words = [w for w in self.tokenizer.cut(norm) if w]
        return Doc(self.vocab, words=words, spaces=[False] * len(words))


def _span(doc: Doc, start: int, end: int, label: str) -> Span | None:
    return doc.char_span(start, end, label=label, alignment_mode="expand")


@Language.factory("report_structure")
def make_structure(nlp, name):
    def structure(doc: Doc) -> Doc:
        text = doc.text
        title = title_span(text)
        doc._.sections = parse_sections(text)
        doc._.meta = read_meta(text, text[title[0]:title[1]] if title else None)
        doc.spans["sections"] = [s for s in (_span(doc, x.start, x.end, x.role) for x in doc._.sections) if s]
        return doc
    return structure


@Language.factory("report_indicators")
def make_indicators(nlp, name):
    def indicators(doc: Doc) -> Doc:
        sections = doc._.sections or []
        year = doc._.meta.year if doc._.meta else None
        measures = extract_items(doc.text, sections, "next_steps")  # figures inside a measure are targets
        found = assign_canonical(extract_indicators(doc.text, sentences(doc.text), section_finder(sections), sections,
                                                    year, measures), doc.text)
        doc._.indicators = found
        doc.spans["indicators"] = [s for s in (_span(doc, i.start, i.end, i.kind) for i in found) if s]
        return doc
    return indicators


@Language.factory("report_items")
def make_items(nlp, name):
    def items(doc: Doc) -> Doc:
        sections = doc._.sections or []
        doc._.problems = extract_items(doc.text, sections, "problems")
        doc._.measures = extract_items(doc.text, sections, "next_steps")
        doc.spans["problems"] = [s for s in (_span(doc, i.start, i.end, "problem") for i in doc._.problems) if s]
        doc.spans["measures"] = [s for s in (_span(doc, i.start, i.end, "measure") for i in doc._.measures) if s]
        return doc
    return items


@Language.factory("report_themes", default_config={"model": None})
def make_themes(nlp, name, model: str | None):
    """Sets each section's theme with a theme model (`model`: its folder; None: the default)."""
    from .classify.model import get_model

    classifier = get_model(model)

    def themes(doc: Doc) -> Doc:
        if classifier is not None and doc._.sections:
            doc._.sections = classifier.classify_sections(doc.text, doc._.sections)
        return doc
    return themes


def load(backend: str | None = None, model: str | None = None, classify: bool = True) -> Language:
    """A spaCy Language running the whole report pipeline; with `classify` (and a theme model:
    `model` or the default one) sections get themes too."""
    nlp = spacy.blank("zh")
    nlp.tokenizer = ReportTokenizer(nlp.vocab, backend)
    for component in ("report_structure", "report_indicators", "report_items"):
        nlp.add_pipe(component)
    if classify:
        nlp.add_pipe("report_themes", config={"model": model})
    return nlp
