"""The root of every error Vigie raises on purpose.

Each room defines its own child of :class:`VigieError`; the entry points (CLI, crawl runner,
web app) each have one handler that turns them into a clear message and an exit code.
"""


class VigieError(Exception):
    """Root of all expected Vigie errors. ``exit_code`` is used by the CLI handler."""

    exit_code = 1


class ConfigError(VigieError):
    """The configuration is invalid or incomplete."""

    exit_code = 2
