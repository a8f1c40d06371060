import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
SEED = ROOT / "corpora" / "reports" / "000_51954c0da616a2a1.txt"


def make_docx(path, paragraphs, headings=()):
    """A minimal real .docx: one <w:p> per paragraph; those in `headings` styled Heading1."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_variants", ROOT / "corpora" / "tools" / "make_variants.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    tool.write_docx(path, paragraphs, lambda text: "Heading1" if text in headings else None)
    return path


@pytest.fixture(scope="session")
def seed_text():
    return SEED.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def seed_report():
    from nlp_reports import analyse_file

    return analyse_file(SEED)


def case_params(cases, *fields):
    """pytest params for a case table: the case's `fields` as arguments, its id as the test id, and
    a strict xfail where the case gives one (so that a fix shows up as XPASS)."""
    return [pytest.param(*(case[f] for f in fields), id=case["id"],
                         marks=[pytest.mark.xfail(reason=case["xfail"], strict=True)] if "xfail" in case else [])
            for case in cases]
