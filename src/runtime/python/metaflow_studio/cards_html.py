"""Rendered card components (Metaflow's JSON component dicts) -> one self-contained HTML page.

The page loads nothing and runs nothing: every user string is escaped, images are data URIs,
and a Content-Security-Policy forbids scripts and every network fetch, so a card is safe to
open from disk or inside an editor's webview.
"""

import json
import re
from html import escape

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"

STYLE = """
:root { color-scheme: light dark; --fg: #1f2328; --muted: #59636e; --bg: #ffffff; --panel: #f6f8fa;
  --border: #d1d9e0; --accent: #0969da; --bad: #cf222e; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --muted: #9198a1; --bg: #0d1117; --panel: #151b23;
  --border: #3d444d; --accent: #4493f8; --bad: #f85149; } }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 14px/1.5 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; }
main { max-width: 1100px; margin: 0 auto; padding: 24px; }
header.card-head { border-bottom: 1px solid var(--border); margin-bottom: 16px; }
header.card-head h1 { margin: 0 0 4px; font-size: 22px; }
.muted { color: var(--muted); }
section.mf-section { margin: 20px 0; }
section.mf-section > h2 { font-size: 17px; border-bottom: 1px solid var(--border); padding-bottom: 4px; }
.mf-columns { display: grid; gap: 12px; }
table { border-collapse: collapse; margin: 8px 0; }
th, td { border: 1px solid var(--border); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: var(--panel); }
pre { background: var(--panel); border: 1px solid var(--border); padding: 8px; overflow: auto;
  white-space: pre-wrap; word-break: break-word; }
pre.mf-error { border-color: var(--bad); }
code { background: var(--panel); padding: 0 3px; border-radius: 3px; }
pre code { background: none; padding: 0; }
figure { margin: 8px 0; } figure img { max-width: 100%; } figcaption { color: var(--muted); }
.mf-artifact { margin: 6px 0; } .mf-artifact .name { font-weight: 600; }
.mf-progress { margin: 8px 0; } .mf-progress progress { width: 100%; }
blockquote { margin: 0; padding-left: 12px; border-left: 3px solid var(--border); color: var(--muted); }
a { color: var(--accent); }
details summary { cursor: pointer; color: var(--muted); }
.mf-valuebox { display: inline-block; min-width: 180px; margin: 6px 8px 6px 0; padding: 12px 16px;
  border: 1px solid var(--border); border-radius: 8px; background: var(--panel); }
.mf-valuebox .value { font-size: 26px; font-weight: 600; }
.mf-valuebox.theme-success { border-color: #1a7f37; } .mf-valuebox.theme-warning { border-color: #9a6700; }
.mf-valuebox.theme-danger { border-color: var(--bad); }
"""


def esc(value):
    return escape("" if value is None else str(value), quote=True)


# --- Markdown -------------------------------------------------------------------------------

_SAFE_URL = re.compile(r"^(https?:|mailto:|#|/|\./|\.\./|[A-Za-z0-9_\-./]+$)", re.I)
_INLINE = re.compile(
    r"(?P<code>`+)(?P<codetext>.+?)(?P=code)"
    r"|!\[(?P<alt>[^\]]*)\]\((?P<src>(?:[^()\s]|\([^()\s]*\))+)\)"
    r"|\[(?P<text>[^\]]+)\]\((?P<href>(?:[^()\s]|\([^()\s]*\))+)\)"
    r"|(?P<strong>\*\*|__)(?P<strongtext>.+?)(?P=strong)"
    r"|(?P<em>\*|_)(?P<emtext>[^*_\s](?:.*?[^*_\s])?)(?P=em)"
)


def markdown_inline(text):
    out = []
    pos = 0
    for m in _INLINE.finditer(text):
        out.append(esc(text[pos:m.start()]))
        pos = m.end()
        if m.group("code"):
            out.append("<code>%s</code>" % esc(m.group("codetext").strip()))
        elif m.group("src") is not None:
            src = m.group("src")
            if src.startswith("data:image/"):
                out.append('<img src="%s" alt="%s">' % (esc(src), esc(m.group("alt"))))
            else:
                out.append(esc(m.group("alt") or src))
        elif m.group("href") is not None:
            href = m.group("href")
            label = markdown_inline(m.group("text"))
            if _SAFE_URL.match(href):
                out.append('<a href="%s" rel="noopener noreferrer">%s</a>' % (esc(href), label))
            else:
                out.append(label)
        elif m.group("strong"):
            out.append("<strong>%s</strong>" % markdown_inline(m.group("strongtext")))
        else:
            out.append("<em>%s</em>" % markdown_inline(m.group("emtext")))
    out.append(esc(text[pos:]))
    return "".join(out)


_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_ULIST = re.compile(r"^\s*[-*+]\s+(.*)$")
_OLIST = re.compile(r"^\s*\d+[.)]\s+(.*)$")
_RULE = re.compile(r"^\s*([-*_])(\s*\1){2,}\s*$")


def markdown_to_html(source):
    """A safe subset of Markdown: headings, paragraphs, lists, code blocks, quotes, rules, inline
    code/emphasis/links. Raw HTML in the source is shown as text."""
    lines = (source or "").replace("\r\n", "\n").split("\n")
    out = []
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if not stripped:
            i += 1
            continue
        if stripped.startswith("```") or stripped.startswith("~~~"):
            fence = stripped[:3]
            i += 1
            body = []
            while i < len(lines) and not lines[i].strip().startswith(fence):
                body.append(lines[i])
                i += 1
            i += 1
            out.append("<pre><code>%s</code></pre>" % esc("\n".join(body)))
            continue
        heading = _HEADING.match(stripped)
        if heading:
            level = len(heading.group(1))
            out.append("<h%d>%s</h%d>" % (level, markdown_inline(heading.group(2)), level))
            i += 1
            continue
        if _RULE.match(stripped):
            out.append("<hr>")
            i += 1
            continue
        if stripped.startswith(">"):
            quote = []
            while i < len(lines) and lines[i].strip().startswith(">"):
                quote.append(lines[i].strip()[1:].lstrip())
                i += 1
            out.append("<blockquote>%s</blockquote>" % markdown_to_html("\n".join(quote)))
            continue
        for pattern, tag in ((_ULIST, "ul"), (_OLIST, "ol")):
            if pattern.match(line):
                items = []
                while i < len(lines) and pattern.match(lines[i]):
                    items.append("<li>%s</li>" % markdown_inline(pattern.match(lines[i]).group(1)))
                    i += 1
                out.append("<%s>%s</%s>" % (tag, "".join(items), tag))
                break
        else:
            para = []
            while i < len(lines) and lines[i].strip() and not _starts_block(lines[i]):
                para.append(lines[i].strip())
                i += 1
            out.append("<p>%s</p>" % markdown_inline(" ".join(para)))
    return "\n".join(out)


def _starts_block(line):
    s = line.strip()
    return bool(_HEADING.match(s) or _ULIST.match(line) or _OLIST.match(line) or s.startswith(">")
                or s.startswith("```") or s.startswith("~~~") or _RULE.match(s))


# --- Components -----------------------------------------------------------------------------


def render_items(items):
    return "\n".join(render_item(item) for item in items)


def render_item(item):
    """One rendered component (a dict of a known type, or a plain value) as HTML."""
    if isinstance(item, str):
        return '<div class="mf-text">%s</div>' % esc(item)
    if not isinstance(item, dict):
        return '<div class="mf-text">%s</div>' % esc(item)
    renderer = _RENDERERS.get(item.get("type"))
    if renderer is None:
        return "<pre>%s</pre>" % esc(json.dumps(item, indent=2, default=str))
    return renderer(item)


def _cell(value):
    if isinstance(value, dict):
        return render_item(value)
    if isinstance(value, (list, tuple)):
        return esc(json.dumps(value, default=str))
    return esc(value)


def _table(item):
    columns = item.get("columns") or []
    rows = item.get("data") or []
    parts = ["<table>"]
    if item.get("vertical") and rows:
        for index, name in enumerate(columns):
            value = rows[0][index] if index < len(rows[0]) else ""
            parts.append("<tr><th>%s</th><td>%s</td></tr>" % (esc(name), _cell(value)))
    else:
        if columns:
            parts.append("<thead><tr>%s</tr></thead>" % "".join("<th>%s</th>" % esc(c) for c in columns))
        parts.append("<tbody>")
        for row in rows:
            if row:
                parts.append("<tr>%s</tr>" % "".join("<td>%s</td>" % _cell(c) for c in row))
        parts.append("</tbody>")
    parts.append("</table>")
    return "".join(parts)


def _artifacts(item):
    parts = []
    for art in item.get("data") or []:
        if not isinstance(art, dict):
            parts.append("<pre>%s</pre>" % esc(art))
            continue
        name = art.get("name")
        head = '<span class="name">%s</span> ' % esc(name) if name else ""
        parts.append('<div class="mf-artifact">%s<span class="muted">%s</span><pre>%s</pre></div>'
                     % (head, esc(art.get("type")), esc(art.get("data"))))
    return "\n".join(parts)


def _image(item):
    src = item.get("src") or ""
    if not str(src).startswith("data:image/"):
        return '<pre class="mf-error">Image has no embedded data.</pre>'
    label = item.get("label")
    caption = "<figcaption>%s</figcaption>" % esc(label) if label else ""
    return '<figure><img src="%s" alt="%s">%s</figure>' % (esc(src), esc(label or "image"), caption)


def _log(item):
    css = ' class="mf-error"' if item.get("error") else ""
    return "<pre%s>%s</pre>" % (css, esc(item.get("data")))


def _markdown(item):
    return '<div class="mf-markdown">%s</div>' % markdown_to_html(item.get("source"))


def _progress(item):
    try:
        value, top = float(item.get("value") or 0), float(item.get("max") or 100)
    except (TypeError, ValueError):
        value, top = 0.0, 100.0
    unit = item.get("unit") or ""
    label = item.get("label")
    text = "%s / %s%s" % (_number(item.get("value")), _number(item.get("max")), (" " + esc(unit)) if unit else "")
    details = item.get("details")
    return ('<div class="mf-progress">%s<progress value="%s" max="%s"></progress><div class="muted">%s%s</div></div>'
            % ("<div>%s</div>" % esc(label) if label else "", esc(value), esc(top), text,
               (" — " + esc(details)) if details else ""))


def _number(value):
    return esc(value if value is not None else 0)


def _vega(item):
    spec = item.get("spec") if isinstance(item.get("spec"), dict) else {}
    title = spec.get("title")
    if isinstance(title, dict):
        title = title.get("text")
    parts = ['<div class="mf-vega">']
    parts.append("<div><strong>%s</strong> <span class=\"muted\">Vega-Lite chart%s</span></div>"
                 % (esc(title or "Chart"), (" (%s)" % esc(_mark(spec))) if _mark(spec) else ""))
    values = (spec.get("data") or {}).get("values") if isinstance(spec.get("data"), dict) else None
    if isinstance(values, list) and values and all(isinstance(v, dict) for v in values):
        columns = []
        for row in values:
            for key in row:
                if key not in columns:
                    columns.append(key)
        shown = values[:200]
        parts.append(_table({"columns": columns, "data": [[row.get(c, "") for c in columns] for row in shown]}))
        if len(values) > len(shown):
            parts.append('<div class="muted">%d more rows not shown</div>' % (len(values) - len(shown)))
    parts.append("<details><summary>Chart specification</summary><pre>%s</pre></details></div>"
                 % esc(json.dumps(item.get("spec"), indent=2, default=str)))
    return "".join(parts)


def _mark(spec):
    mark = spec.get("mark")
    if isinstance(mark, dict):
        mark = mark.get("type")
    return mark if isinstance(mark, str) else ""


def _section(item):
    title = item.get("title")
    subtitle = item.get("subtitle")
    columns = item.get("columns")
    body = render_items(item.get("contents") or [])
    if columns:
        body = '<div class="mf-columns" style="grid-template-columns: repeat(%d, minmax(0, 1fr))">%s</div>' % (
            max(1, min(int(columns), 6)), body)
    head = "<h2>%s</h2>" % esc(title) if title else ""
    sub = '<div class="muted">%s</div>' % esc(subtitle) if subtitle else ""
    return '<section class="mf-section">%s%s%s</section>' % (head, sub, body)


def _title(item):
    return "<h3>%s</h3>" % esc(item.get("text"))


def _subtitle(item):
    return '<div class="muted">%s</div>' % esc(item.get("text"))


def _text(item):
    return "<p>%s</p>" % esc(item.get("text"))


def _code(item):
    return "<pre><code>%s</code></pre>" % esc(item.get("data"))


def _page(item):
    title = item.get("title")
    head = "<h2>%s</h2>" % esc(title) if title else ""
    return "%s%s" % (head, render_items(item.get("contents") or []))


def _value_box(item):
    theme = str(item.get("theme") or "default")
    theme = theme if re.match(r"^[A-Za-z0-9_-]+$", theme) else "default"
    parts = ['<div class="mf-valuebox theme-%s">' % theme]
    if item.get("title") is not None:
        parts.append('<div class="muted">%s</div>' % esc(item.get("title")))
    parts.append('<div class="value">%s</div>' % esc(item.get("value")))
    if item.get("subtitle") is not None:
        parts.append("<div>%s</div>" % esc(item.get("subtitle")))
    if item.get("change_indicator") is not None:
        parts.append('<div class="muted">%s</div>' % esc(item.get("change_indicator")))
    parts.append("</div>")
    return "".join(parts)


def _viewer(key):
    def render(item):
        body = "<pre>%s</pre>" % esc(item.get(key))
        title = esc(item.get("title") or "")
        if item.get("collapsible", True):
            return "<details open><summary>%s</summary>%s</details>" % (title, body)
        return "<div><strong>%s</strong>%s</div>" % (title, body)

    return render


_RENDERERS = {
    "valueBox": _value_box,
    "jsonViewer": _viewer("json_string"),
    "yamlViewer": _viewer("yaml_string"),
    "table": _table,
    "artifacts": _artifacts,
    "image": _image,
    "log": _log,
    "markdown": _markdown,
    "progressBar": _progress,
    "vegaChart": _vega,
    "section": _section,
    "title": _title,
    "subtitle": _subtitle,
    "text": _text,
    "pythonCode": _code,
    "page": _page,
}


def page(title, subtitle, body_items, card_type):
    """The whole card: a heading, then every rendered component in order."""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"%s\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        "<meta name=\"metaflow-card-type\" content=\"%s\">"
        "<title>%s</title><style>%s</style></head>\n<body><main>"
        "<header class=\"card-head\"><h1>%s</h1><div class=\"muted\">%s</div></header>\n%s\n</main></body></html>\n"
        % (CSP, esc(card_type), esc(title), STYLE, esc(title), esc(subtitle), render_items(body_items))
    )
