"""Scrapy settings: polite by default, http(s) only, capped, and our pipeline order."""

from monitor.config import USER_AGENT

BOT_NAME = "county-lines-monitor"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"

USER_AGENT = USER_AGENT
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2  # Scrapy's default of 8 is rude to a small force website
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_MAX_DELAY = 30
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 5 * 1024 * 1024  # also bounds decompressed size (HttpCompressionMiddleware)
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
REDIRECT_MAX_TIMES = 5
RETRY_TIMES = 1
# 429 is not retried at once: the poll records Retry-After and the source waits that long.
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408]

# Security: only http(s). Scrapy would otherwise read file: and data: URLs named by a feed.
DOWNLOAD_HANDLERS = {"file": None, "data": None, "s3": None, "ftp": None}

TELNETCONSOLE_ENABLED = False
LOG_LEVEL = "WARNING"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"

ITEM_PIPELINES = {
    "monitor.pipelines.CanonicalisePipeline": 100,
    "monitor.pipelines.SkipArchivedPipeline": 200,
    "monitor.pipelines.FetchPipeline": 250,
    "monitor.pipelines.TextPipeline": 300,
    "monitor.pipelines.RelevancePipeline": 400,
    "monitor.pipelines.FiguresPipeline": 500,
    "monitor.pipelines.FingerprintPipeline": 600,
    "monitor.pipelines.ArchivePipeline": 900,
}
EXTENSIONS = {"monitor.extensions.RunStats": 500}
