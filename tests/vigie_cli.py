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
from collections.abc import Mapping
from contextlib import redirect_stderr, redirect_stdout
from unittest import mock


def run_vigie(args: list[str], env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    """``vigie ARGS`` with ``env`` as the whole environment; returns code and output."""
    from vigie.cli import main

    out, err = io.StringIO(), io.StringIO()
    code: int | str | None = 0
    with (mock.patch.dict(os.environ, dict(env), clear=True),
          mock.patch.object(sys, "argv", ["vigie", *args]),
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
