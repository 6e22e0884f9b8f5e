"""Entity resolution: tie what the spiders see (ads, listings, register pages) to known employers.

Pure Python (no Scrapy, no FastAPI, nothing of ours but :mod:`vigie.errors`). The parts:

- :mod:`entity_resolution.identifiers` — enterprise/VAT numbers, phones, e-mails, web domains,
  and a scanner that finds them in free text;
- :mod:`entity_resolution.names` — company-name normalisation with legal-form removal (GLEIF ELF)
  and person-name keys;
- :mod:`entity_resolution.geo` — postcode → municipality → judicial district;
- :mod:`entity_resolution.register` — the register entry type and the KBO Open Data reader;
- :mod:`entity_resolution.compare` — small comparators that return a score *and* a reason;
- :mod:`entity_resolution.matcher` — blocking index + comparators + documented combination;
- :mod:`entity_resolution.evaluate` — precision/recall/F1 on labelled pairs.
- :mod:`entity_resolution.cluster` — one entity behind several records: the same job ad on
  several boards, the same provider under several names (near-duplicate texts through
  :mod:`entity_resolution.neardup`, shared identifiers with a cap for shared lines).
"""

from vigie.errors import VigieError


class EntityResolutionError(VigieError):
    """Raised when entity-resolution input or data files are unusable."""


__all__ = ["EntityResolutionError"]
