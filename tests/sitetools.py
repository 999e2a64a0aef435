"""Helpers of the site tests: ingest workbooks, serve a build, query Pagefind."""

from __future__ import annotations

import functools
import json
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

# Loads the build's own pagefind.js in Node and runs each query against the
# index served over loopback HTTP (Node's fetch does not read file: URLs).
PAGEFIND_QUERY_JS = """
const [moduleUrl, basePath, queriesJson] = process.argv.slice(2);
const pagefind = await import(moduleUrl);
await pagefind.options({ basePath });
await pagefind.init();
const answer = { filters: await pagefind.filters(), results: {} };
for (const query of JSON.parse(queriesJson)) {
  const search = await pagefind.search(query);
  answer.results[query] = await Promise.all(search.results.map((r) => r.data()));
}
console.log(JSON.stringify(answer));
"""


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output clean."""


@contextmanager
def served(folder: Path) -> Iterator[str]:
    """Serve a folder on 127.0.0.1 and yield its base URL."""
    handler = functools.partial(_Quiet, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def query_pagefind(site: Path, queries: list[str], tmp: Path) -> dict[str, Any]:
    """Run real Pagefind searches on a built site; return filters and results."""
    script = tmp / "pagefind-query.mjs"
    script.write_text(PAGEFIND_QUERY_JS, encoding="utf-8")
    module = (site / "pagefind" / "pagefind.js").resolve().as_uri()
    with served(site) as base:
        completed = subprocess.run(
            ["node", str(script), module, f"{base}pagefind/", json.dumps(queries)],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
    return dict(json.loads(completed.stdout))


def result_paths(answer: dict[str, Any], query: str) -> list[str]:
    """Return the URL paths Pagefind found for a query ("/projets/x/")."""
    paths = []
    for result in answer["results"][query]:
        url = result["url"]
        paths.append("/" + url.split("/", 3)[3] if "://" in url else url)
    return paths


class TagCollector(HTMLParser):
    """Collects every start tag with its attributes, and the text, of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse_page(path: Path) -> TagCollector:
    collector = TagCollector()
    collector.feed(path.read_text(encoding="utf-8"))
    return collector


def article(path: Path) -> str:
    """Return the HTML of a generated page's own article."""
    text = path.read_text(encoding="utf-8")
    start = text.index('<article class="drc-page"')
    return text[start : text.index("</article>", start) + len("</article>")]
