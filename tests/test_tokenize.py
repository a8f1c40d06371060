import pathlib

import pytest

from nlp_reports.loading import load_file
from nlp_reports.normalise import normalise
from nlp_reports.tokenize import Tokenizer

from conftest import ROOT


def corpus_texts():
    for path in sorted((ROOT / "corpora" / "reports").iterdir()):
        yield path.name, normalise(load_file(path).text)


def test_backends_give_identical_tokens_on_the_whole_corpus():
    fast, reference = Tokenizer("rjieba"), Tokenizer("jieba")
    n = 0
    for name, text in corpus_texts():
        assert fast.cut(text) == reference.cut(text), name
        n += 1
    assert n >= 1


def test_user_dictionary_is_loaded_and_words_rejoin_to_the_text():
    for backend in ("rjieba", "jieba"):
        words = Tokenizer(backend).cut("村里有法律明白人37人，开展合法性审查12件")
        assert "法律明白人" in words and "合法性审查" in words
        assert "".join(words) == "村里有法律明白人37人，开展合法性审查12件"


def test_unknown_backend_is_a_clear_error():
    from nlp_reports.errors import DataError

    with pytest.raises(DataError, match="unknown tokenizer backend 'hanlp'"):
        Tokenizer("hanlp")
