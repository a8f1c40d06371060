"""Benchmark of `nlp-reports batch` (issue 6): throughput with 1 and 2 workers, and peak memory.

    python benchmarks/batch_bench.py [--reports 2000] [--memory 1000,10000] [--keep DIR]

Generates N reports from the corpus (numbers and places varied, benchmarks/generate.py) into a
temporary folder, runs `nlp-reports batch` on a fresh store with --workers 1 and --workers 2 and
prints reports/second and the 2-worker speed-up; then runs batch (2 workers) over two sizes and
prints the peak memory of the whole process tree (writer + workers, sampled every 50 ms), which
should not grow with the number of reports. Not a test: it takes minutes.
"""
from __future__ import annotations

import argparse
import pathlib
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import generate  # noqa: E402

BIN = pathlib.Path(sys.executable).parent


def run_batch(folder, db, workers: int) -> tuple[float, float, str]:
    """Wall seconds, peak RSS of the process tree in MiB, and the summary line of one batch run."""
    import psutil

    cmd = [str(BIN / "nlp-reports"), "batch", str(folder), "--db", str(db), "--workers", str(workers), "--no-progress"]
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0
    root = psutil.Process(proc.pid)
    while proc.poll() is None:
        try:
            procs = [root] + root.children(recursive=True)
            peak = max(peak, sum(p.memory_info().rss for p in procs if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.05)
    seconds = time.monotonic() - start
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"batch failed ({proc.returncode}): {err[-800:]}")
    return seconds, peak / 2**20, out.strip()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reports", type=int, default=2000, help="reports for the throughput runs (default 2000)")
    ap.add_argument("--memory", default="1000,10000", help="two sizes for the memory runs, or 'none'")
    ap.add_argument("--keep", help="generate into this folder and keep it (default: a temporary folder)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = pathlib.Path(args.keep or tmp)
        t0 = time.monotonic()
        generate.write(args.reports, work / "reports")
        print(f"generated {args.reports:,} reports in {time.monotonic() - t0:.1f} s")
        t1, m1, s1 = run_batch(work / "reports", work / "w1.db", 1)
        print(f"1 worker : {args.reports / t1:7.1f} reports/s  ({t1:.1f} s, peak {m1:.0f} MiB)   {s1}")
        t2, m2, s2 = run_batch(work / "reports", work / "w2.db", 2)
        print(f"2 workers: {args.reports / t2:7.1f} reports/s  ({t2:.1f} s, peak {m2:.0f} MiB)   {s2}")
        print(f"speed-up with 2 workers: {t1 / t2:.2f}x")
        if args.memory != "none":
            sizes = sorted(int(x) for x in args.memory.split(","))
            peaks = []
            for n in sizes:
                folder = work / f"mem{n}"
                generate.write(n, folder)
                t, m, _s = run_batch(folder, work / f"mem{n}.db", 2)
                db_mib = (work / f"mem{n}.db").stat().st_size / 2**20
                peaks.append(m)
                print(f"{n:>6,} reports: peak {m:.0f} MiB (writer + 2 workers), {n / t:.1f} reports/s, store {db_mib:.0f} MiB")
            print(f"peak memory ratio {sizes[-1]:,} / {sizes[0]:,} reports: {peaks[-1] / peaks[0]:.2f}")


if __name__ == "__main__":
    main()
