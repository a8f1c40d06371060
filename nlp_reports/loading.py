"""File → text. Detects the encoding of .txt files (repairing mojibake) and reads .docx paragraphs in order.

Every way a file can fail to be a report ends in one InputError naming the file and the reason;
nothing here reads without a bound (special files, zip bombs and oversized files are refused first).
"""
from __future__ import annotations

import hashlib
import os
import re
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass

from .errors import InputError

# A report is a few dozen KB of text; 20 MB (7 million characters, about a minute and 1.2 GB to
# analyse) is the most one report could be, and more is a file holding many reports, which should
# be split. NLP_REPORTS_MAX_MB raises the limit for text files.
MAX_TEXT_MB = 20
MAX_DOCX_BYTES = 200 * 1024 * 1024     # a .docx is mostly its photos; only document.xml is read
MAX_DOCX_XML_BYTES = 32 * 1024 * 1024  # uncompressed document.xml; more is a zip bomb, not a report
MAX_DOCX_PARTS = 10_000                # a Word document has dozens of parts, a few thousand with photos
TEXT_SUFFIXES = {".txt", ".text", ".md", ""}
DOCX_SUFFIXES = {".docx"}

# Magic numbers of formats people point us at by mistake.
_MAGIC = [
    (b"%PDF", "a PDF file"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"\x7fELF", "an executable (ELF)"),
    (b"MZ", "a Windows executable"),
    (b"\xcf\xfa\xed\xfe", "an executable (Mach-O)"),
    (b"\xca\xfe\xba\xbe", "an executable (Mach-O or Java class)"),
    (b"\xd0\xcf\x11\xe0", "an old Word/Excel/WPS file (.doc/.xls/.wps); save it as .docx or .txt"),
    (b"{\\rtf", "an RTF document; save it as .docx or .txt"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"Rar!", "a RAR archive"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf", "a 7z archive"),
    (b"\xfd7zXZ\x00", "an xz archive"),
    (b"BZh", "a bzip2 archive"),
]
_ZIP = b"PK\x03\x04"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Spaces, controls and zero-width or direction marks: a file of nothing else has no text.
_VISIBLE = re.compile(r"[^\s\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202f\u205f-\u206f\ufeff\u3000]")
_CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True)
class Source:
    """Text of one input file and where it came from."""

    path: str
    sha256: str
    encoding: str
    format: str
    text: str


def max_text_bytes() -> int:
    raw = os.environ.get("NLP_REPORTS_MAX_MB", "")
    try:
        mb = float(raw) if raw else MAX_TEXT_MB
    except ValueError:
        raise InputError(f"NLP_REPORTS_MAX_MB={raw!r} is not a number of megabytes") from None
    return int(mb * 1024 * 1024)


def load_file(path) -> Source:
    """Read `path` (.txt in UTF-8/UTF-16/UTF-32/GB18030/Big5, or .docx) into a Source; InputError if impossible."""
    path = os.fspath(path)
    suffix = os.path.splitext(path)[1].lower()
    try:
        st = os.stat(path)
        if stat.S_ISDIR(st.st_mode):
            raise InputError("is a folder, not a file", path)
        if not stat.S_ISREG(st.st_mode):  # a FIFO or device would be read for ever
            raise InputError("is not a regular file (a pipe or device?)", path)
        limit = MAX_DOCX_BYTES if suffix in DOCX_SUFFIXES else max_text_bytes()
        if st.st_size > limit:
            raise InputError(f"file is {_mb(st.st_size)}, over the {_mb(limit)} limit for one report "
                             "(split a file that holds many reports; NLP_REPORTS_MAX_MB raises the limit)", path)
        with open(path, "rb") as fh:
            raw = fh.read(limit + 1)
    except FileNotFoundError:
        raise InputError("no such file", path) from None
    except PermissionError:
        raise InputError("permission denied", path) from None
    except OSError as exc:
        raise InputError(f"cannot read ({exc.strerror or exc})", path) from None
    if len(raw) > limit:
        raise InputError(f"file grew past the {_mb(limit)} limit while being read", path)
    return load_bytes(raw, path)


def _mb(size: int) -> str:
    return f"{size / 2**20:.0f} MB" if size >= 2**20 else f"{size / 2**20:.1f} MB"


def load_bytes(raw: bytes, path: str = "<bytes>") -> Source:
    """Decode the bytes of a report; the file name's suffix decides .docx or text."""
    digest = hashlib.sha256(raw).hexdigest()
    suffix = os.path.splitext(path)[1].lower()
    if not raw:
        raise InputError("file is empty", path)
    if suffix in DOCX_SUFFIXES:
        if raw.startswith(_ZIP):
            text, encoding = repair_mojibake(_read_docx(raw, path))
            return Source(path, digest, encoding, "docx", text)
        if raw.startswith(b"\xd0\xcf\x11\xe0"):
            raise InputError("is not a .docx package: a password-protected document, or an old .doc renamed; "
                             "save it as .docx or .txt", path)
        raise InputError("is not a valid .docx file (not a zip package)", path)
    for magic, what in _MAGIC:
        if raw.startswith(magic):
            raise InputError(f"unsupported format: {what}", path)
    if raw.startswith(_ZIP):
        if suffix in TEXT_SUFFIXES and b"word/document.xml" in raw:
            raise InputError("is a Word document (.docx) with a text file's name: rename it to .docx", path)
        what = "a zip archive, not a text file" if suffix in TEXT_SUFFIXES else f"{suffix!r} (a zip package)"
        raise InputError(f"unsupported format: {what}; give a .txt or .docx file", path)
    if suffix not in TEXT_SUFFIXES:
        raise InputError(f"unsupported format {suffix!r}: give a .txt or .docx file", path)
    text, encoding = _decode(raw, path)
    text, encoding = repair_mojibake(text, encoding)
    if not _VISIBLE.search(text):
        raise InputError("file has only whitespace, no text", path)
    return Source(path, digest, encoding, "txt", text)


# -- encodings ---------------------------------------------------------------------------------
# UTF-32 first: its little-endian mark begins with UTF-16's.
_BOMS = [(b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
         (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")]
_UTF8_BOM = b"\xef\xbb\xbf"


def _decode(raw: bytes, path: str) -> tuple[str, str]:
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            try:
                text = raw.decode(encoding)
            except UnicodeDecodeError:
                raise InputError(f"declares {encoding} (byte-order mark) but is not valid {encoding}", path) from None
            return _text(text, path), encoding
    # A UTF-8 mark on a body that is not UTF-8 happens when files are pasted together: detect on.
    body, marked = (raw[3:], True) if raw.startswith(_UTF8_BOM) else (raw, False)
    try:
        return _text(body.decode("utf-8"), path), "utf-8-sig" if marked else "utf-8"
    except UnicodeDecodeError:
        pass
    # GB18030, UTF-16 without a mark, Big5, or lines of UTF-8 and GB18030 mixed: keep the reading
    # that looks most like Chinese text (garbage falls outside the common characters).
    readings = []
    for encoding in ("gb18030", "utf-16-le", "utf-16-be", "cp950"):
        try:
            readings.append((encoding, body.decode(encoding)))
        except UnicodeDecodeError:
            continue
    mixed = _mixed_lines(body)
    if mixed is not None:
        readings.append(("utf-8+gb18030", mixed))
    scored = [(_plausibility(text, "big5" if enc == "cp950" else "gb2312"), enc, text) for enc, text in readings]
    score, encoding, text = max(scored, default=(0.0, None, None))
    if score < 0.6:
        raise InputError("cannot decode as UTF-8, UTF-16, GB18030 or Big5 text (binary or mojibake?)", path)
    return _text(text, path), "big5" if encoding == "cp950" else encoding


def _mixed_lines(raw: bytes) -> str | None:
    """The text of a file whose lines are partly UTF-8 and partly GB18030 (reports or parts saved by
    different tools and pasted together), or None if no line reads as UTF-8 Chinese."""
    if b"\x00" in raw:  # UTF-16
        return None
    lines, utf8 = [], 0
    for line in raw.split(b"\n"):
        try:
            text = line.decode("utf-8")
            if _CJK.search(text):
                utf8 += 1
        except UnicodeDecodeError:
            try:
                text = line.decode("gb18030")
            except UnicodeDecodeError:
                return None
        lines.append(text)
    return "\n".join(lines) if utf8 else None


def _plausibility(text: str, charset: str) -> float:
    """Share of characters (sampled over the whole text) that are printable ASCII or characters of
    `charset` (gb2312 or big5): text in the right encoding scores near 1."""
    sample = text[::max(1, len(text) // 4000)]
    good = 0
    for ch in sample:
        if " " <= ch <= "~" or ch in "\n\r\t":
            good += 1
        else:
            try:
                code = ch.encode(charset)
            except UnicodeEncodeError:
                continue
            # Big5's garbage also encodes in Big5: count its symbols and common characters only.
            good += charset != "big5" or 0xA1 <= code[0] <= 0xC6
    return good / max(1, len(sample))


def _text(text: str, path: str) -> str:
    if len(_CONTROL.findall(text[:65536])) > max(8, min(len(text), 65536) // 200):
        raise InputError("binary file (control characters), not a text report", path)
    return text


# Text whose UTF-8 bytes were once read as GBK or Windows-1252 and saved again ("鍏ㄥ勾" or "å…¨å¹´"
# for 全年): encoding it back and reading the bytes as UTF-8 gives the text. Windows-1252 is taken
# "sloppily" (its five unassigned bytes pass through as Latin-1), as the tools that do this do. A
# byte the wrong reading lost (a U+FFFD in the mojibake) stays lost: it goes back as an invalid byte,
# so that its character becomes U+FFFD again, not some other character.
_SLOPPY_1252 = {ord(bytes([b]).decode("cp1252")): chr(b) for b in range(0x80, 0xA0)
                if b not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)}
_WRONG_READINGS = (("gbk", lambda t: t.encode("gb18030")),
                   ("windows-1252", lambda t: t.translate(_SLOPPY_1252).encode("latin-1")))


def repair_mojibake(text: str, encoding: str = "utf-8") -> tuple[str, str]:
    """(text, encoding) with mojibake undone, the encoding then saying `… (repaired gbk mojibake)`.

    >>> repair_mojibake("鍏ㄥ勾璋冭В绾犵悍")
    ('全年调解纠纷', 'utf-8 (repaired gbk mojibake)')
    >>> repair_mojibake("æˆªè‡³10æœˆåº•")
    ('截至10月底', 'utf-8 (repaired windows-1252 mojibake)')
    >>> repair_mojibake("全年调解纠纷12件")
    ('全年调解纠纷12件', 'utf-8')
    """
    if text.isascii():
        return text, encoding
    for wrong, encode in _WRONG_READINGS:
        try:
            if _reads_as_chinese(_back(text[:20000], encode), text[:20000]):
                fixed = _LOST.sub("\ufffd", _back(text, encode).decode("utf-8", errors="replace"))
                return fixed, f"{encoding} (repaired {wrong} mojibake)"
        except UnicodeEncodeError:
            continue
    return text, encoding


def _back(text: str, encode) -> bytes:
    return b"\xff".join(encode(part) for part in text.split("\ufffd"))


def _reads_as_chinese(raw: bytes, sample: str) -> bool:
    """Whether `raw`, the bytes of `sample` put back in the wrong encoding, reads as UTF-8 Chinese.
    For real text nearly every sequence is then invalid and few characters are left; mojibake
    gives back a Chinese character for every 1.5 (GBK) or 3 (Windows-1252) of its own, except where
    it lost a byte (a run of U+FFFD)."""
    fixed = raw.decode("utf-8", errors="replace")
    cjk, lost = len(_CJK.findall(fixed)), len(_LOST.findall(fixed))
    wide = len(sample) - sum(ch.isascii() for ch in sample)
    return cjk >= 2 and cjk >= 0.15 * wide and lost <= 0.25 * (cjk + lost)


_LOST = re.compile("\ufffd+")


# -- .docx -------------------------------------------------------------------------------------
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _read_docx(raw: bytes, path: str) -> str:
    """Paragraph texts of word/document.xml in order, one per line (tables' cells joined by ' | ')."""
    import io
    import xml.etree.ElementTree as ET

    if _zip_parts(raw) > MAX_DOCX_PARTS:
        raise InputError(f"corrupt .docx (a zip of over {MAX_DOCX_PARTS} parts: a zip bomb, not a Word document)", path)
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            try:
                info = zf.getinfo("word/document.xml")
            except KeyError:
                raise InputError("is a zip file but not a Word document (no word/document.xml)", path) from None
            if info.file_size > MAX_DOCX_XML_BYTES:
                raise InputError(f"document expands to {_mb(info.file_size)}, over the "
                                 f"{_mb(MAX_DOCX_XML_BYTES)} limit (zip bomb?)", path)
            with zf.open(info) as fh:
                xml = fh.read(MAX_DOCX_XML_BYTES + 1)  # the size in the header may lie
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError,
            RuntimeError, zipfile.LargeZipFile) as exc:  # RuntimeError: an encrypted member
        raise InputError(f"corrupt .docx ({' '.join(str(exc).split()) or type(exc).__name__})", path) from None
    if len(xml) > MAX_DOCX_XML_BYTES:
        raise InputError(f"document expands past the {_mb(MAX_DOCX_XML_BYTES)} limit (zip bomb?)", path)
    # Word never writes a DTD; one in document.xml can only be there to expand entities.
    if b"<!DOCTYPE" in xml or b"<!ENTITY" in xml:
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
    if not _VISIBLE.search(text):
        raise InputError("document has no text", path)
    return text


def _zip_parts(raw: bytes) -> int:
    """How many members the zip's end record announces (0 if there is none), or more than
    MAX_DOCX_PARTS for a central directory too large for them: read before the zip module lists
    them all, which for millions of empty members takes minutes and gigabytes."""
    at = raw.rfind(b"PK\x05\x06", max(0, len(raw) - 65_557))
    if at < 0 or at + 22 > len(raw):
        return 0  # no end record: the zip module says it is no zip
    count, size = struct.unpack_from("<HI", raw, at + 10)
    return count if size <= MAX_DOCX_PARTS * 300 else MAX_DOCX_PARTS + 1


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
