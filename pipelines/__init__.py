"""Scrapy glue: the capture middleware, the item pipelines and the run report.

Thin adapters over the pure rooms (entity_resolution, signals, storage). Components take plain
``__init__`` arguments and read typed settings in ``from_crawler``; they raise ``NotConfigured``
when the crawl was not started by Vigie's runner (no database/evidence settings).
"""

from vigie.errors import VigieError


class PipelineError(VigieError):
    """An item could not be processed (the item is dropped and reported, the crawl goes on)."""


# Setting names the crawl runner passes to Scrapy.
DB_URL = "VIGIE_DB_URL"
EVIDENCE_DIR = "VIGIE_EVIDENCE_DIR"
RUN_ID = "VIGIE_RUN_ID"
RESUME_RUNS = "VIGIE_RESUME_RUNS"  # ids of the interrupted runs a resumed crawl replays
CRAWL_STARTED_AT = "VIGIE_CRAWL_STARTED_AT"  # ISO start of the crawl (first run if resumed)
SPOOL_DIR = "VIGIE_SPOOL_DIR"  # items the database did not take (default: <data dir>/spool)

# validate → normalise → (store → match → detect, one transaction per batch of items)
ITEM_PIPELINES = {
    "pipelines.items.ValidatePipeline": 100,
    "pipelines.items.NormalizePipeline": 200,
    "pipelines.items.PersistPipeline": 300,
}
DOWNLOADER_MIDDLEWARES = {
    # Below HttpCompression (590) and Redirect (600): sees the final, decoded response.
    "pipelines.capture.CaptureMiddleware": 585,
}
EXTENSIONS = {
    "pipelines.report.RunReportExtension": 500,
}
