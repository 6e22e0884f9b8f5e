"""Run a ``vigie`` command in this process, as ``python -m vigie`` would (test helper).

The command goes through ``vigie.cli.main`` — the entry point that turns errors into messages
and exit codes — with the given environment, and its output captured. A new Python process
per command costs seconds of imports; commands that start no Twisted reactor (everything but
crawls and workers) need none. ``tests/vigie/test_cli_help.py`` runs the real ``python -m
vigie`` process.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from unittest import mock


@contextmanager
def _console_width(width: int) -> Iterator[None]:
    """The CLI's Rich consoles were made at import, with the width of that moment's terminal
    (or COLUMNS): give them the command's COLUMNS, as a new process would have."""
    from rich.console import Console

    consoles = {id(c): c for name, module in list(sys.modules.items())
                if name == "vigie" or name.startswith("vigie.")
                for c in vars(module).values() if isinstance(c, Console)}
    saved = {key: (c._width, c._height) for key, c in consoles.items()}
    try:
        for c in consoles.values():
            c.width = width
        yield
    finally:
        for key, c in consoles.items():
            c._width, c._height = saved[key]


def run_vigie(args: list[str], env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    """``vigie ARGS`` with ``env`` as the whole environment; returns code and output."""
    from vigie.cli import main

    out, err = io.StringIO(), io.StringIO()
    code: int | str | None = 0
    with (mock.patch.dict(os.environ, dict(env), clear=True),
          mock.patch.object(sys, "argv", ["vigie", *args]),
          _console_width(int(env.get("COLUMNS", "80"))),
          redirect_stdout(out), redirect_stderr(err)):
        try:
            main()
        except SystemExit as exc:
            code = exc.code
    if code is None:
        code = 0
    elif not isinstance(code, int):  # sys.exit("message"): printed, exit status 1
        err.write(f"{code}\n")
        code = 1
    return subprocess.CompletedProcess(["vigie", *args], code, out.getvalue(), err.getvalue())
