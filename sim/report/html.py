"""One self-contained HTML page: inline CSS, images as base64 data URIs, nothing fetched."""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path

from sim.store.atomic import write_text

CSS = """
body { font-family: "Segoe UI", "Helvetica Neue", Arial, "Noto Sans CJK SC", "PingFang SC",
       "Microsoft YaHei", sans-serif; color: #222; margin: 0; background: #f6f6f4; line-height: 1.45; }
header { background: #8b1a1a; color: #fff; padding: 1.2em 2em; }
header h1 { margin: 0 0 .2em 0; font-size: 1.6em; }
header p { margin: .2em 0; opacity: .92; }
nav { background: #fff; border-bottom: 1px solid #ddd; padding: .5em 2em; position: sticky; top: 0; z-index: 1; }
nav a { margin-right: 1.1em; color: #8b1a1a; text-decoration: none; font-size: .92em; white-space: nowrap; }
main { max-width: 1320px; margin: 0 auto; padding: 1em 2em 3em; }
section { background: #fff; border: 1px solid #e2e2e2; border-radius: 6px; margin: 1.2em 0; padding: .6em 1.4em 1.2em; }
h2 { color: #8b1a1a; font-size: 1.25em; border-bottom: 1px solid #eee; padding-bottom: .3em; }
h3 { font-size: 1.05em; margin-bottom: .3em; }
table { border-collapse: collapse; margin: .6em 0; font-size: .9em; }
th, td { border-bottom: 1px solid #e6e6e6; padding: .3em .7em; text-align: left; vertical-align: top; }
th { background: #f3f0ec; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.better td.verdict { color: #17622c; font-weight: 600; }
tr.worse td.verdict { color: #a11616; font-weight: 600; }
figure { margin: 1em 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: .88em; color: #555; margin-top: .3em; }
.note { font-size: .88em; color: #555; }
.scroll { overflow-x: auto; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2em 1.2em; }
dl.facts dt { font-weight: 600; } dl.facts dd { margin: 0; }
"""


@dataclass(frozen=True)
class Section:
    """A titled part of the page; `body` is HTML."""

    anchor: str
    title: str
    body: str


def text(value: object) -> str:
    return escape(str(value))


def paragraph(content: str, css: str = "") -> str:
    """A paragraph of already-escaped HTML."""
    return f'<p class="{css}">{content}</p>' if css else f"<p>{content}</p>"


def image(png: bytes, alt: str, caption: str = "") -> str:
    """An <img> holding the PNG as a data URI, with an optional caption."""
    data = base64.b64encode(png).decode("ascii")
    cap = f"<figcaption>{caption}</figcaption>" if caption else ""
    return f'<figure><img alt="{text(alt)}" src="data:image/png;base64,{data}">{cap}</figure>'


def table(header: Sequence[str], rows: Iterable[Sequence[object]], classes: Sequence[str] = (),
          row_attrs: Iterable[dict[str, str]] | None = None, table_id: str = "") -> str:
    """An HTML table of escaped cells; `classes` are per-column CSS classes ("num" right-aligns),
    `row_attrs` the attributes of each <tr>."""
    head = "".join(f"<th>{text(h)}</th>" for h in header)
    attrs = iter(row_attrs) if row_attrs is not None else None
    body = []
    for row in rows:
        extra = next(attrs) if attrs is not None else {}
        tr = "".join(f' {k}="{text(v)}"' for k, v in extra.items())
        cells = "".join(f'<td class="{classes[i]}">{text(v)}</td>' if i < len(classes) and classes[i]
                        else f"<td>{text(v)}</td>" for i, v in enumerate(row))
        body.append(f"<tr{tr}>{cells}</tr>")
    ident = f' id="{text(table_id)}"' if table_id else ""
    return (f'<div class="scroll"><table{ident}><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>')


def page(title: str, lead: Sequence[str], sections: Sequence[Section], footer: str = "") -> str:
    """The whole document; `lead` lines are escaped text under the title."""
    nav = "".join(f'<a href="#{text(s.anchor)}">{text(s.title)}</a>' for s in sections)
    lead_html = "".join(f"<p>{text(line)}</p>" for line in lead)
    body = "".join(f'<section id="{text(s.anchor)}"><h2>{text(s.title)}</h2>{s.body}</section>' for s in sections)
    foot = f'<p class="note">{footer}</p>' if footer else ""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{text(title)}</title><style>{CSS}</style></head><body>"
        f"<header><h1>{text(title)}</h1>{lead_html}</header><nav>{nav}</nav>"
        f"<main>{body}{foot}</main></body></html>\n"
    )


def write_atomic(path: Path, content: str) -> Path:
    """Write `content` to `path` atomically (see sim.store.atomic)."""
    return write_text(path, content)
