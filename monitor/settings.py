"""Scrapy settings: polite by default, http(s) only, capped, and our pipeline order."""

import warnings

from scrapy.settings import default_settings as _defaults

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

# TLS: certificates verified against the system store; a source's `tls_verify: false` exempts
# its own host:port only (monitor/tls.py). Scrapy 2.19 calls the factory setting deprecated but
# it is still the only per-host hook; the warning is silenced where it is raised.
DOWNLOAD_VERIFY_CERTIFICATES = True
DOWNLOADER_CLIENTCONTEXTFACTORY = "monitor.tls.SourceTLSPolicy"
MONITOR_TLS_UNVERIFIED: list[str] = []  # "host:port" of sources with tls_verify: false (per run)
warnings.filterwarnings("ignore", "The 'DOWNLOADER_CLIENTCONTEXTFACTORY' setting is deprecated")

# Security: only http(s). Scrapy would otherwise read file: and data: URLs named by a feed.
DOWNLOAD_HANDLERS = {"file": None, "data": None, "s3": None, "ftp": None}
# SSRF: every request and redirect hop is checked on its resolved address (monitor/guard.py);
# loopback/private/link-local/reserved only for MONITOR_ALLOWED_HOSTS and the spider's sources.
# Components we never use are taken out of the *_BASE dicts, not set to None: Scrapy imports
# every key of both dicts to normalise them, and cookies (tldextract + requests) and
# RemoteControl (aiohttp) alone cost ~0.3 s per cycle process.
_UNUSED = (
    # feeds and press releases need no cookies
    "scrapy.downloadermiddlewares.cookies.CookiesMiddleware",
    # replaced by monitor.robots.CachedRobotsTxt below
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware",
    "scrapy.downloadermiddlewares.httpcache.HttpCacheMiddleware",  # conditional GET is ours
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware",  # METAREFRESH_ENABLED off
    # Scrapy 2.19 starts a code-executing HTTP endpoint when aiohttp is importable: never here
    "scrapy.extensions.remote_control.RemoteControl",
    "scrapy.extensions.feedexport.FeedExporter",  # items go to the archive, not feed exports
    "scrapy.extensions.memdebug.MemoryDebugger",
    "scrapy.extensions.spiderstate.SpiderState",
    "scrapy.extensions.telnet.TelnetConsole",
)
DOWNLOADER_MIDDLEWARES_BASE = {
    k: v for k, v in _defaults.DOWNLOADER_MIDDLEWARES_BASE.items() if k not in _UNUSED
}
EXTENSIONS_BASE = {k: v for k, v in _defaults.EXTENSIONS_BASE.items() if k not in _UNUSED}
DOWNLOADER_MIDDLEWARES = {
    "monitor.guard.SsrfGuard": 60,  # after OffsiteMiddleware, before robots.txt is fetched
    "monitor.guard.PeerGuard": 950,  # first to see each response: the peer it came from
    # robots.txt obeyed as Scrapy does, remembered in the archive for a day (monitor/robots.py)
    "monitor.robots.CachedRobotsTxt": 100,
}
MONITOR_ALLOWED_HOSTS: list[str] = []  # "host:port" of every configured source (set per run)
DNSCACHE_ENABLED = True  # the guard's lookup is the one the connection uses (no rebinding gap)
METAREFRESH_ENABLED = False  # a feed or article is never a <meta refresh> hop away
DOWNLOAD_FAIL_ON_DATALOSS = True  # a body shorter than its Content-Length is an error, not a feed

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
    "monitor.pipelines.StoryFactsPipeline": 550,
    "monitor.pipelines.FingerprintPipeline": 600,
    "monitor.pipelines.ArchivePipeline": 900,
}
EXTENSIONS = {
    "monitor.extensions.RunStats": 500,
    "monitor.progress.Progress": 510,  # the bar or log lines of `monitor run`; off otherwise
}
