"""File → text. Detects the encoding of .txt files and reads .docx paragraphs in order."""
from __future__ import annotations

import hashlib
import os
import re
import zipfile
from dataclasses import dataclass

from .errors import InputError

MAX_FILE_BYTES = 20 * 1024 * 1024   # a report is a few dozen KB; 20 MB is surely not one report
MAX_DOCX_XML_BYTES = 32 * 1024 * 1024  # uncompressed document.xml; more is a zip bomb, not a report
TEXT_SUFFIXES = {".txt", ".text", ".md", ""}
DOCX_SUFFIXES = {".docx"}

# Magic numbers of formats people point us at by mistake.
_MAGIC = [
    (b"%PDF", "a PDF file"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x7fELF", "an executable (ELF)"),
    (b"MZ", "a Windows executable"),
    (b"\xd0\xcf\x11\xe0", "an old Word/Excel file (.doc/.xls); save it as .docx or .txt"),
    (b"Rar!", "a RAR archive"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf", "a 7z archive"),
]
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Source:
    """Text of one input file and where it came from."""

    path: str
    sha256: str
    encoding: str
    format: str
    text: str


def load_file(path) -> Source:
    """Read `path` (.txt in UTF-8/UTF-16/GB18030, or .docx) into a Source; InputError if impossible."""
    path = os.fspath(path)
    try:
        if os.path.isdir(path):
            raise InputError("is a folder, not a file", path)
        size = os.path.getsize(path)
        if size > MAX_FILE_BYTES:
            raise InputError(f"file is {size // 2**20} MB, over the {MAX_FILE_BYTES // 2**20} MB limit for one report", path)
        with open(path, "rb") as fh:
            raw = fh.read()
    except FileNotFoundError:
        raise InputError("no such file", path) from None
    except PermissionError:
        raise InputError("permission denied", path) from None
    except IsADirectoryError:
        raise InputError("is a folder, not a file", path) from None
    except OSError as exc:
        raise InputError(f"cannot read ({exc.strerror or exc})", path) from None
    return load_bytes(raw, path)


def load_bytes(raw: bytes, path: str = "<bytes>") -> Source:
    """Decode the bytes of a report; the file name's suffix decides .docx or text."""
    digest = hashlib.sha256(raw).hexdigest()
    suffix = os.path.splitext(path)[1].lower()
    if not raw.strip():
        raise InputError("file is empty", path)
    if raw[:4] == b"PK\x03\x04":
        if suffix in DOCX_SUFFIXES or suffix not in TEXT_SUFFIXES:
            return Source(path, digest, "utf-8", "docx", _read_docx(raw, path))
        raise InputError("is a zip archive, not a text file", path)
    if suffix in DOCX_SUFFIXES:
        raise InputError("is not a valid .docx file (not a zip package)", path)
    for magic, what in _MAGIC:
        if raw.startswith(magic):
            raise InputError(f"unsupported format: {what}", path)
    if suffix not in TEXT_SUFFIXES:
        raise InputError(f"unsupported format {suffix!r}: give a .txt or .docx file", path)
    text, encoding = _decode(raw, path)
    if not text.strip():
        raise InputError("file has only whitespace", path)
    return Source(path, digest, encoding, "txt", text)


def _decode(raw: bytes, path: str) -> tuple[str, str]:
    if raw.startswith(b"\xef\xbb\xbf"):
        return _strict(raw[3:], "utf-8", path), "utf-8-sig"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _strict(raw, "utf-16", path), "utf-16"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None:
        if _looks_binary(text):
            raise InputError("binary file (control characters), not a text report", path)
        return text, "utf-8"
    # Not UTF-8: GB18030, or UTF-16 without a byte-order mark; keep the reading that looks most
    # like Chinese text (GB2312 covers the common characters, garbage falls outside it).
    best = None
    for enc in ("gb18030", "utf-16-le", "utf-16-be"):
        try:
            text = raw.decode(enc)
        except UnicodeDecodeError:
            continue
        score = _plausibility(text)
        if best is None or score > best[0]:
            best = (score, text, enc)
    if best is None or best[0] < 0.6:
        raise InputError("cannot decode as UTF-8, UTF-16 or GB18030 text (binary or mojibake?)", path)
    if _looks_binary(best[1]):
        raise InputError("binary file (control characters), not a text report", path)
    return best[1], best[2]


def _plausibility(text: str) -> float:
    """Share of characters that are printable ASCII or common Chinese (GB2312) characters."""
    sample = text[:4000]
    good = 0
    for ch in sample:
        if " " <= ch <= "~" or ch in "\n\r\t":
            good += 1
        else:
            try:
                ch.encode("gb2312")
                good += 1
            except UnicodeEncodeError:
                pass
    return good / max(1, len(sample))


def _strict(raw: bytes, encoding: str, path: str) -> str:
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError:
        raise InputError(f"declares {encoding} (byte-order mark) but is not valid {encoding}", path) from None
    if _looks_binary(text):
        raise InputError("binary file (control characters), not a text report", path)
    return text


def _looks_binary(text: str) -> bool:
    sample = text[:65536]
    return len(_CONTROL.findall(sample)) > max(8, len(sample) // 200)


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _read_docx(raw: bytes, path: str) -> str:
    """Paragraph texts of word/document.xml in order, one per line (tables' cells joined by ' | ')."""
    import io
    import xml.etree.ElementTree as ET

    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            try:
                info = zf.getinfo("word/document.xml")
            except KeyError:
                raise InputError("is a zip file but not a Word document (no word/document.xml)", path) from None
            if info.file_size > MAX_DOCX_XML_BYTES:
                raise InputError(f"document expands to {info.file_size // 2**20} MB, over the limit (zip bomb?)", path)
            with zf.open(info) as fh:
                xml = fh.read(MAX_DOCX_XML_BYTES + 1)
    except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError, zipfile.LargeZipFile) as exc:
        raise InputError(f"corrupt .docx ({exc})", path) from None
    if len(xml) > MAX_DOCX_XML_BYTES:
        raise InputError("document expands past the size limit (zip bomb?)", path)
    if b"<!DOCTYPE" in xml[:4096] or b"<!ENTITY" in xml[:65536]:
        raise InputError("corrupt .docx (document declares a DTD)", path)
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise InputError(f"corrupt .docx (document.xml: {exc})", path) from None
    body = root.find(f"{_W}body")
    if body is None:
        raise InputError("corrupt .docx (no document body)", path)
    lines = []
    for block in body:
        if block.tag == f"{_W}p":
            lines.append(_para_text(block))
        elif block.tag == f"{_W}tbl":
            for row in block.iter(f"{_W}tr"):
                cells = ["".join(_para_text(p) for p in tc.iter(f"{_W}p")) for tc in row.iter(f"{_W}tc")]
                lines.append(" | ".join(cells))
    text = "\n".join(lines)
    if not text.strip():
        raise InputError("document has no text", path)
    return text


def _para_text(p) -> str:
    parts = []
    for node in p.iter():
        if node.tag == f"{_W}t" and node.text:
            parts.append(node.text)
        elif node.tag in (f"{_W}tab",):
            parts.append(" ")
        elif node.tag in (f"{_W}br", f"{_W}cr"):
            parts.append("\n")
    return "".join(parts)
