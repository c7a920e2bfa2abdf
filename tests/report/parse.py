"""Read back what a report page holds: its images, sections and decision-table rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Page:
    images: list[dict[str, str]] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)
    decisions: list[tuple[str, str]] = field(default_factory=list)
    ids: dict[str, str] = field(default_factory=dict)  # text of elements with an id (pre, p)


class _Reader(HTMLParser):
    def __init__(self):
        super().__init__()
        self.page = Page()
        self._open_id: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img":
            self.page.images.append(a)
        elif tag == "section":
            self.page.sections.append(a.get("id", ""))
        elif tag == "tr" and "data-policy" in a:
            self.page.decisions.append((a["data-policy"], a["data-metric"]))
        elif tag in ("pre", "p") and "id" in a:
            self._open_id = a["id"]
            self.page.ids[a["id"]] = ""

    def handle_data(self, data):
        if self._open_id:
            self.page.ids[self._open_id] += data

    def handle_endtag(self, tag):
        if tag in ("pre", "p"):
            self._open_id = None


def parse_page(html: str) -> Page:
    reader = _Reader()
    reader.feed(html)
    return reader.page
