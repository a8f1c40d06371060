"""Change gold records in place, safely when several people (or helpers) edit the gold at once:
each edit takes an exclusive lock on corpora/gold/.lock, re-reads the file, applies the change and
writes it back atomically.

    from edit_gold import update
    def fix(rec):                      # return the record (changed) or None to leave it
        ...
    update("reports/b1_01_quanxi_2021.txt", fix)
"""
import fcntl
import json
import os
import pathlib
import tempfile

GOLD = pathlib.Path(__file__).resolve().parents[1] / "gold"


def update(file: str, change) -> bool:
    """Apply `change(record) -> record | None` to the gold record of `file` (e.g.
    'reports/b1_01_quanxi_2021.txt'); True if a record was found and changed."""
    with open(GOLD / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for path in sorted(GOLD.glob("*.jsonl")):
            lines = path.read_text(encoding="utf-8").splitlines()
            recs = [json.loads(line) for line in lines if line.strip()]
            for i, rec in enumerate(recs):
                if rec["file"] == file:
                    new = change(json.loads(json.dumps(rec)))
                    if new is None or new == rec:
                        return False
                    recs[i] = new
                    fd, tmp = tempfile.mkstemp(dir=GOLD, suffix=".tmp")
                    with os.fdopen(fd, "w", encoding="utf-8") as fh:
                        fh.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in recs)
                    os.replace(tmp, path)
                    return True
    return False
