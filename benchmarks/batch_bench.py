"""Benchmark of `nlp-reports batch` (issue 6): throughput with 1 and 2 workers, and peak memory.

    python benchmarks/batch_bench.py [--reports 2000] [--repeats 3] [--memory 1000,10000] [--keep DIR]

Generates N reports from the corpus (numbers and places varied, benchmarks/generate.py) into a
temporary folder, runs `nlp-reports batch` on a fresh store with --workers 1 and --workers 2,
alternately `--repeats` times, and prints reports/second and the 2-worker speed-up (best run of
each, and the median). Each run also prints the cores the batch's process tree used and those
other processes used meanwhile (/proc/stat less the tree), because on a shared 2-core machine
that is what decides the speed-up. Then it runs batch (2 workers) over two sizes and prints the peak
memory of the whole process tree (writer + workers, sampled every 50 ms), which should not grow
with the number of reports, and the time of a `compare` over the larger store.
Not a test: it takes minutes.
"""
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

BIN = pathlib.Path(sys.executable).parent
TICK = os.sysconf("SC_CLK_TCK")


def _busy_seconds() -> float:
    """CPU seconds all processes of the machine have used since boot (/proc/stat)."""
    with open("/proc/stat") as fh:
        fields = [int(x) for x in fh.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / TICK


def run(cmd, sample_memory: bool = False) -> dict:
    """Wall seconds, peak RSS of the process tree (MiB), the cores the tree used and the cores
    other processes used (both averaged over the run), and the output of one command. The tree's
    CPU is sampled every 50 ms from every process in it (the workers are the forkserver's children,
    which getrusage never sees)."""
    import psutil

    busy0, start = _busy_seconds(), time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak, cpu = 0, {}
    root = psutil.Process(proc.pid)
    while proc.poll() is None:
        try:
            procs = [root] + root.children(recursive=True)
            rss = 0
            for p in procs:
                with p.oneshot():
                    t = p.cpu_times()
                    cpu[p.pid] = t.user + t.system
                    rss += p.memory_info().rss if sample_memory else 0
            peak = max(peak, rss)
        except psutil.Error:
            pass
        time.sleep(0.05)
    seconds = time.monotonic() - start
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, cmd[:2]))} failed ({proc.returncode}): {err[-800:]}")
    ours = sum(cpu.values()) / seconds
    others = (_busy_seconds() - busy0) / seconds - ours
    return {"seconds": seconds, "peak": peak / 2**20, "ours": ours, "others": max(0.0, others), "out": out.strip()}


def batch(folder, db, workers: int, sample_memory: bool = False) -> dict:
    for suffix in ("", "-wal", "-shm", ".lock"):
        pathlib.Path(f"{db}{suffix}").unlink(missing_ok=True)
    return run([str(BIN / "nlp-reports"), "batch", str(folder), "--db", str(db), "--workers", str(workers),
                "--no-progress"], sample_memory)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reports", type=int, default=2000, help="reports for the throughput runs (default 2000)")
    ap.add_argument("--repeats", type=int, default=3, help="runs of each worker count, alternating (default 3)")
    ap.add_argument("--memory", default="1000,10000", help="two sizes for the memory runs, or 'none' (or 'skip', as in run.py)")
    ap.add_argument("--keep", help="generate into this folder and keep it (default: a temporary folder)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = pathlib.Path(args.keep or tmp)
        t0 = time.monotonic()
        generate.write(args.reports, work / "reports")
        print(f"generated {args.reports:,} reports in {time.monotonic() - t0:.1f} s; "
              f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
        times: dict = {1: [], 2: []}
        for i in range(args.repeats):
            for workers in (1, 2):
                r = batch(work / "reports", work / f"w{workers}.db", workers)
                times[workers].append(r["seconds"])
                print(f"run {i + 1}, {workers} worker{'s' if workers > 1 else ' '}: "
                      f"{args.reports / r['seconds']:7.1f} reports/s ({r['seconds']:.1f} s), "
                      f"batch used {r['ours']:.2f} cores, other processes {r['others']:.2f}   {r['out']}")
        best = {w: min(t) for w, t in times.items()}
        med = {w: statistics.median(t) for w, t in times.items()}
        print(f"best : 1 worker {args.reports / best[1]:.1f} reports/s, 2 workers {args.reports / best[2]:.1f} "
              f"reports/s, speed-up {best[1] / best[2]:.2f}x")
        print(f"median: speed-up {med[1] / med[2]:.2f}x")
        if args.memory not in ("none", "skip"):
            sizes = sorted(int(x) for x in args.memory.split(","))
            peaks = []
            for n in sizes:
                folder = work / f"mem{n}"
                generate.write(n, folder)
                r = batch(folder, work / f"mem{n}.db", 2, sample_memory=True)
                db_mib = (work / f"mem{n}.db").stat().st_size / 2**20
                peaks.append(r["peak"])
                print(f"{n:>6,} reports: peak {r['peak']:.0f} MiB (writer + 2 workers), {n / r['seconds']:.1f} reports/s, "
                      f"store {db_mib:.0f} MiB, other processes used {r['others']:.2f} cores")
            print(f"peak memory ratio {sizes[-1]:,} / {sizes[0]:,} reports: {peaks[-1] / peaks[0]:.2f}")
            r = run([str(BIN / "nlp-reports"), "compare", "--db", str(work / f"mem{sizes[-1]}.db"), "--format", "csv"])
            print(f"compare over the {sizes[-1]:,}-report store: {r['seconds']:.2f} s")


if __name__ == "__main__":
    main()
