"""The register matcher of a crawl: kept on disk between crawls, built beside the crawl.

Building the matcher over a national register is the largest fixed cost of a crawl (about 30
seconds of CPU for 100,000 employers on a busy machine, against a few seconds of fetching for
a small crawl). So, for a register of at least ``background_min`` employers:

- the matcher is stored in the data folder (``cache/matcher/<fingerprint>.pickle``, one file:
  older ones are removed) and loaded from there (well under a second) by the next crawl as
  long as the register is unchanged. The fingerprint is a SHA-256 of every register column
  the matcher reads, of ``Matcher.VERSION`` and of the source of ``entity_resolution`` (a
  changed normaliser is a changed matcher), so a stale file is never used;
- without such a file, the matcher is built in a child process (``python -m
  pipelines.matcher_cache DB_URL OUT``) on the other core while the crawl starts fetching;
  the first write batch waits for it.

Smaller registers are built in the crawl process at once, as before (it takes a moment). The
file is written by Vigie itself into its own data folder, as trusted as the database.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import subprocess
import sys
import threading
from pathlib import Path

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

import entity_resolution
from entity_resolution.matcher import Matcher
from pipelines import PipelineError
from pipelines.match_process import MatchProcess
from pipelines.register_sync import ENTRY_COLUMNS, build_matcher
from storage.db import make_engine
from storage.models import Employer

log = logging.getLogger(__name__)

BACKGROUND_MIN = 20_000  # employers from which the matcher is cached and built aside


def _code_digest() -> str:
    """SHA-256 of the entity_resolution package's files (code and data)."""
    root = Path(entity_resolution.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix != ".pyc":
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def register_fingerprint(engine: Engine) -> str:
    """What the matcher is built from, hashed: the register columns it reads (raw rows, in
    id order), the matcher's version and code."""
    digest = hashlib.sha256(f"{Matcher.VERSION}\n{_code_digest()}\n".encode())
    columns = ", ".join(("id", *ENTRY_COLUMNS))
    with engine.connect() as conn:
        # The DBAPI cursor and plain tuples: SQLAlchemy's rows (and their repr, which
        # truncates each value) doubled the cost, paid at every crawl start.
        cursor = conn.connection.cursor()
        try:
            cursor.execute(f"SELECT {columns} FROM employer ORDER BY id")  # noqa: S608
            while rows := cursor.fetchmany(5000):
                digest.update(repr([tuple(row) for row in rows]).encode())
        finally:
            cursor.close()
    return digest.hexdigest()[:32]


def write_matcher(engine: Engine, path: Path) -> Matcher:
    """Build the matcher of the register in ``engine`` and store it at ``path`` (atomically)."""
    with Session(engine) as session:
        matcher = build_matcher(session)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.part")
    partial.write_bytes(pickle.dumps(matcher, protocol=pickle.HIGHEST_PROTOCOL))
    partial.replace(path)
    return matcher


class MatcherLoader:
    """Gives the crawl its matcher: :meth:`start` in ``open_spider``, :meth:`get` when the
    first item needs it (waits for a build in progress)."""

    def __init__(
        self, engine: Engine, folder: Path | None = None, background_min: int = BACKGROUND_MIN,
        process: str = "off",
    ) -> None:
        self.engine = engine
        self.folder = folder
        self.background_min = background_min
        # "auto": a register of ``background_min`` employers or more is matched in a child
        # process (:mod:`pipelines.match_process`); "on": any register; "off": in this one.
        if process not in ("auto", "on", "off"):
            raise PipelineError(f"match process must be auto, on or off, not {process!r}")
        self.process = process
        self.source = "built"  # built | cache | child | process (for the log and the tests)
        self._matcher: Matcher | MatchProcess | None = None
        self._error: BaseException | None = None
        self._ready = threading.Event()

    def start(self) -> None:
        with Session(self.engine) as session:
            size = int(session.exec(select(func.count()).select_from(Employer)).one())
        if self.folder is not None and (
            self.process == "on" or (self.process == "auto" and size >= self.background_min)
        ):
            self._start_process(size)
            return
        if self.folder is None or size < self.background_min:
            with Session(self.engine) as session:
                self._matcher = build_matcher(session)
            self._ready.set()
            return
        path = self.folder / f"{register_fingerprint(self.engine)}.pickle"
        if path.exists():
            try:
                self._matcher = pickle.loads(path.read_bytes())
            except (OSError, EOFError, pickle.UnpicklingError, AttributeError) as exc:
                log.warning("matcher cache %s unreadable (%r): building it again", path, exc)
            else:
                self.source = "cache"
                self._ready.set()
                log.info("matcher of %d employers loaded from %s", size, path)
                return
        for old in self.folder.glob("*.pickle"):
            old.unlink(missing_ok=True)
        self.source = "child"
        url = self.engine.url.render_as_string(hide_password=False)
        # The URL (it may hold a password) goes through a pipe, not the command line,
        # which every user of the machine can read in ``ps``.
        child = subprocess.Popen(
            [sys.executable, "-m", "pipelines.matcher_cache", "-", str(path)],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        assert child.stdin is not None
        child.stdin.write(url.encode("utf-8") + b"\n")
        child.stdin.close()
        child.stdin = None  # communicate() must not touch the closed pipe
        log.info("matcher of %d employers being built in process %d", size, child.pid)
        threading.Thread(target=self._wait, args=(child, path), daemon=True).start()

    def _start_process(self, size: int) -> None:
        """Match in a child process, which finds the cached matcher or builds it."""
        assert self.folder is not None
        self.folder.mkdir(parents=True, exist_ok=True)
        url = self.engine.url.render_as_string(hide_password=False)
        process = MatchProcess(url, self.folder)  # it fingerprints the register itself
        self._matcher, self.source = process, "process"
        self._ready.set()
        log.info("matcher of %d employers served by process %d", size, process.pid)

    def close(self) -> None:
        """End the matcher's child process, if it has one."""
        if isinstance(self._matcher, MatchProcess):
            self._matcher.close()

    def _wait(self, child: subprocess.Popen[bytes], path: Path) -> None:
        _, err = child.communicate()
        try:
            if child.returncode != 0:
                raise PipelineError(
                    f"matcher build failed ({child.returncode}): {err.decode()[-500:]}")
            self._matcher = pickle.loads(path.read_bytes())
        except (OSError, EOFError, pickle.UnpicklingError, PipelineError) as exc:
            self._error = exc
        finally:
            self._ready.set()

    def get(self) -> Matcher | MatchProcess:
        self._ready.wait()
        if self._error is not None:
            raise PipelineError(f"no matcher for this crawl: {self._error}") from self._error
        assert self._matcher is not None
        if isinstance(self._matcher, MatchProcess):
            self._matcher.wait_ready()
        return self._matcher


def cache_folder(data_dir: Path) -> Path:
    """Where the crawls of the data folder ``data_dir`` keep their matcher."""
    return data_dir / "cache" / "matcher"


def warm(engine: Engine, folder: Path) -> Path:
    """Build the matcher of the register as it is now into ``folder`` (what a crawl would
    build at its start), unless it is there already; its path."""
    path = folder / f"{register_fingerprint(engine)}.pickle"
    if not path.exists():
        for old in folder.glob("*.pickle"):
            old.unlink(missing_ok=True)
        write_matcher(engine, path)
    return path


def main(argv: list[str] | None = None) -> int:
    """``python -m pipelines.matcher_cache DB_URL OUT``: build the matcher, write it to the
    file OUT; with ``--warm DB_URL DATA_DIR``: into that data folder's cache, where the next
    crawl finds it (after a register import, so that crawls do not build it). ``DB_URL`` ``-``:
    read it from the first line of standard input (keeps a password off the command line)."""
    args = sys.argv[1:] if argv is None else argv
    warming = bool(args) and args[0] == "--warm"
    if warming:
        args = args[1:]
    if len(args) != 2:
        print("usage: python -m pipelines.matcher_cache [--warm] DB_URL OUT|DATA_DIR",
              file=sys.stderr)
        return 2
    url = sys.stdin.readline().strip() if args[0] == "-" else args[0]
    engine = make_engine(url)
    try:
        if warming:
            print(warm(engine, cache_folder(Path(args[1]))))
        else:
            write_matcher(engine, Path(args[1]))
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
