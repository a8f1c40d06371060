"""Many files → the store: discovery, manifest, the workers (a local pool or a Dask cluster) and the
one writer.

Workers get paths and send back store.record()s (row tuples ready for SQL, the sentences' MinHash
signatures, the place); only this process writes to the store, one transaction per report.
Lexicons are loaded once per worker process (resources.load is cached), never per report.
"""
from __future__ import annotations

import contextlib
import csv
import glob
import hashlib
import io
import itertools
import os
import stat
import sys
import time
from dataclasses import dataclass, field

from .errors import InputError, ReportError

SUFFIXES = (".txt", ".docx")
MANIFEST_FIELDS = ("place", "year", "report_type", "province", "city", "county")


@dataclass
class Summary:
    total: int = 0
    processed: int = 0
    skipped: int = 0
    failed: int = 0
    updated: int = 0      # skipped reports whose metadata the manifest changed
    ignored: dict = field(default_factory=dict)  # suffix → files in the folders that are neither .txt nor .docx
    seconds: float = 0.0
    run_id: int | None = None
    failures: list = field(default_factory=list)  # (path, one-line error)


# -- discovery ---------------------------------------------------------------------------------
def discover(paths) -> tuple[list[str], list[tuple[str, str]], dict[str, int]]:
    """Files named by `paths` (files, folders searched recursively, globs), each once, in a stable
    order; (path, error) for paths that name nothing; and how many files of each other suffix the
    folders hold (a .pdf or .doc left out is said, not silently dropped). Symlinked folders are
    followed, but a folder already visited (a symlink loop) is not entered again."""
    found, missing, seen_files, seen_dirs, ignored = [], [], set(), set(), {}

    def add(path):
        # A link that leads nowhere (dangling, a loop) has no real path of its own: it is known by
        # its real folder and its name, so that one reached twice (through a looping folder) is once.
        real = os.path.realpath(path) if os.path.exists(path) else \
            os.path.join(os.path.realpath(os.path.dirname(os.path.abspath(path))), os.path.basename(path))
        if real not in seen_files:
            seen_files.add(real)
            found.append(os.path.abspath(path))

    def unreadable(exc: OSError):  # a folder we may not list is a failure, not silently nothing
        missing.append((os.path.abspath(exc.filename), f"cannot read the folder ({exc.strerror})"))

    for arg in paths:
        arg = os.fspath(arg)
        if os.path.isdir(arg):
            for folder, dirs, files in os.walk(arg, followlinks=True, onerror=unreadable):
                ident = _dir_id(folder)
                if ident in seen_dirs:
                    dirs[:] = []
                    continue
                seen_dirs.add(ident)
                dirs.sort()
                for name in sorted(files):
                    if name.startswith((".", "~$")):  # hidden files, Word's lock files
                        continue
                    if name.lower().endswith(SUFFIXES):
                        add(os.path.join(folder, name))
                    else:
                        suffix = os.path.splitext(name)[1].lower() or "(no suffix)"
                        ignored[suffix] = ignored.get(suffix, 0) + 1
        elif os.path.exists(arg) or os.path.islink(arg):
            add(arg)  # named explicitly: tried whatever its suffix, so the user hears why it fails
        elif glob.has_magic(arg):
            matches = sorted(glob.glob(arg, recursive=True))
            files = [m for m in matches if os.path.isfile(m) and m.lower().endswith(SUFFIXES)]
            if not files:
                missing.append((arg, "no .txt or .docx file matches this pattern"))
            for m in files:
                add(m)
        else:
            missing.append((os.path.abspath(arg), "no such file or folder"))
    return found, missing, ignored


def describe_ignored(ignored: dict[str, int]) -> str:
    """'3 files (2 .pdf, 1 .doc)', most common suffix first."""
    counts = sorted(ignored.items(), key=lambda kv: (-kv[1], kv[0]))
    n = sum(ignored.values())
    return f"{n} file{'s' if n != 1 else ''} (" + ", ".join(f"{c} {s}" for s, c in counts) + ")"


def _dir_id(folder):
    try:
        st = os.stat(folder)
        return (st.st_dev, st.st_ino)
    except OSError:
        return folder


# -- manifest ----------------------------------------------------------------------------------
def read_manifest(path) -> dict[str, dict]:
    """{real path: overrides} from a CSV with a `path` column and any of place, year, report_type,
    province, city, county (header names are matched without case or surrounding spaces); other
    columns become report attributes (`attrs`). Relative paths are taken from the manifest's
    folder. UTF-8 (with or without BOM) or, as Excel saves it on Chinese Windows, GB18030."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise InputError(f"cannot read the manifest ({exc.strerror})", path) from None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            rows = list(csv.reader(io.StringIO(raw.decode(encoding), newline="")))
            break
        except UnicodeDecodeError:
            continue
        except csv.Error as exc:
            raise InputError(f"the manifest is not a CSV file ({exc})", path) from None
    else:
        raise InputError("the manifest is neither UTF-8 nor GB18030 text", path)
    header = [h.strip() for h in rows[0]] if rows else []
    header = [h.lower() if h.lower() in MANIFEST_FIELDS + ("path",) else h for h in header]
    if "path" not in header:
        raise InputError("the manifest needs a header row with a `path` column", path)
    base, out, lines = os.path.dirname(os.path.abspath(path)), {}, {}
    for line, cells in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        row = dict(zip(header, (c.strip() for c in cells)))
        file = row.pop("path", "")
        if not file:
            raise InputError(f"line {line}: empty path", path)
        over = {k: row.pop(k) or None for k in MANIFEST_FIELDS if k in row}
        if over.get("year"):
            try:
                over["year"] = int(over["year"])
            except ValueError:
                raise InputError(f"line {line}: year {over['year']!r} is not a whole number", path) from None
        over["attrs"] = {k: v for k, v in row.items() if k and v}
        key = os.path.realpath(os.path.join(base, file))
        if key in lines:
            raise InputError(f"line {line}: {file} is listed already on line {lines[key]}", path)
        lines[key] = line
        out[key] = over
    return out


# -- the worker --------------------------------------------------------------------------------
def extract_record(path: str, over: dict | None = None, model: str | None = None) -> dict:
    """Analyse one file into what the writer stores (store.record: row tuples, sentences' MinHash
    signatures, the place) or {"ok": False, path, error} with a one-line error. Never raises for a
    bad file. `model` is a theme model folder (loaded once per worker process) or None to leave
    themes empty."""
    over = over or {}
    try:
        from .analyse import analyse_file
        from .store import record

        classifier = None
        if model:
            from .classify.model import get_model

            classifier = get_model(str(model))
        report = analyse_file(path, place=over.get("place"), year=over.get("year"), classifier=classifier)
        return record(report, path=os.path.abspath(path), report_type=over.get("report_type"),
                      place=_identify(report.meta.place, over), attrs=over.get("attrs"))
    except ReportError as exc:
        return {"ok": False, "path": path, "error": str(exc) if exc.path else f"{path}: {exc}"}
    except RecursionError:
        return {"ok": False, "path": path, "error": f"{path}: too deeply nested to analyse"}
    except MemoryError:
        return {"ok": False, "path": path, "error": f"{path}: out of memory"}
    except Exception as exc:  # a bug must not stop a batch of thousands: record it and go on
        msg = " ".join(str(exc).split())[:200]
        return {"ok": False, "path": path, "error": f"{path}: internal error ({type(exc).__name__}: {msg})"}


def _identify(name: str | None, over: dict) -> dict:
    """The place of a report named `name` (by its text or the manifest), with the manifest's levels."""
    from .places import identify

    return identify(name, over.get("province"), over.get("city"), over.get("county")).to_dict()


def _warm_up() -> None:
    """Load the lexicons once in a fresh worker process."""
    from .analyse import analyse_text

    analyse_text("某某镇2023年工作报告\n一、主要工作\n全年共办理案件12件，同比增长5%。")


def _init_worker() -> None:
    """Pool worker start-up: load the lexicons, silence stderr (extract_record returns every error
    as a record, so all a worker could still print is the pool's broken-pipe traceback when the
    batch is killed under it) and yield the CPU to the writer."""
    _warm_up()
    sys.stderr = open(os.devnull, "w")
    # The one writer must never wait for a core: when it falls behind, every worker waits for it.
    if hasattr(os, "nice"):
        os.nice(5)


def _work(task):
    return extract_record(*task)


# -- executors: each yields records as they finish ---------------------------------------------
PRELOAD_MODEL = "NLP_REPORTS_PRELOAD_MODEL"


def start_pool(workers: int, model: str | None = None):
    """The worker processes, started now so that they load the lexicons (and the theme `model`)
    while the writer hashes the files; None for one worker (extraction then runs in the writer's
    process)."""
    return WorkerPool(workers, model) if workers > 1 else None


class _Worker:
    """One worker process and this end of its own pipe, with the tasks it holds in order."""

    def __init__(self, ctx):
        import collections

        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_serve, args=(child,), daemon=True)
        self.proc.start()
        child.close()  # only the worker holds its end now: when it dies, a read here ends (EOF)
        self.held = collections.deque()
        self.alone = False    # holds one file retried after a worker died with it
        self.started = False  # …and has said it began on it (a worker killed before that proves nothing)

    def send(self, task, alone: bool = False) -> bool:
        try:
            self.conn.send((task, alone))
        except OSError:  # the worker is gone; the caller finds out from its pipe
            return False
        self.held.append(task)
        self.alone, self.started = alone, False
        return True

    def stop(self, kill: bool = False) -> None:
        if self.proc.is_alive() and not kill:
            with contextlib.suppress(OSError):
                self.conn.send(None)
            self.proc.join(1)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(5)
        self.conn.close()


def _serve(conn) -> None:
    """A worker: analyse the tasks that come down `conn` and send back their records, until None
    or the writer closes its end. Ctrl-C is the writer's to handle: it stops the workers."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _init_worker()
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        task, alone = message
        if alone:
            conn.send(_STARTED)
        conn.send(_work(task))


_STARTED = "started"


class WorkerPool:
    """The worker processes of a local batch, each with its own pipe, so that a worker that dies
    (the out-of-memory killer, a crash in a C extension) is noticed at once and cannot leave a
    half-written message in a pipe others share (concurrent.futures then waits for ever). The files
    it held are tried again one at a time, each alone in a worker, and a file that kills its
    worker again is recorded as failed. Each worker holds at most DEPTH files, so it never waits
    for the next one and finished records never pile up anywhere.

    Workers are forked from a forkserver that loaded the lexicons and the theme model once
    (nlp_reports._preload), so a new worker starts warm and shares those pages with the others."""

    DEPTH = 2

    def __init__(self, workers: int, model: str | None = None):
        import multiprocessing as mp

        if "forkserver" in mp.get_all_start_methods():
            self._ctx = mp.get_context("forkserver")
            self._ctx.set_forkserver_preload(["nlp_reports._preload"])
            os.environ[PRELOAD_MODEL] = model or ""  # read by the forkserver, which this process starts
        else:
            self._ctx = mp.get_context("spawn")
        self._workers = [_Worker(self._ctx) for _ in range(workers)]
        self._lost_before_start = 0

    def terminate(self) -> None:
        for w in self._workers:
            w.stop(kill=True)
        self._workers = []

    def close(self) -> None:
        for w in self._workers:
            w.stop()
        self._workers = []

    def run(self, tasks):
        """Records of `tasks` as they finish."""
        import collections
        from multiprocessing.connection import wait

        tasks, again = iter(tasks), collections.deque()
        while True:
            for i, w in enumerate(self._workers):
                if again and not w.held:  # alone, so that if it dies again the file is named
                    self._give(i, again.popleft(), again, alone=True)
                elif not again and not w.alone:
                    for task in itertools.islice(tasks, self.DEPTH - len(w.held)):
                        if not self._give(i, task, again):
                            break
            busy = [w for w in self._workers if w.held]
            if not busy:
                if again:
                    continue  # a worker was just replaced: it takes them next time round
                return
            ready = set(wait([w.conn for w in busy] + [w.proc.sentinel for w in busy]))
            for w in busy:
                if w.conn not in ready and w.proc.sentinel not in ready:
                    continue
                try:
                    rec = w.conn.recv()  # what a dead worker sent in full is still read
                except (EOFError, OSError):
                    yield from self._replace(w, again)
                    continue
                if rec == _STARTED:
                    w.started = True
                    continue
                w.held.popleft()
                w.alone = False
                yield rec

    def _give(self, i: int, task, again, alone: bool = False) -> bool:
        """Send `task` to worker i. One that died holding files is found out by its pipe, and the
        task waits in `again`; one that died idle is replaced now, and the new one takes it."""
        w = self._workers[i]
        if w.send(task, alone):
            return True
        if not w.held:
            w.stop(kill=True)
            self._workers[i] = w = _Worker(self._ctx)
            if w.send(task, alone):
                return True
        again.append(task)
        return False

    def _replace(self, dead: _Worker, again) -> list:
        """A worker died: put a fresh one in its place; its files are tried again alone, except
        the one it held alone, which is recorded as failed."""
        failed = []
        if dead.alone and dead.started:
            path = dead.held[0][0]
            failed.append({"ok": False, "path": path,
                           "error": f"{path}: the worker process died analysing it (out of memory?)"})
        elif dead.alone:  # killed before it began (a worker dying when the file was sent): no proof
            self._lost_before_start += 1
            if self._lost_before_start > 3 * len(self._workers):
                raise ReportError("the worker processes die as soon as they start; see the system log")
            again.appendleft(dead.held[0])
        else:
            again.extend(dead.held)
        dead.stop(kill=True)
        self._workers[self._workers.index(dead)] = _Worker(self._ctx)
        return failed


class _Starting:
    """A WorkerPool being started in a thread of its own (see start_pool)."""

    def __init__(self, workers: int, model: str | None):
        from concurrent.futures import ThreadPoolExecutor

        executor = ThreadPoolExecutor(1)
        self._future = executor.submit(start_pool, workers, model)
        executor.shutdown(wait=False)  # its thread ends once the one call has run

    def pool(self) -> WorkerPool:
        return self._future.result()

    def terminate(self) -> None:
        with contextlib.suppress(Exception):  # a pool that failed to start has nothing to stop
            self._future.result().terminate()


def run_local(tasks, pool):
    """Records of `tasks` from `pool` (see start_pool), which this closes, or in this process."""
    if pool is None:
        _warm_up()
        for task in tasks:
            yield _work(task)
        return
    try:
        yield from pool.run(tasks)
        pool.close()
    finally:
        pool.terminate()


def run_dask(tasks, scheduler: str):
    """Submit to a running Dask scheduler, a bounded window of tasks at a time, and yield results
    as they complete (so memory stays flat however many files)."""
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise InputError("--executor dask needs dask[distributed]: pip install 'nlp-reports[store]'") from None
    try:
        client = Client(scheduler, timeout="20s", set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise InputError(f"cannot reach the Dask scheduler at {scheduler} ({exc})") from None
    try:
        window = max(4, 4 * sum(client.nthreads().values()))
        tasks = iter(tasks)
        pending = {}

        def submit(n):
            futures = []
            for task in itertools.islice(tasks, n):
                fut = client.submit(extract_record, *task, pure=False)
                pending[fut.key] = task[0]
                futures.append(fut)
            return futures

        first = submit(window)
        if not first:
            return
        done = as_completed(first, loop=client.loop)
        for fut in done:
            path = pending.pop(fut.key)
            try:
                yield fut.result()
            except Exception as exc:  # a worker died: the file's error, not the batch's
                yield {"ok": False, "path": path, "error": f"{path}: Dask worker failed ({type(exc).__name__}: {exc})"}
            fut.release()
            for new in submit(1):
                done.add(new)
    finally:
        client.close()


# -- the writer --------------------------------------------------------------------------------
def file_sha256(path: str) -> str | None:
    h = hashlib.sha256()
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None  # opening a FIFO blocks and a device never ends: the worker refuses it
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    except OSError:
        return None  # the worker will say why
    return h.hexdigest()


def run_batch(db, paths, *, workers: int | None = None, executor: str = "local", scheduler: str | None = None,
              manifest=None, force: bool = False, rubric=None, wait: bool = False, progress=None,
              command: str = "batch", model: str | None = None) -> Summary:
    """Extract every file under `paths` (and those the manifest lists) into the store `db`.

    Files whose content is stored already are skipped unless `force` (a skipped file that moved
    gets its new path). `progress(summary)` is called after each file. `model` (a theme model
    folder) fills section themes. Scores are recomputed at the end. Raises StoreError if the store
    is in use by another batch (unless `wait`) or cannot be written."""
    from . import __version__
    from .scoring import load_rubric, recompute_reuse, rescore
    from .store import Store, exclusive

    rubric = load_rubric(rubric)
    overrides = read_manifest(manifest) if manifest else {}
    files, missing, ignored = discover(list(paths) or list(overrides))
    if not files and not missing:
        there = f"; it holds {describe_ignored(ignored)} of other kinds" if ignored else ""
        raise InputError("no .txt or .docx files found in " + ", ".join(map(str, paths or [manifest])) + there)
    workers = workers or _cores()
    start = time.monotonic()
    summary = Summary(total=len(files) + len(missing), ignored=ignored)
    with contextlib.ExitStack() as stack:
        # The workers start in the background (their forkserver loads the lexicons and the model)
        # while this process checks the model (before the store is touched), opens the store and
        # hashes the files.
        starting = _Starting(workers, str(model) if model else None) if executor == "local" and workers > 1 else None
        if starting is not None:
            stack.callback(starting.terminate)  # whatever stops the batch before run_local closes it
        label = model_label(model)
        stack.enter_context(exclusive(db, wait))
        store = stack.enter_context(Store(db))
        summary.run_id = store.begin_run(__version__, command, executor, 1 if executor == "dask" else workers,
                                         model=label)
        store.recover_keys()  # of a batch killed before it wrote its last band keys
        for path, error in missing:
            _failed(store, summary, path, f"{path}: {error}", progress)
        stored = store.known_hashes()
        seen, tasks = set(), []
        for path in files:
            digest = file_sha256(path)
            over = overrides.get(os.path.realpath(path), {})
            if digest is not None and (digest in seen or (digest in stored and not force)):
                if digest in stored and stored[digest] != path and not os.path.exists(stored[digest]):
                    store.move(digest, path)
                if digest in stored and over:  # a manifest given after the fact needs no re-extraction
                    summary.updated += store.update_meta(digest, over, _identify)
                summary.skipped += 1
                _tick(progress, summary)
                continue
            seen.add(digest)  # the same content twice in one batch is stored once
            tasks.append((path, over, str(model) if model else None))
        results = run_dask(tasks, scheduler) if executor == "dask" else \
            run_local(tasks, starting.pool() if starting is not None else None)
        try:
            for rec in results:
                if rec["ok"]:
                    store.add_report(rec, summary.run_id)
                    summary.processed += 1
                    _tick(progress, summary)
                else:
                    _failed(store, summary, rec["path"], rec["error"], progress)
        finally:
            results.close()
            summary.seconds = time.monotonic() - start
            store.finish_run(summary.run_id, summary.processed, summary.skipped, summary.failed)
        store.flush_keys()
        if store.state("reuse_rebuild"):
            recompute_reuse(store)
        rescore(store, rubric)
    summary.seconds = time.monotonic() - start
    return summary


def model_label(model) -> str | None:
    """How runs.model names the theme model: its folder and the start of its arrays' sha256."""
    if not model:
        return None
    from .classify.model import get_model

    loaded = get_model(str(model))
    digest = (loaded.manifest.get("arrays") or {}).get("sha256", "")
    return f"{loaded.path} (sha256 {digest[:12]})" if digest else str(loaded.path)


def _failed(store, summary, path, error, progress):
    error = " ".join(error.split())
    store.add_failure(summary.run_id, path, error)
    summary.failed += 1
    summary.failures.append((path, error))
    _tick(progress, summary)


def _tick(progress, summary):
    if progress is not None:
        progress(summary)


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1
