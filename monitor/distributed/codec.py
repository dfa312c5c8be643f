"""JSON on the wire: requests for the shared queue, finished polls for the archiver.

scrapy-redis pickles requests by default. Anything that can write to the Redis server could then
run code in every worker, so the queue uses JSON instead (bytes tagged as base64); this module
is the SCHEDULER_SERIALIZER (it has the `loads`/`dumps` pair scrapy-redis asks for).
"""

from __future__ import annotations

import base64
import json
from dataclasses import asdict
from typing import Any

from monitor.items import Article, Entry, Figure


def _encode(obj: Any) -> Any:
    if isinstance(obj, bytes):
        return {"$b": base64.b64encode(obj).decode("ascii")}
    if isinstance(obj, dict):
        if all(isinstance(k, str) for k in obj):
            return {k: _encode(v) for k, v in obj.items()}
        return {"$d": [[_encode(k), _encode(v)] for k, v in obj.items()]}
    if isinstance(obj, list | tuple):
        return [_encode(v) for v in obj]
    return obj


def _decode(obj: Any) -> Any:
    if isinstance(obj, dict):
        if len(obj) == 1 and "$b" in obj:
            return base64.b64decode(obj["$b"])
        if len(obj) == 1 and "$d" in obj:
            return {_decode(k): _decode(v) for k, v in obj["$d"]}
        return {k: _decode(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_decode(v) for v in obj]
    return obj


def dumps(obj: Any) -> bytes:
    """Serialise a request dict (scrapy-redis serializer interface)."""
    return json.dumps(_encode(obj), separators=(",", ":")).encode()


def loads(data: bytes | str) -> Any:
    """Read back what `dumps` wrote."""
    return _decode(json.loads(data))


def article_to_dict(art: Article) -> dict[str, Any]:
    """Everything the archiver needs; the fetched page bytes are not sent, nor the story facts
    (the archiver reads them off the text it stores: a message cannot choose a story)."""
    data = asdict(art)
    data.pop("raw", None)
    data.pop("story_facts", None)
    return data


def article_from_dict(data: dict[str, Any]) -> Article:
    data = dict(data)
    entry = Entry(**data.pop("entry"))
    figures = [Figure(**f) for f in data.pop("figures", [])]
    data.pop("raw", None)
    data.pop("story_facts", None)
    return Article(entry=entry, figures=figures, **data)
