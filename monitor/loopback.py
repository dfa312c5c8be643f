"""A static site on 127.0.0.1 for the demo and the tests: fixture files with {{BASE}} filled in,
ETag/Last-Modified validators and 304s like a real news server, and scripted special routes."""

from __future__ import annotations

import hashlib
import mimetypes
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

Route = Callable[["BaseHTTPRequestHandler"], tuple[int, dict[str, str], bytes]]
LAST_MODIFIED = "Fri, 14 Oct 2022 09:00:00 GMT"
_TYPES = {
    ".xml": "application/rss+xml",
    ".atom": "application/atom+xml",
    ".rss": "application/rss+xml",
}


class SiteServer:
    """Serves `root` at http://127.0.0.1:<port>; `routes` override paths with scripted answers."""

    def __init__(self, root: str | Path, host: str = "127.0.0.1", port: int = 0) -> None:
        self.root = Path(root)
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        handler = type("Handler", (_Handler,), {"site": self})
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.base = f"http://{host}:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> SiteServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def file_for(self, path: str) -> Path | None:
        """The fixture file behind a URL path (directories serve their index.html)."""
        target = (self.root / path.lstrip("/")).resolve()
        if self.root.resolve() not in target.parents and target != self.root.resolve():
            return None
        if target.is_dir():
            target = target / "index.html"
        return target if target.is_file() else None

    def answer(self, handler: BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
        path = urlsplit(handler.path).path
        self.requests.append((handler.path, {k.lower(): v for k, v in handler.headers.items()}))
        if path in self.routes:
            return self.routes[path](handler)
        file = self.file_for(path)
        if file is None:
            return 404, {"Content-Type": "text/html"}, b"<html><body>Not found</body></html>"
        body = file.read_bytes().replace(b"{{BASE}}", self.base.encode())
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        if handler.headers.get("If-None-Match") == etag:
            return 304, {"ETag": etag}, b""
        ctype = _TYPES.get(file.suffix) or mimetypes.guess_type(file.name)[0] or "text/html"
        if ctype.startswith("text/") or ctype.endswith("xml"):
            ctype += "; charset=utf-8"
        return 200, {"Content-Type": ctype, "ETag": etag, "Last-Modified": LAST_MODIFIED}, body


class _Handler(BaseHTTPRequestHandler):
    site: SiteServer

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        status, headers, body = self.site.answer(self)
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the demo prints its own progress."""
