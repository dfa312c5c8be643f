"""config.yaml -> validated Config; every error is one line naming the file and the key."""

from __future__ import annotations

import difflib
import os
import re
import types
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from monitor.offload import MAX_WORKERS

DEFAULT_CONFIG = "config.yaml"
DEFAULT_ARCHIVE = "archive.db"
USER_AGENT = (
    "county-lines-monitor/0.1 (+https://github.com/county-lines-monitor/monitor; "
    "polls public news feeds politely)"
)
_INTERVAL = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
MAX_INTERVAL_SECONDS = 366 * 86400


class ConfigError(Exception):
    """A config problem, already phrased as the one line a user should read."""


def parse_interval(text: str | int) -> int:
    """Seconds in '30m', '1h', '2h30m', '1d' or a bare number of seconds."""
    if isinstance(text, int):
        seconds = text
    else:
        match = _INTERVAL.match(str(text).strip())
        if not match or not any(match.groups()):
            raise ValueError(f"{text!r} is not an interval like 30m, 2h or 1d")
        d, h, m, s = (int(g or 0) for g in match.groups())
        seconds = d * 86400 + h * 3600 + m * 60 + s
    if seconds < 60:
        raise ValueError(f"{text!r} is shorter than the 1 minute minimum")
    if seconds > MAX_INTERVAL_SECONDS:  # 9999999d overflows a datetime; 30 digits, SQLite
        raise ValueError(f"{str(text)[:40]!r} is longer than the 366 day maximum")
    return seconds


# pydantic looks for plugins (observability hooks, found through entry points) as it builds
# each model's validator: the first look scans every installed distribution's metadata, 20-40
# ms on each run and re-poll, and these four models need none. PYDANTIC_DISABLE_PLUGINS is
# pydantic's own switch; it is set only while the models below are built, then put back.
_PLUGINS_SETTING = os.environ.get("PYDANTIC_DISABLE_PLUGINS")
os.environ["PYDANTIC_DISABLE_PLUGINS"] = "__all__"


class Selectors(BaseModel):
    """CSS selectors (Scrapy syntax, ::text and ::attr() allowed) for an HTML listing."""

    model_config = ConfigDict(extra="forbid")
    item: str
    link: str
    title: str | None = None
    date: str | None = None
    summary: str | None = None


HISTORY_PRESETS = ("sitemap", "soh-search", "govuk-search", "listing-pages", "wordpress")


class History(BaseModel):
    """How a source's past is walked by `monitor backfill` (a preset and where the walk starts)."""

    model_config = ConfigDict(extra="forbid")
    preset: Literal["sitemap", "soh-search", "govuk-search", "listing-pages", "wordpress"]
    url: str | None = None  # where the walk starts; "{page}" marks the page number if paged
    selectors: Selectors | None = None  # listing items; default: the source's own selectors
    max_pages: int = Field(default=500, ge=1, le=100_000)

    @field_validator("url")
    @classmethod
    def _http_only(cls, url: str | None) -> str | None:
        if url is not None:
            parts = urlsplit(url.replace("{page}", "1"))
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ValueError(f"{url!r} is not an http(s) URL")
        return url


class Source(BaseModel):
    """One watched feed or listing."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    url: str
    type: Literal["feed", "html"] = "feed"
    kind: Literal["police", "gov", "press", "aggregator"] = "press"
    force: str | None = None
    publisher: str | None = None
    every: int = 1800
    enabled: bool = True
    selectors: Selectors | None = None
    preset: Literal["soh-listing"] | None = None
    date_format: str | None = None
    fetch_articles: bool | None = None
    verified: bool = True  # false: the URL follows a platform pattern but was never seen working
    history: History | None = None  # how `monitor backfill` walks this source's past
    tls_verify: bool = True  # false: accept an unverifiable certificate (recorded in the archive)

    @field_validator("url")
    @classmethod
    def _http_only(cls, url: str) -> str:
        try:
            parts = urlsplit(url)
            port = parts.port  # raises for :99999 or :abc, which would stop a whole crawler
        except ValueError as exc:
            raise ValueError(f"{url!r} is not a valid URL: {exc}") from None
        if parts.scheme not in ("http", "https") or not parts.hostname or port == 0:
            raise ValueError(f"{url!r} is not an http(s) URL")
        return url

    @field_validator("every", mode="before")
    @classmethod
    def _interval(cls, value: str | int) -> int:
        return parse_interval(value)

    @property
    def id(self) -> str:
        """The slug used as the primary key in the archive."""
        return self.name

    @property
    def should_fetch_articles(self) -> bool:
        """Aggregators link to interstitials, not articles, unless told otherwise."""
        if self.fetch_articles is not None:
            return self.fetch_articles
        return self.kind != "aggregator"


class Config(BaseModel):
    """The whole config file."""

    model_config = ConfigDict(extra="forbid")
    archive: str = DEFAULT_ARCHIVE
    user_agent: str = USER_AGENT
    timeout: int = Field(default=30, ge=1, le=600)
    max_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    cycle_timeout: int = Field(default=900, ge=10)
    redis: str | None = None  # set: workers share the crawl through Redis (monitor worker)
    # processes that parse feeds and read pages beside the crawl (monitor/offload.py)
    workers: int | Literal["auto"] = "auto"
    sources: list[Source]

    @field_validator("workers", mode="before")
    @classmethod
    def _workers(cls, value: object) -> int | str:
        if value == "auto":
            return "auto"
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_WORKERS:
            return value
        raise ValueError(
            f"{str(value)[:40]!r} is not auto or a number of worker processes (0-{MAX_WORKERS})"
        )

    @field_validator("redis")
    @classmethod
    def _redis_url(cls, url: str | None) -> str | None:
        if url is not None and urlsplit(url).scheme not in ("redis", "rediss", "unix"):
            raise ValueError(f"{url!r} is not a redis://, rediss:// or unix:// URL")
        return url

    def source(self, name: str) -> Source:
        """The named source, or a ConfigError listing the names there are."""
        for src in self.sources:
            if src.name == name:
                return src
        known = [s.name for s in self.sources]
        if near := difflib.get_close_matches(name, known, n=1, cutoff=0.6):
            raise ConfigError(f"no source named {name!r} (did you mean `{near[0]}`?)")
        shown = ", ".join(known[:10]) + (f" and {len(known) - 10} more" if len(known) > 10 else "")
        raise ConfigError(f"no source named {name!r}; configured: {shown}")


if _PLUGINS_SETTING is None:
    del os.environ["PYDANTIC_DISABLE_PLUGINS"]
else:
    os.environ["PYDANTIC_DISABLE_PLUGINS"] = _PLUGINS_SETTING


def _key(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _model_at(loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The model whose keys are valid at `loc` (Config, Source, Selectors, History)."""
    model: type[BaseModel] = Config
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            return None
        inner = _model_in(field.annotation)
        if inner is None:
            return None
        model = inner
    return model


def _model_in(annotation: object) -> type[BaseModel] | None:
    """The BaseModel inside `X`, `X | None` or `list[X]`."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) in (list, Union, types.UnionType):
        for arg in get_args(annotation):
            if found := _model_in(arg):
                return found
    return None


def _unknown_key(loc: tuple[int | str, ...]) -> str:
    """'unknown key', with the nearest valid key when the name looks misspelt."""
    model = _model_at(loc[:-1])
    valid = list(model.model_fields) if model else []
    near = difflib.get_close_matches(str(loc[-1]), valid, n=1, cutoff=0.6)
    return f"unknown key (did you mean `{near[0]}`?)" if near else "unknown key"


def _one_line(path: str, error: ValidationError, data: object) -> str:
    errors = error.errors()
    # an unknown key is usually why a required one is "missing" (`sorces:`): name it first
    first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    loc = tuple(first["loc"])
    msg = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        msg = _unknown_key(loc)
    return f"{path}: {_key(loc)}: {msg}"


def _check_unique(path: str, cfg: Config) -> None:
    seen: set[str] = set()
    for i, src in enumerate(cfg.sources):
        if src.name in seen:
            raise ConfigError(f"{path}: sources[{i}].name: duplicate name {src.name!r}")
        seen.add(src.name)
        if src.type == "html" and not (src.selectors or src.preset):
            raise ConfigError(f"{path}: sources[{i}]: an html source needs selectors or preset")


def _load_yaml(text: str) -> Any:
    """libyaml's parser when PyYAML has it (a 50-source config: 39 ms in pure Python, 3 ms in
    C, on every run and re-poll); a document it refuses is read again in pure Python, whose
    errors name more (the undefined alias, the offending character) and whose nesting limit
    is the one the "nested too deeply" message reports."""
    fast = getattr(yaml, "CSafeLoader", None)
    if fast is not None:
        try:
            return yaml.load(text, Loader=fast)
        except yaml.YAMLError:
            pass
    return yaml.safe_load(text)


def parse(
    text: str, path: str = DEFAULT_CONFIG, substitutions: dict[str, str] | None = None
) -> Config:
    """Validate config text; `substitutions` fill {{NAME}} placeholders (the demo's base URL)."""
    for name, value in (substitutions or {}).items():
        text = text.replace("{{" + name + "}}", value)
    try:
        data = _load_yaml(text)
    except RecursionError:  # "[[[[..." 100,000 deep: PyYAML's composer recurses per level
        raise ConfigError(f"{path}: not valid YAML: nested too deeply") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise ConfigError(
            f"{path}: not valid YAML{where}: {getattr(exc, 'problem', exc)}"
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping with a 'sources' list")
    try:
        cfg = Config.model_validate(data)
    except RecursionError:
        raise ConfigError(f"{path}: nested too deeply") from None
    except ValidationError as exc:
        raise ConfigError(_one_line(path, exc, data)) from None
    _check_unique(path, cfg)
    return cfg


def load(path: str | Path = DEFAULT_CONFIG, substitutions: dict[str, str] | None = None) -> Config:
    """Read and validate a config file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read config: {exc.strerror}") from None
    return parse(text, str(p), substitutions)
