"""How many corpus reports contain each kind of real-world mess (scrape furniture, odd number
forms, traditional script, ...), as a Markdown table for corpora/README.md.
Usage: python corpora/tools/mess.py [corpora/gold]
Text kinds are found with the patterns below on the report as loaded (one line per paragraph or
.docx paragraph); ranges and zeros are read from the gold (value_max set, value 0)."""
import collections
import pathlib
import re
import sys

from check_gold import read_report
from stats import records

CORPORA = pathlib.Path(__file__).resolve().parents[1]
CJK = "\u4e00-\u9fff"
NUM = "一二两三四五六七八九十百千万"
MEASURE = "个名次场件份条项起户人家处栋座支期批"

# kind → pattern whose presence marks a report (re.M: ^ and $ are line ends)
PATTERNS = {
    "site furniture (来源：, 责任编辑, 打印本页, 关闭窗口, 浏览次数, ICP备 …)":
        r"责任编辑|責任編輯|来源：|來源：|打印本[页頁]|关闭窗口|關閉窗口|浏览次数|瀏覽次數|字[号號]：|ICP备|主办单位|主辦單位",
    "page numbers (第2页 共5页, - 3 -)": r"第\s*\d+\s*[页頁]\s*共\s*\d+\s*[页頁]|^-\s*\d+\s*-$|^\d+\s*/\s*\d+$",
    "page number fused into a sentence": r"[^\n]第\s*\d+\s*[页頁]\s*共\s*\d+\s*[页頁][^\n]",
    "pipe tables (\\| 项目 \\| 数量 \\|)": r"^\s*\|.*\|.*\|",
    "20xx placeholders": r"20[xX]{2}",
    "X镇 / XX村 / 某某 placeholders": r"(?<![A-Za-z])X{1,3}(?:省|市|县|区|镇|乡|街道|村|社区|小区|小学|花园|工业园|律师事务所)|某某",
    "Chinese numerals with 余/多 (三十余次)": rf"(?<![\d.０-９．])[{NUM[:10]}][{NUM}]*[余多餘](?=[{MEASURE}])",
    "percent words, fractions, 成 (百分之九十八, 千分之三, 三分之二, 八成)":
        r"百分之|千分之|[一二三四五六七八九十]分之[一二三四五六七八九十]|[一二三四五六七八九]成(?![立功为员果绩效本])",
    "ASCII punctuation in Chinese text (, : ; (1))": rf"[{CJK}][,;:][{CJK}]|(?:^|[;；])\(\d\)",
    "spaces inside or around numbers (共 31 名, 3 126 户)": rf"\d \d{{3}}(?!\d)|[{CJK}] \d+(?:\.\d+)? [{CJK}]",
    "thousands separators (1,236)": r"\d,\d{3}(?!\d)",
    "full-width digits (３名)": r"[０-９]",
    "scrape markers (##paidbegin##)": r"#{2}\s*(?:paid|free|vip)?\s*(?:begin|end|start)\s*#{2}",
    "slogan numerals (十四五, 两个维护, 三重一大, 第一书记 …)":
        r"十四五|两个维护|两个确立|三重一大|一规划两纲要|“八五”|\"八五\"|一村一法律顾问|第一书记|第一書記|一岗双责|"
        r"四个意识|双随机|三项制度|两委|四不两直|三管三必须|四个不摘|两不愁三保障|三会一课",
    "rules and quotas (每月巡河三次, 每年安排2.5万元)":
        rf"每(?:月|周|季度|年|半年|天|汛期|个?村)[^，。；,;]{{0,14}}?(?:[\d.]+|[{NUM}]+)(?:次|名|万元|元)",
    "一是/二是 enumerations": r"一是.{2,}?二是",
    "stray characters for line breaks (Р, U+2028, Word bullets)": r"[Р\u2028\u2029\ue000-\uf8ff\x0b]",
}


def line_breaks(text):
    """Mid-sentence line breaks: a long line that stops without clause-final punctuation and the
    next line goes on with text (not a heading or a table row)."""
    lines = [re.sub(PATTERNS["scrape markers (##paidbegin##)"], "", line).strip() for line in text.split("\n")]
    furniture = re.compile(PATTERNS["site furniture (来源：, 责任编辑, 打印本页, 关闭窗口, 浏览次数, ICP备 …)"] + r"|发布时间|(?:报告|总结|報告)$")
    heading = re.compile(r"^(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十\d]+）|\(|\d+[.、]|[一二三四五六七八九十]是|\||第[一二三四五六七八九十]+部分)")
    return any(len(a) >= 20 and a[-1] not in "。；：！？”）.;:!?)|" and not (heading.match(a) and len(a) <= 40) and not furniture.search(a) and b
               and not heading.match(b) and re.match(rf"[{CJK}\d，、.]", b) for a, b in zip(lines[1:], lines[2:]))


def traditional_share(text):
    """Share of CJK characters that are traditional-only (their simplified form differs)."""
    from opencc import OpenCC

    t2s = OpenCC("t2s").convert
    cjk = re.findall(rf"[{CJK}]", text)
    chars = collections.Counter(cjk)
    trad = sum(n for ch, n in chars.items() if t2s(ch) != ch)
    return trad, trad / max(1, len(cjk))


def kinds(rec):
    path = CORPORA / rec["file"]
    text = read_report(path)
    found = {k for k, p in PATTERNS.items() if re.search(p, text, flags=re.M)}
    trad, share = traditional_share(text)
    if share > 0.1:
        found.add("traditional script, whole report (繁體)")
    elif trad >= 10:
        found.add("traditional passages in a simplified report")
    if line_breaks(text):
        found.add("mid-sentence line breaks")
    if any(i.get("value_max") is not None for i in rec["indicators"]):
        found.add("ranges (3至5次, 2-3万元; gold value_max)")
    if any(i["value"] == 0 for i in rec["indicators"]):
        found.add("explicit zeros (无…案件, 零事故; gold value 0)")
    if path.suffix == ".docx":
        found.add(".docx file")
    else:
        try:
            path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            found.add("GBK-encoded .txt")
    return found


def main(gold=CORPORA / "gold"):
    recs = records(gold)
    per = {r["file"]: kinds(r) for r in recs}
    batch6 = {f for f in per if pathlib.Path(f).name.startswith("b6_")}
    total = collections.Counter(k for ks in per.values() for k in ks)
    new = collections.Counter(k for f, ks in per.items() if f in batch6 for k in ks)
    print(f"| kind of mess | reports (of {len(recs)}) | of them batch 6 (of {len(batch6)}) |")
    print("| --- | --- | --- |")
    for kind, n in sorted(total.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"| {kind} | {n} | {new[kind]} |")


if __name__ == "__main__":
    main(*sys.argv[1:])
