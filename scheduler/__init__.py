"""Scheduled crawls: an APScheduler 3 service with a persistent job store."""

from vigie.errors import VigieError


class SchedulerError(VigieError):
    """A schedule is invalid or the scheduler cannot run."""
