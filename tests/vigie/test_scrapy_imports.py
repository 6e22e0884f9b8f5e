"""Scrapy's TLS modules imported with the light stack walk (vigie.scrapy_imports)."""

from __future__ import annotations

import inspect
import subprocess
import sys


def test_light_stack_has_the_frames_of_inspect_stack_without_reading_sources() -> None:
    from vigie.scrapy_imports import frames_without_context

    def inner() -> tuple[list[inspect.FrameInfo], list[inspect.FrameInfo]]:
        return frames_without_context(), inspect.stack()

    light, real = inner()
    assert [f.frame for f in light] == [f.frame for f in real]
    assert [(f.filename, f.lineno, f.function) for f in light[:3]] == [
        (f.filename, f.lineno, f.function) for f in real[:3]]
    assert light[0].function == "inner" and light[0].code_context is None


def test_deprecated_aliases_still_name_their_module_and_inspect_is_put_back() -> None:
    """In a fresh interpreter (the modules are imported once per process): the aliases
    Scrapy makes at import still carry their module's name, and ``inspect.stack`` is the real
    one afterwards."""
    code = (
        "import inspect; real = inspect.stack\n"
        "from vigie.scrapy_imports import import_tls_modules\n"
        "import_tls_modules()\n"
        "from scrapy.core.downloader import contextfactory, tls\n"
        "assert inspect.stack is real\n"
        "print(contextfactory.ScrapyClientContextFactory.__module__,"
        " tls.ScrapyClientTLSOptions.__module__)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["scrapy.core.downloader.contextfactory",
                                   "scrapy.core.downloader.tls"]
