"""The offline Belgian web: a synthetic job board, company-register clone and JS classifieds.

Everything is derived from a seed (see :func:`demo.world.build_world`) and served on loopback by
:class:`demo.server.DemoServer`. The demo register can also be written as KBO Open Data CSV
files (:func:`demo.kbo_export.write_kbo_opendata`).
"""

from vigie.errors import VigieError


class DemoError(VigieError):
    """The demo world or its server was asked for something it cannot do."""
