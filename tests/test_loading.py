import pytest

from nlp_reports.errors import InputError
from nlp_reports.loading import MAX_DOCX_XML_BYTES, load_file

from conftest import make_docx

TEXT = "X镇2023年法治建设工作自查报告\n全年开展法治宣传活动11次，投资10万余元。"


@pytest.mark.parametrize("encoding,expected", [
    ("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gb18030", "gb18030"), ("gbk", "gb18030"),
    ("utf-16", "utf-16"), ("utf-16-le", "utf-16-le")])
def test_text_encodings_are_detected(tmp_path, encoding, expected):
    path = tmp_path / "r.txt"
    path.write_bytes(TEXT.encode(encoding))
    src = load_file(path)
    assert src.text.lstrip("\ufeff") == TEXT
    assert src.encoding == expected
    assert src.format == "txt"
    assert len(src.sha256) == 64


def test_docx_paragraphs_in_order_with_headings(tmp_path):
    path = make_docx(tmp_path / "r.docx", ["X镇2023年自查报告", "一、工作开展情况", "开展活动3次。"],
                     headings=["一、工作开展情况"])
    src = load_file(path)
    assert src.format == "docx"
    assert src.text.split("\n") == ["X镇2023年自查报告", "一、工作开展情况", "开展活动3次。"]


@pytest.mark.parametrize("name,content,reason", [
    ("empty.txt", b"", "file is empty"),
    ("blank.txt", b"  \n\t \n", "file is empty"),
    ("image.txt", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "unsupported format: a PNG image"),
    ("report.pdf", b"%PDF-1.7\n...", "unsupported format: a PDF file"),
    ("prog.txt", b"\x7fELF\x02\x01\x01" + b"\x00" * 64, "unsupported format: an executable (ELF)"),
    ("data.txt", bytes(range(0, 32)) * 50, "binary file"),
    ("notes.odt", "开展活动3次".encode(), "unsupported format '.odt'"),
    ("broken.docx", "不是zip".encode(), "is not a valid .docx file"),
])
def test_bad_files_give_one_clear_reason(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError) as err:
        load_file(path)
    assert reason in str(err.value)
    assert str(err.value).startswith(str(path))
    assert err.value.exit_code == 2


def test_zip_that_is_not_a_word_document(tmp_path):
    import zipfile

    path = tmp_path / "x.docx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("a.txt", "hello")
    with pytest.raises(InputError, match="not a Word document"):
        load_file(path)


def test_truncated_docx(tmp_path):
    path = make_docx(tmp_path / "r.docx", ["开展活动3次。"] * 50)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(InputError, match="corrupt .docx|not a valid"):
        load_file(path)


def test_docx_bomb_is_refused_before_expanding(tmp_path):
    import zipfile

    path = tmp_path / "bomb.docx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("word/document.xml", b"<" + b"a" * (MAX_DOCX_XML_BYTES + 10))
    assert path.stat().st_size < 200_000
    with pytest.raises(InputError, match="zip bomb"):
        load_file(path)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        load_file(tmp_path / "nope.txt")
    with pytest.raises(InputError, match="is a folder"):
        load_file(tmp_path)


def test_unreadable_file(tmp_path, monkeypatch):
    path = tmp_path / "secret.txt"
    path.write_text(TEXT, encoding="utf-8")

    def deny(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("builtins.open", deny)
    with pytest.raises(InputError, match="permission denied"):
        load_file(path)
