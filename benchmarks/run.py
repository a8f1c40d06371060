"""The benchmark suite (issue 7): one run, the same generated reports, medians over repeats.

    python benchmarks/run.py [--reports 300] [--repeats 5] [--batch-reports 2000] [--batch-repeats 3]
                             [--memory 1000,10000] [--cold-repeats 9] [--json FILE]

(a) plain `jieba.cut` over N reports (jieba's own dictionary, a fresh Tokenizer, HMM on), with our
    tokenizer (rjieba backend, user dictionary) beside it for reference;
(b) the full pipeline (normalise, structure, indicators, canonical keys, problems and measures,
    themes) over the same reports in the same process, each repeat right after an (a) pass, so that
    both see the same load; the ratio (b)/(a) is the median of the repeats' ratios;
(c) `nlp-reports batch` on a fresh store with 1 and 2 workers, alternating;
(d) peak memory of the whole `batch` process tree (writer and workers, benchmarks/batch_bench.py)
    with 2 workers at two sizes;
(e) a cold whole-process `nlp-reports extract` of the seed report (with classification) against
    `python -m jieba` on the same file, alternating.
Reports come from benchmarks/generate.py (the corpus with its numbers and places varied). Each
figure is printed with the ratio its target is stated in, and the load average before and after:
on a shared machine it decides the wall times. Not a test: it takes minutes (--memory skip leaves
out the 11,000 reports of (d))."""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import batch_bench  # noqa: E402
import generate  # noqa: E402

SEED = generate.ROOT / "corpora" / "reports" / "000_51954c0da616a2a1.txt"
BIN = pathlib.Path(sys.executable).parent
TARGETS = {"pipeline_over_jieba": (">=", 1.5), "batch_speedup": (">=", 1.8), "memory_ratio": ("<=", 1.2),
           "cold_ratio": ("<=", 1.3)}


def timed(fn) -> tuple[float, float]:
    """(wall, CPU) seconds of one call."""
    w0, c0 = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - w0, time.process_time() - c0


def throughput(texts: list[str], repeats: int) -> dict:
    """(a) and (b): characters per second of jieba.cut, of our tokenizer and of the pipeline."""
    import jieba

    from nlp_reports.analyse import analyse_text
    from nlp_reports.classify import get_model
    from nlp_reports.tokenize import get_tokenizer

    jieba.setLogLevel(60)
    reference = jieba.Tokenizer()
    reference.initialize()
    ours = get_tokenizer()
    model = get_model()
    for text in texts[:3]:  # warm every lazy load
        analyse_text(text, classifier=model), ours.cut(text), list(reference.cut(text))
    runs = []
    for _ in range(repeats):
        runs.append({"jieba": timed(lambda: [list(reference.cut(t)) for t in texts]),
                     "pipeline": timed(lambda: [analyse_text(t, classifier=model) for t in texts]),
                     "ours": timed(lambda: [ours.cut(t) for t in texts])})
    chars = sum(map(len, texts))

    def rate(stage):
        return chars / statistics.median(r[stage][0] for r in runs) / 1e6
    return {"reports": len(texts), "chars": chars, "classifier": model is not None,
            "jieba_mcs": rate("jieba"), "pipeline_mcs": rate("pipeline"), "ours_mcs": rate("ours"),
            "pipeline_over_jieba": statistics.median(r["jieba"][0] / r["pipeline"][0] for r in runs),
            "pipeline_over_jieba_cpu": statistics.median(r["jieba"][1] / r["pipeline"][1] for r in runs)}


def batches(folder: pathlib.Path, n: int, repeats: int, work: pathlib.Path) -> dict:
    """(c): reports per second with 1 and 2 workers (medians), alternating runs."""
    seconds: dict = {1: [], 2: []}
    others: list = []
    for _ in range(repeats):
        for workers in (1, 2):
            r = batch_bench.batch(folder, work / f"c{workers}.db", workers)
            seconds[workers].append(r["seconds"])
            others.append(r["others"])
    t1, t2 = statistics.median(seconds[1]), statistics.median(seconds[2])
    return {"batch_reports": n, "batch_1_rps": n / t1, "batch_2_rps": n / t2, "batch_speedup": t1 / t2,
            "batch_others_cores": statistics.median(others)}


def memory(sizes: tuple[int, int], work: pathlib.Path) -> dict:
    """(d): peak RSS of the batch process tree (MiB) at two sizes, the small set a prefix of the large."""
    small, large = sorted(sizes)
    generate.write(large, work / "d_large")
    (work / "d_small").mkdir()
    for path in sorted((work / "d_large").iterdir())[:small]:
        os.link(path, work / "d_small" / path.name)
    peaks = [batch_bench.batch(work / name, work / f"{name}.db", 2, sample_memory=True)["peak"]
             for name in ("d_small", "d_large")]
    return {"memory_sizes": [small, large], "memory_mib": peaks, "memory_ratio": peaks[1] / peaks[0]}


def cold(repeats: int) -> dict:
    """(e): wall seconds of whole processes on the seed report (medians), alternating."""
    commands = {"extract": [str(BIN / "nlp-reports"), "extract", str(SEED)],
                "jieba": [sys.executable, "-m", "jieba", str(SEED)]}
    for cmd in commands.values():  # the files in the OS cache, the bytecode written
        subprocess.run(cmd, capture_output=True, check=True)
    times: dict = {k: [] for k in commands}
    for _ in range(repeats):
        for name, cmd in commands.items():
            t0 = time.perf_counter()
            subprocess.run(cmd, capture_output=True, check=True)
            times[name].append(time.perf_counter() - t0)
    extract, jieba = statistics.median(times["extract"]), statistics.median(times["jieba"])
    return {"cold_extract_s": extract, "cold_jieba_s": jieba, "cold_ratio": extract / jieba}


def _target(name: str, value: float) -> str:
    op, bound = TARGETS[name]
    met = value >= bound if op == ">=" else value <= bound
    return f"{value:.2f}x   (target {op} {bound}: {'met' if met else 'NOT met'})"


def _load() -> str:
    return "load average {:.2f} {:.2f} {:.2f} on {} cores".format(*os.getloadavg(), os.cpu_count())


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reports", type=int, default=300, help="reports for (a) and (b) (default 300)")
    ap.add_argument("--repeats", type=int, default=5, help="passes of (a) and (b) (default 5)")
    ap.add_argument("--batch-reports", type=int, default=2000, help="reports for (c) (default 2000)")
    ap.add_argument("--batch-repeats", type=int, default=3, help="runs of each worker count (default 3)")
    ap.add_argument("--memory", default="1000,10000", help="two report counts for (d), or 'skip'")
    ap.add_argument("--cold-repeats", type=int, default=9, help="runs of each command in (e) (default 9)")
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args(argv)

    figures: dict = {"load_before": os.getloadavg()}
    print(f"benchmarks/run.py: {_load()}")
    r = throughput(generate.generate(args.reports), args.repeats)
    figures.update(r)
    print(f"(a) jieba.cut              {r['jieba_mcs']:.3f} M chars/s over {r['reports']} reports ({r['chars']:,} chars)")
    print(f"    our tokenizer (rjieba) {r['ours_mcs']:.3f} M chars/s")
    print(f"(b) full pipeline          {r['pipeline_mcs']:.3f} M chars/s "
          f"(themes {'on' if r['classifier'] else 'OFF: no model'})")
    print(f"    pipeline / jieba       {_target('pipeline_over_jieba', r['pipeline_over_jieba'])}; "
          f"in CPU time {r['pipeline_over_jieba_cpu']:.2f}x")

    with tempfile.TemporaryDirectory() as tmp:
        work = pathlib.Path(tmp)
        generate.write(args.batch_reports, work / "c")
        r = batches(work / "c", args.batch_reports, args.batch_repeats, work)
        figures.update(r)
        print(f"(c) batch, 1 worker        {r['batch_1_rps']:.1f} reports/s over {args.batch_reports:,} reports")
        print(f"    batch, 2 workers       {r['batch_2_rps']:.1f} reports/s "
              f"(other processes used {r['batch_others_cores']:.2f} cores meanwhile)")
        print(f"    speed-up               {_target('batch_speedup', r['batch_speedup'])}")
        if args.memory != "skip":
            r = memory(tuple(int(x) for x in args.memory.split(",")), work)
            figures.update(r)
            (small, large), (m_small, m_large) = r["memory_sizes"], r["memory_mib"]
            print(f"(d) batch peak memory      {m_small:.0f} MiB at {small:,} reports, {m_large:.0f} MiB at {large:,}")
            print(f"    ratio                  {_target('memory_ratio', r['memory_ratio'])}")

    r = cold(args.cold_repeats)
    figures.update(r)
    print(f"(e) cold extract (themes)  {r['cold_extract_s']:.3f} s; python -m jieba {r['cold_jieba_s']:.3f} s")
    print(f"    ratio                  {_target('cold_ratio', r['cold_ratio'])}")
    figures["load_after"] = os.getloadavg()
    print(f"benchmarks/run.py: done, {_load()}")
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
