"""What classifying a report's sections costs (issue 5's budget: at most 0.5 ms per 1,000
characters of report), over the reports of generate.generate(N), already normalised and parsed.

    python benchmarks/classify_bench.py [--reports 100] [--repeats 9] [--model models/default]

Prints the median and the best of the repeats, as wall and as CPU time of this process (CPU time
is steadier on a machine that others share)."""
from __future__ import annotations

import argparse
import pathlib
import statistics
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import generate  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reports", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=9)
    ap.add_argument("--model", default=None, help="model folder [default: the default model]")
    args = ap.parse_args(argv)

    from nlp_reports.classify import get_model
    from nlp_reports.normalise import normalise
    from nlp_reports.structure import parse_sections

    model = get_model(args.model)
    texts = [normalise(t) for t in generate.generate(args.reports)]
    parsed = [(t, parse_sections(t)) for t in texts]
    chars = sum(map(len, texts))
    for text, sections in parsed[:5]:  # warm caches
        model.classify_sections(text, sections)
    wall, cpu = [], []
    for _ in range(args.repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        for text, sections in parsed:
            model.classify_sections(text, sections)
        wall.append(time.perf_counter() - w0)
        cpu.append(time.process_time() - c0)
    per = 1e6 / chars  # seconds → ms per 1,000 characters
    print(f"{len(texts)} reports, {chars:,} characters, {sum(len(s) for _, s in parsed):,} sections")
    print(f"wall: median {statistics.median(wall) * per:.3f}, best {min(wall) * per:.3f} ms per 1,000 characters")
    print(f"cpu:  median {statistics.median(cpu) * per:.3f}, best {min(cpu) * per:.3f} ms per 1,000 characters "
          "(budget 0.5)")


if __name__ == "__main__":
    main()
