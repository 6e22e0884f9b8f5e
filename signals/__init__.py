"""Signals: risk indicators over records and the register network.

Each rule lives in its own module under :mod:`signals.rules` and documents the risk it serves
(see MISSION.md), the data it needs, why it fires and its known false positives. The engine
(:mod:`signals.engine`) runs the rules and stores their findings idempotently as
:class:`storage.models.Signal` rows with links to the records and captures they rest on.

This room imports storage (models) and the pure entity-resolution room, never Scrapy or FastAPI.
"""

from vigie.errors import VigieError


class SignalsError(VigieError):
    """A rule or the signal engine met data it cannot handle, or a finding is malformed."""
