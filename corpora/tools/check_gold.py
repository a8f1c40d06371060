"""Check gold JSONL files against corpora/ANNOTATION.md: fields, allowed values, and that every
quoted text occurs in its report. Usage: python corpora/tools/check_gold.py corpora/gold/*.jsonl
Prints one line per problem and exits 1 if there is any."""
import json
import pathlib
import sys

CORPORA = pathlib.Path(__file__).resolve().parents[1]
LEVELS = {"省", "市", "县", "区", "乡", "镇", "街道", "村", "社区", "部门"}
TYPES = {"法治建设工作自查报告", "法治政府建设年度报告", "述法报告", "普法工作总结", "安全生产自查报告",
         "意识形态工作自查报告", "党风廉政建设自查报告", "河长制工作自查报告", "生态环境保护自查报告",
         "信访工作自查报告", "优化营商环境自查报告", "财务管理自查报告", "预算执行自查报告",
         "乡村振兴工作自查报告", None}
QUALIFIERS = {"exact", "more_than", "about", "less_than", "up_to"}
SCOPES = {"cumulative", "period", "as_of", "target", "baseline", None}
KINDS = {"count", "people", "money", "rate", "change", "area", "length", "time", "other"}
ROLES = {"overview", "practice", "problems", "next_steps"}
THEMES = {"leadership", "study_training", "publicity", "decision_rules", "enforcement",
          "disputes_petitions", "public_services", "transparency_oversight", "safety_emergency",
          "environment", "integrity_discipline", "ideology", "economy_development", "other"}


def read_report(path):
    if path.suffix == ".docx":
        import zipfile, re
        xml = zipfile.ZipFile(path).read("word/document.xml").decode("utf-8")
        paras = re.findall(r"<w:p[ >].*?</w:p>", xml, flags=re.S)
        return "\n".join("".join(re.findall(r"<w:t[^>]*>([^<]*)</w:t>", p)) for p in paras)
    raw = path.read_bytes()
    for enc in ("utf-8-sig", "utf-16", "gb18030"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    raise ValueError("undecodable")


def check_record(rec, where):
    errs = []
    def err(msg):
        errs.append(f"{where}: {msg}")
    for key in ("file", "split", "meta", "indicators", "problems", "measures", "sections"):
        if key not in rec:
            err(f"missing field {key}")
    if errs:
        return errs
    path = CORPORA / rec["file"]
    if not path.exists():
        return [f"{where}: file {rec['file']} does not exist"]
    text = read_report(path)
    flat = text.replace("\n", "")
    if rec["split"] not in {"train", "dev", "test"}:
        err(f"split {rec['split']!r}")
    meta = rec["meta"]
    for key in ("title", "place", "place_level", "year", "report_type"):
        if key not in meta:
            err(f"meta.{key} missing")
    if meta.get("place_level") not in LEVELS:
        err(f"meta.place_level {meta.get('place_level')!r}")
    if meta.get("report_type") not in TYPES:
        err(f"meta.report_type {meta.get('report_type')!r}")
    if meta.get("year") is not None and not isinstance(meta.get("year"), int):
        err(f"meta.year {meta.get('year')!r} is not an integer or null")
    for i, ind in enumerate(rec["indicators"]):
        tag = f"indicator {i} {ind.get('text')!r}"
        for key in ("text", "name", "value", "value_max", "unit", "qualifier", "scope", "kind"):
            if key not in ind:
                err(f"{tag}: missing {key}")
        if ind.get("text") and ind["text"] not in text and ind["text"] not in flat:
            err(f"{tag}: text not found in the report")
        if not isinstance(ind.get("value"), (int, float)):
            err(f"{tag}: value {ind.get('value')!r} is not a number")
        if ind.get("qualifier") not in QUALIFIERS:
            err(f"{tag}: qualifier {ind.get('qualifier')!r}")
        if ind.get("scope") not in SCOPES:
            err(f"{tag}: scope {ind.get('scope')!r}")
        if ind.get("kind") not in KINDS:
            err(f"{tag}: kind {ind.get('kind')!r}")
        if ind.get("kind") == "change" and ind.get("direction") not in {"up", "down"}:
            err(f"{tag}: change without direction up/down")
    for field in ("problems", "measures"):
        for i, item in enumerate(rec[field]):
            if item.get("text", "") not in text and item.get("text", "") not in flat:
                err(f"{field} {i} {item.get('text', '')[:20]!r}: text not found in the report")
    for i, sec in enumerate(rec["sections"]):
        tag = f"section {i} {sec.get('heading', '')[:20]!r}"
        if sec.get("heading", "") not in text and sec.get("heading", "") not in flat:
            err(f"{tag}: heading not found in the report")
        if sec.get("level") not in (1, 2, 3):
            err(f"{tag}: level {sec.get('level')!r}")
        if sec.get("role") not in ROLES:
            err(f"{tag}: role {sec.get('role')!r}")
        if sec.get("theme") not in THEMES:
            err(f"{tag}: theme {sec.get('theme')!r}")
        if sec.get("theme2") not in THEMES | {None}:
            err(f"{tag}: theme2 {sec.get('theme2')!r}")
    return errs


def main(paths):
    problems = []
    for p in paths:
        for n, line in enumerate(pathlib.Path(p).read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                problems.append(f"{p}:{n}: invalid JSON ({exc})")
                continue
            problems += check_record(rec, f"{p}:{n} {rec.get('file')}")
    for line in problems:
        print(line)
    print(f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
