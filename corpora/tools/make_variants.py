"""Re-save some corpus reports as .docx and as GBK-encoded .txt, so the corpus exercises every
input format, and point their gold records at the new files. The text is unchanged: one .docx
paragraph per line (numbered headings styled Heading 1/2), or the same characters in GBK.

Usage: python corpora/tools/make_variants.py   (idempotent: files already converted are skipped)
"""
import json
import pathlib
import re
import zipfile
from xml.sax.saxutils import escape

CORPORA = pathlib.Path(__file__).resolve().parents[1]
DOCX = ["b2_07_hekou_2023", "b4_14_majia_2023", "b4_12_dongpo_2022"]
GBK = ["b1_09_baisha_2023", "b1_13_fengle_2023", "b2_16_liulin_2023"]

_CT = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>
</Types>"""
_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>
</Relationships>"""
_H1 = re.compile(r"^(?:[一二三四五六七八九十]+、|第[一二三四五六七八九十]+部分)")
_H2 = re.compile(r"^（[一二三四五六七八九十]+）")


def heading_style(line: str) -> str | None:
    return "Heading1" if _H1.match(line) else "Heading2" if _H2.match(line) and len(line) <= 30 else None


def write_docx(path, lines: list[str], style_of=heading_style) -> None:
    """A minimal real .docx: one <w:p> per line, styled by `style_of(line)` (None: plain)."""
    body = []
    for line in lines:
        style = style_of(line)
        ppr = f'<w:pPr><w:pStyle w:val="{style}"/></w:pPr>' if style else ""
        body.append(f'<w:p>{ppr}<w:r><w:t xml:space="preserve">{escape(line)}</w:t></w:r></w:p>')
    xml = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
           '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
           f'<w:body>{"".join(body)}</w:body></w:document>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", _CT)
        zf.writestr("_rels/.rels", _RELS)
        zf.writestr("word/document.xml", xml)


def main() -> None:
    renamed = {}
    for stem in DOCX:
        txt, docx = CORPORA / "reports" / f"{stem}.txt", CORPORA / "reports" / f"{stem}.docx"
        if txt.exists():
            write_docx(docx, txt.read_text(encoding="utf-8").split("\n"))
            txt.unlink()
            renamed[f"reports/{stem}.txt"] = f"reports/{stem}.docx"
    for stem in GBK:
        txt = CORPORA / "reports" / f"{stem}.txt"
        raw = txt.read_bytes()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            continue  # already GBK
        txt.write_bytes(text.encode("gbk"))
    for gold in sorted((CORPORA / "gold").glob("*.jsonl")):
        lines = gold.read_text(encoding="utf-8").splitlines()
        recs = [json.loads(line) for line in lines if line.strip()]
        if any(r["file"] in renamed for r in recs):
            for r in recs:
                r["file"] = renamed.get(r["file"], r["file"])
            gold.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs), encoding="utf-8")


if __name__ == "__main__":
    main()
