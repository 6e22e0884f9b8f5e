"""Scrapy's TLS modules, imported without their costly start-up walk of the stack.

Scrapy 2.19 keeps three deprecated aliases in ``scrapy.core.downloader.contextfactory`` and
``scrapy.core.downloader.tls`` (made by ``scrapy.utils.deprecate.create_deprecated_class``).
Making each one calls ``inspect.stack()`` to name the importing module: a walk of every frame of
the importer's stack that reads each frame's source file for its context lines, 0.1–0.3 s of a
crawl process's start-up on this machine, for a ``__module__`` attribute. Every crawl imports
these modules (the HTTP download handler needs them), and the test suite starts about a hundred
crawl processes.

:func:`import_tls_modules` imports them while ``inspect.stack`` returns the same frames without
source context (the only thing Scrapy reads is ``stack()[1]``'s frame), then puts the real
function back. Nothing else runs meanwhile: a crawl process imports them before its reactor
starts.
"""

from __future__ import annotations

import importlib
import inspect
import sys

TLS_MODULES = ("scrapy.core.downloader.contextfactory", "scrapy.core.downloader.tls")


def frames_without_context(context: int = 1) -> list[inspect.FrameInfo]:
    """What ``inspect.stack(context)`` returns, minus the source lines (``code_context`` and
    ``index`` are None), without touching the files: the caller's frame first."""
    frames: list[inspect.FrameInfo] = []
    frame = sys._getframe(1)
    while frame is not None:
        code = frame.f_code
        frames.append(inspect.FrameInfo(frame, code.co_filename, frame.f_lineno, code.co_name,
                                        None, None))
        frame = frame.f_back
    return frames


def import_tls_modules() -> None:
    """Import :data:`TLS_MODULES` (once per process) with the light stack walk."""
    if all(name in sys.modules for name in TLS_MODULES):
        return
    real = inspect.stack
    inspect.stack = frames_without_context  # type: ignore[assignment]
    try:
        for name in TLS_MODULES:
            importlib.import_module(name)
    finally:
        inspect.stack = real
