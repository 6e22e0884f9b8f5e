"""Start ``python -m vigie ...`` processes without paying Python's start-up each time (helper).

A crawl process spends about 2.5 s of CPU importing Scrapy, Twisted, SQLAlchemy and our
rooms before it fetches anything; the robustness tests start dozens of them (killed, resumed,
workers). A *zygote* — one process per test process, started on first use — imports those
modules once (no reactor installed, no engine, no thread) and forks a child for each command.
The child is a process of its own, as ``python -m vigie`` would be: its own environment,
working folder, standard streams (files or ``/dev/null``), its own session when asked (so
``os.killpg`` reaches it and only it), and it runs ``vigie/__main__.py`` as ``__main__``
through :mod:`runpy`, then exits as the interpreter does (``atexit`` handlers, streams
flushed). What the zygote saves is the imports; the command, its signals and its exit are the
real ones. :func:`popen` returns a handle with the part of :class:`subprocess.Popen` the tests
use (``pid``, ``poll``, ``wait``, ``returncode``, ``kill``, ``send_signal``) plus the child's
peak memory.

    python -m tests.vigie_zygote SOCKET_PATH   # the zygote itself (started by :func:`popen`)
"""

from __future__ import annotations

import gc
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import types
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

# What ``vigie crawl``, ``vigie worker`` and ``vigie scheduler`` import before they start (Scrapy's
# default components among them); none installs a reactor or starts a thread.
PRELOAD = (
    "vigie.cli",
    "vigie.crawl",
    "vigie.distributed",
    "vigie.scrapy_imports",
    "scrapy.crawler",
    "scrapy.core.engine",
    "scrapy.core.downloader.handlers.http11",
    "scrapy.downloadermiddlewares.cookies",
    "scrapy.downloadermiddlewares.defaultheaders",
    "scrapy.downloadermiddlewares.downloadtimeout",
    "scrapy.downloadermiddlewares.httpauth",
    "scrapy.downloadermiddlewares.httpcache",
    "scrapy.downloadermiddlewares.httpproxy",
    "scrapy.downloadermiddlewares.offsite",
    "scrapy.downloadermiddlewares.redirect",
    "scrapy.downloadermiddlewares.robotstxt",
    "scrapy.downloadermiddlewares.stats",
    "scrapy.downloadermiddlewares.useragent",
    "scrapy.extensions.closespider",
    "scrapy.extensions.corestats",
    "scrapy.extensions.feedexport",
    "scrapy.extensions.logcount",
    "scrapy.extensions.logstats",
    "scrapy.extensions.memdebug",
    "scrapy.extensions.memusage",
    "scrapy.extensions.spiderstate",
    "scrapy.extensions.throttle",
    "scrapy.logformatter",
    "scrapy.pqueues",
    "scrapy.robotstxt",
    "scrapy.spidermiddlewares.depth",
    "scrapy.spidermiddlewares.metacopy",
    "scrapy.spidermiddlewares.referer",
    "scrapy.spidermiddlewares.start",
    "scrapy.spidermiddlewares.urllength",
    "scrapy.squeues",
    "scrapy.statscollectors",
    "protego",
    "queuelib",
    "tldextract",
    "sqlalchemy.dialects.sqlite",
    "sqlalchemy.dialects.postgresql.psycopg",
    "psycopg",
    "spiders.jobs",
    "spiders.settings",
    "spiders.distributed",
    "spiders.distributed_worker",
    "pipelines.items",
    "pipelines.capture",
    "pipelines.progress",
    "scheduler.service",
    "apscheduler.executors.pool",
    # The spider tests' harness (tests/spiders/harness.py): Scrapy's spider loader imports every
    # spider module, and without vigie.crawl's trimmed extensions Scrapy loads the telnet and
    # remote-control ones (aiohttp); Chromium crawls load scrapy-playwright. 0.7 s of CPU per
    # child, 18 MiB more resident in each (far under the crawl memory bound a test checks).
    "spiders.boards",
    "spiders.browser_pool",
    "spiders.feeds",
    "spiders.gazette",
    "spiders.listings",
    "spiders.registry",
    "spiders.websites",
    "scrapy_playwright.handler",
    "scrapy.exporters",
    "scrapy.extensions.remote_control",
    "scrapy.extensions.telnet",
    "scrapy.core.downloader.handlers.datauri",
    "scrapy.core.downloader.handlers.file",
    "scrapy.core.downloader.handlers.ftp",
    "scrapy.core.downloader.handlers.s3",
    # Loaded lazily by every crawl after start-up (the CLI's click and Rich parts, numpy.ma,
    # JSON-LD parsing, VAT-number modules of the countries the demo's pages name): 0.1-0.2 s
    # of CPU per child.
    "click",
    "typer._adapters",
    "typer._click.decorators",
    "rich._emoji_codes",
    "numpy.ma",
    "rdflib.plugins.serializers.jsonld",
    "rdflib.plugins.stores.memory",
    "encodings.utf_8_sig",
    "phonenumbers.data.region_BE",
    "stdnum.be",
    "stdnum.bg.vat",
    "stdnum.pl",
    "stdnum.pt",
    "stdnum.ro",
)


# -- the zygote process ------------------------------------------------------------------------
def _child(request: dict[str, Any]) -> None:
    """In the forked child: become the requested ``python -m vigie`` process; never returns."""
    if request["new_session"]:
        os.setsid()
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for fd, name, flags in ((0, None, os.O_RDONLY),
                            (1, request["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
                            (2, request["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)):
        target = os.open(name or os.devnull, flags, 0o644)
        os.dup2(target, fd)
        os.close(target)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    import runpy

    if request.get("script"):  # python SCRIPT ARGS
        sys.path[0] = os.path.dirname(os.path.abspath(request["script"]))
        sys.argv = [request["script"], *request["args"]]
        runpy.run_path(request["script"], run_name="__main__")
    else:  # python -m vigie ARGS
        sys.path[0] = os.getcwd()
        sys.argv = [str(ROOT / "vigie" / "__main__.py"), *request["args"]]
        runpy.run_module("vigie", run_name="__main__", alter_sys=True)
    raise SystemExit(0)


def _warm() -> None:
    """Load once what every crawl child would otherwise load on its first item: the legal-form
    index of company names and the postcode table (``functools.cache``-d readers of the
    repository's data files: 0.2-0.3 s of CPU per child), and SQLAlchemy's mapper
    configuration of our models. Pure functions of files: a child computes the same."""
    from sqlalchemy.orm import configure_mappers

    import storage.models  # noqa: F401 — the mappers configured below
    from entity_resolution.geo import lookup_postcode
    from entity_resolution.names import normalize_name

    configure_mappers()
    normalize_name("Vigie SRL")
    lookup_postcode("1000")


def serve(path: str) -> None:
    """Fork a child per request; report each child's pid, then its exit status and peak
    memory, on the request's connection. Ends when its standard input closes (the test
    process ended) — single-threaded: a fork copies no other thread."""
    import importlib

    for name in PRELOAD:
        importlib.import_module(name)
    if "twisted.internet.reactor" in sys.modules:
        raise SystemExit("zygote: a preloaded module installed a reactor")
    _warm()
    # What the imports made is out of the cycle collector's sight before any fork (as
    # ``vigie.heap.settle`` does in a crawl once it started): else each child's first full
    # collections walk the zygote's 220,000 objects again, writing to every page that holds
    # one (copy-on-write: ~65 MB copied and ~0.2 s of CPU per child, for nothing).
    gc.collect()
    gc.freeze()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)
    print("ready", flush=True)
    children: dict[int, tuple[int, socket.socket]] = {}  # pidfd -> (pid, connection)
    while True:
        ready, _, _ = select.select([sys.stdin, listener, *children], [], [])
        if sys.stdin in ready and not sys.stdin.readline():
            shutil.rmtree(os.path.dirname(path), ignore_errors=True)  # the socket's folder
            return
        if listener in ready:
            conn, _ = listener.accept()
            request = json.loads(conn.makefile("r").readline())
            pid = os.fork()
            if pid == 0:
                listener.close()
                conn.close()
                for pidfd, (_pid, other) in children.items():
                    os.close(pidfd)
                    other.close()
                _child(request)
            conn.sendall(f"{pid}\n".encode())
            children[os.pidfd_open(pid)] = (pid, conn)
        for fd in [fd for fd in ready if isinstance(fd, int)]:
            pid, conn = children.pop(fd)
            os.close(fd)
            _, status, usage = os.wait4(pid, 0)
            try:
                conn.sendall(json.dumps({"returncode": os.waitstatus_to_exitcode(status),
                                         "max_rss_kb": usage.ru_maxrss}).encode() + b"\n")
            except OSError:
                pass  # the test let go of this child: nobody to tell
            conn.close()


# -- the test process's side -------------------------------------------------------------------
class Child:
    """A process the zygote forked: the part of ``subprocess.Popen`` the tests use."""

    def __init__(self, conn: socket.socket) -> None:
        self._conn = conn
        self._buffer = b""
        self.pid = int(self._line(None))
        self.returncode: int | None = None
        self.max_rss_kb = 0

    def _line(self, timeout: float | None) -> bytes | None:
        """The zygote's next line on this child's connection (``None``: not within
        ``timeout`` s)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while b"\n" not in self._buffer:
            left = None if deadline is None else max(deadline - time.monotonic(), 0)
            ready, _, _ = select.select([self._conn], [], [], left)
            if not ready:
                return None
            data = self._conn.recv(4096)
            if not data:
                raise RuntimeError("the zygote closed a child's connection before its end")
            self._buffer += data
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line

    def poll(self) -> int | None:
        return self.wait(timeout=0) if self.returncode is None else self.returncode

    def wait(self, timeout: float | None = None) -> int | None:
        """The exit code (negative: killed by that signal), as ``Popen.wait``; ``timeout=0``
        answers at once (``None`` while the child runs)."""
        if self.returncode is not None:
            return self.returncode
        line = self._line(timeout)
        if line is None:
            if timeout == 0:
                return None
            raise subprocess.TimeoutExpired(f"pid {self.pid}", timeout or 0)
        done = json.loads(line)
        self.returncode, self.max_rss_kb = done["returncode"], done["max_rss_kb"]
        self._conn.close()
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.returncode is None:
            os.kill(self.pid, sig)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class _Zygote:
    def __init__(self) -> None:
        self.folder = tempfile.mkdtemp(prefix="vigie-zygote-")
        self.path = os.path.join(self.folder, "sock")
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(
            os.pathsep)
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.vigie_zygote", self.path],
                                     env=env, cwd=ROOT,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        if self.proc.stdout.readline().strip() != "ready":
            raise RuntimeError(f"the zygote did not start (exit {self.proc.wait()})")

    def fork(self, request: dict[str, Any]) -> Child:
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.connect(self.path)
        conn.sendall(json.dumps(request).encode() + b"\n")
        return Child(conn)

    def close(self) -> None:
        """Stop the zygote: its standard input closes (as when this process dies)."""
        assert self.proc.stdin is not None
        if not self.proc.stdin.closed:
            self.proc.stdin.close()  # the zygote removes its folder and ends
            self.proc.wait(timeout=30)


_zygote: _Zygote | None = None
_lock = threading.Lock()


def popen(args: list[str], env: Mapping[str, str], cwd: Path | str = ROOT,
          stdout: Path | str | None = None, stderr: Path | str | None = None,
          start_new_session: bool = False, script: Path | str | None = None) -> Child:
    """``python -m vigie ARGS`` as a child of the zygote (``ARGS`` without ``python -m vigie``),
    or ``python SCRIPT ARGS`` (a test helper that ends in the CLI): ``env`` is its whole
    environment; ``stdout``/``stderr`` files (``None``: ``/dev/null``)."""
    global _zygote
    with _lock:
        if _zygote is None or _zygote.proc.poll() is not None:
            _zygote = _Zygote()
            import atexit

            atexit.register(_zygote.close)
        zygote = _zygote
    return zygote.fork({"args": list(args), "env": dict(env), "cwd": str(cwd),
                        "stdout": str(stdout) if stdout else None,
                        "stderr": str(stderr) if stderr else None,
                        "new_session": start_new_session,
                        "script": str(script) if script else None})


def run(args: list[str], env: Mapping[str, str], timeout: float, cwd: Path | str = ROOT,
        stdout: Path | str | None = None, stderr: Path | str | None = None) -> Child:
    """:func:`popen`, waited for (killed and ``TimeoutError`` after ``timeout`` s)."""
    child = popen(args, env, cwd, stdout, stderr)
    deadline = time.monotonic() + timeout
    try:
        child.wait(timeout=max(deadline - time.monotonic(), 0.001))
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
        raise TimeoutError(f"vigie {' '.join(args[:2])} still running after {timeout} s") from None
    return child


class VigiePopen:
    """Stand-in for ``subprocess.Popen`` of a ``python -m vigie ...`` (or ``python SCRIPT
    ...``) child: the same command and environment, forked by the zygote; its output goes to
    files read back by ``communicate`` (text), as with ``stdout=PIPE, stderr=PIPE``; signals
    reach the child itself (``send_signal``, ``kill``)."""

    def __init__(self, cmd: list[str], env: Mapping[str, str] | None = None,
                 cwd: Path | str = ROOT, start_new_session: bool = False,
                 **_streams: Any) -> None:
        if cmd[:3] == [sys.executable, "-m", "vigie"]:
            args, script = cmd[3:], None
        else:
            assert cmd[0] == sys.executable and cmd[1].endswith(".py"), cmd
            args, script = cmd[2:], cmd[1]
        self.args = cmd
        self._out, self._err = _scratch_file(), _scratch_file()
        self._output: tuple[str, str] | None = None
        self._child = popen(args, dict(os.environ if env is None else env), cwd,
                            stdout=self._out, stderr=self._err,
                            start_new_session=start_new_session, script=script)
        self.pid = self._child.pid

    @property
    def returncode(self) -> int | None:
        return self._child.returncode

    def poll(self) -> int | None:
        return self._child.poll()

    def wait(self, timeout: float | None = None) -> int | None:
        return self._child.wait(timeout)

    def send_signal(self, sig: int) -> None:
        self._child.send_signal(sig)

    def kill(self) -> None:
        self._child.kill()

    def communicate(self, timeout: float | None = None) -> tuple[str, str]:
        self._child.wait(timeout)
        if self._output is None:
            out, err = (Path(p).read_text(errors="replace") for p in (self._out, self._err))
            os.unlink(self._out)
            os.unlink(self._err)
            self._output = (out, err)
        return self._output


def run_captured(cmd: list[str], timeout: float, cwd: Path | str = ROOT,
                 env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Stand-in for ``subprocess.run(cmd, capture_output=True, text=True, timeout=...)`` of a
    ``python -m vigie ...`` or ``python SCRIPT ...`` child (the spider tests' harness): forked by
    the zygote instead of a new Python importing Scrapy again; killed after ``timeout`` s."""
    proc = VigiePopen(cmd, env, cwd)
    try:
        out, err = proc.communicate(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise
    return subprocess.CompletedProcess(cmd, int(proc.returncode or 0), out, err)


def _scratch_file() -> str:
    handle, path = tempfile.mkstemp(prefix="vigie-child-")
    os.close(handle)
    return path


def _run_vigie(cmd: list[str], env: Mapping[str, str] | None = None,
               check: bool = False, timeout: float = 3600) -> subprocess.CompletedProcess[str]:
    """Stand-in for ``subprocess.run`` of a ``python -m vigie ...`` child (``vigie demo``'s
    crawls, the scheduler's retention job; their output was not captured: discarded here).
    After ``timeout`` s the child is killed and ``subprocess.TimeoutExpired`` raised."""
    assert cmd[:3] == [sys.executable, "-m", "vigie"] and not check, cmd
    try:
        child = run(cmd[3:], dict(os.environ if env is None else env), timeout=timeout)
    except TimeoutError:
        raise subprocess.TimeoutExpired(cmd, timeout) from None
    return subprocess.CompletedProcess(cmd, int(child.returncode or 0))


def subprocess_module() -> types.SimpleNamespace:
    """What a product module that starts ``python -m vigie`` children sees as its
    ``subprocess`` while a test patches it (``mock.patch.object(module, "subprocess",
    subprocess_module())``): ``Popen`` and ``run`` go through the zygote; only that module's
    name is replaced, not the real ``subprocess`` anyone else uses."""
    return types.SimpleNamespace(
        Popen=VigiePopen, run=_run_vigie, DEVNULL=subprocess.DEVNULL, PIPE=subprocess.PIPE,
        TimeoutExpired=subprocess.TimeoutExpired, CompletedProcess=subprocess.CompletedProcess)


if __name__ == "__main__":
    serve(sys.argv[1])
