"""The benchmark suite (issue 7): one run, the same texts, medians over repeats.

    python benchmarks/run.py [--reports 300] [--repeats 3] [--batch-reports 400] [--memory 1000,10000]

(a) plain jieba.cut over N reports; (b) the full extraction pipeline over the same reports;
(c) `nlp-reports batch` with 1 and 2 workers; (d) peak memory of `batch` at two sizes;
(e) cold whole-process `nlp-reports extract` on the seed against `python -m jieba` on it.
Prints each figure and the ratios the targets are stated in."""
from __future__ import annotations

import argparse
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import generate  # noqa: E402

ROOT = generate.ROOT
SEED = ROOT / "corpora" / "reports" / "000_51954c0da616a2a1.txt"
BIN = pathlib.Path(sys.executable).parent


def median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def throughput(texts: list[str], repeats: int) -> dict:
    import jieba

    from nlp_reports.analyse import analyse_text
    from nlp_reports.classify import get_model

    chars = sum(map(len, texts))
    tok = jieba.Tokenizer()
    tok.initialize()
    t_jieba = median_time(lambda: [list(tok.cut(t)) for t in texts], repeats)
    model = get_model()
    analyse_text(texts[0], classifier=model)
    t_pipe = median_time(lambda: [analyse_text(t, classifier=model) for t in texts], repeats)
    return {"chars": chars, "jieba_mcs": chars / t_jieba / 1e6, "pipeline_mcs": chars / t_pipe / 1e6,
            "ratio": t_jieba / t_pipe, "classifier": model is not None}


def cold(cmd: list[str], repeats: int) -> float:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "0"}
    subprocess.run(cmd, capture_output=True, check=True, env=env)  # warm the OS file cache
    return median_time(lambda: subprocess.run(cmd, capture_output=True, check=True, env=env), repeats)


def batch_run(folder, workers: int, db) -> tuple[float, int]:
    """Wall time and peak RSS (KiB, the whole process tree) of one `nlp-reports batch` run."""
    cmd = ["/usr/bin/time", "-f", "%M", str(BIN / "nlp-reports"), "batch", str(folder), "--db", str(db),
           "--workers", str(workers)]
    t0 = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if res.returncode not in (0, 1):
        raise SystemExit(f"batch failed: {res.stderr[-500:]}")
    peak = int(res.stderr.strip().splitlines()[-1])
    return elapsed, peak


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reports", type=int, default=300, help="reports for (a) and (b)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--batch-reports", type=int, default=400, help="reports for (c)")
    ap.add_argument("--memory", default="1000,10000", help="two report counts for (d), or 'skip'")
    ap.add_argument("--cold-repeats", type=int, default=7)
    args = ap.parse_args(argv)

    texts = generate.generate(args.reports)
    r = throughput(texts, args.repeats)
    print(f"(a) jieba.cut            {r['jieba_mcs']:.3f} M chars/s over {args.reports} reports ({r['chars']:,} chars)")
    print(f"(b) full pipeline        {r['pipeline_mcs']:.3f} M chars/s (classification {'on' if r['classifier'] else 'OFF: no model'})")
    print(f"    ratio pipeline/jieba {r['ratio']:.2f}x   (target >= 1.5)")

    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        generate.write(args.batch_reports, tmp / "c")
        t1, _ = batch_run(tmp / "c", 1, tmp / "c1.db")
        t2, _ = batch_run(tmp / "c", 2, tmp / "c2.db")
        print(f"(c) batch 1 worker       {args.batch_reports / t1:.1f} reports/s ({t1:.1f} s)")
        print(f"    batch 2 workers      {args.batch_reports / t2:.1f} reports/s ({t2:.1f} s)")
        print(f"    speed-up             {t1 / t2:.2f}x   (target >= 1.8)")
        if args.memory != "skip":
            small, large = (int(x) for x in args.memory.split(","))
            generate.write(large, tmp / "d")
            files = sorted((tmp / "d").iterdir())
            (tmp / "d_small").mkdir()
            for f in files[:small]:
                os.link(f, tmp / "d_small" / f.name)
            _, m_small = batch_run(tmp / "d_small", 2, tmp / "d1.db")
            _, m_large = batch_run(tmp / "d", 2, tmp / "d2.db")
            print(f"(d) peak memory of batch {m_small / 1024:.0f} MiB at {small:,} reports, {m_large / 1024:.0f} MiB at {large:,}")
            print(f"    ratio                {m_large / m_small:.2f}x   (target <= 1.2)")

    t_ext = cold([str(BIN / "nlp-reports"), "extract", str(SEED)], args.cold_repeats)
    t_jieba = cold([sys.executable, "-m", "jieba", str(SEED)], args.cold_repeats)
    print(f"(e) cold nlp-reports extract seed {t_ext:.3f} s; python -m jieba seed {t_jieba:.3f} s")
    print(f"    ratio                {t_ext / t_jieba:.2f}x   (target <= 1.3)")


if __name__ == "__main__":
    main()
