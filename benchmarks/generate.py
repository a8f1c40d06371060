"""Benchmark input: N reports made from the corpus with varied numbers and places.

Every Arabic number is replaced by a random one of the same number of digits and the place in
the title by a generated town name, so that repeated runs do not measure one text N times."""
from __future__ import annotations

import pathlib
import random
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]
_SYLLABLES = "安宝北昌成大东丰福高古广和河红华黄吉江金景康兰乐利临龙茂梅民南宁平青清庆瑞山上石双顺泰桃天田通万文西祥新兴阳永玉云长正中"
_SUFFIXES = ["镇", "乡", "街道"]
_NUMBER = re.compile(r"\d+")


def corpus_texts() -> list[str]:
    from nlp_reports.loading import load_file

    return [load_file(p).text for p in sorted((ROOT / "corpora" / "reports").iterdir()) if p.suffix in (".txt", ".docx")]


def vary(text: str, rng: random.Random) -> str:
    place = "".join(rng.choice(_SYLLABLES) for _ in range(2)) + rng.choice(_SUFFIXES)
    first, _, rest = text.partition("\n")
    first = re.sub(r"^[^\d（]{0,12}?(?:镇|乡|街道|社区|村|局|区|县)", place, first, count=1)
    body = _NUMBER.sub(lambda m: str(rng.randint(10 ** (len(m.group()) - 1), 10 ** len(m.group()) - 1))
                       if not (len(m.group()) == 4 and m.group().startswith("20")) else m.group(), rest)
    return first + "\n" + body


def generate(n: int, seed: int = 7) -> list[str]:
    base = corpus_texts()
    rng = random.Random(seed)
    return [vary(base[i % len(base)], rng) for i in range(n)]


def write(n: int, folder, seed: int = 7) -> list[pathlib.Path]:
    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, text in enumerate(generate(n, seed)):
        path = folder / f"r{i:06d}.txt"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths
