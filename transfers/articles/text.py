"""An article's text and metadata: HTML reduced to text by a parser, the size limit,
and what a reader finds at the top of a wire report (title, dateline, date line).

Nothing is fetched: the text is what the editor gave.
"""

import datetime
import re
from dataclasses import dataclass

from bs4 import BeautifulSoup, CData, NavigableString, Tag
from dateutil import parser as date_parser

from ..dates import MIN_YEAR, max_sane_year

MAX_CHARS = 100_000
# The most bytes a text of MAX_CHARS characters takes in a file: four each, and a byte order mark.
MAX_BYTES = MAX_CHARS * 4 + 4
# Tags whose text is not the article's.
_NOT_TEXT = ("script", "style", "noscript", "template", "head", "nav", "footer", "form", "svg", "iframe")
# Block elements: each starts a new line of text.
_BLOCKS = ("p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr", "section", "article")

WIRES = {
    "AP": "The Associated Press",
    "Reuters": "Reuters",
    "AFP": "Agence France-Presse",
    "UPI": "United Press International",
    "dpa": "Deutsche Presse-Agentur",
}
# `MOSCOW (AP) —`, `TEHRAN, Iran (Reuters) -`: the place and the wire that opens a report.
DATELINE = re.compile(
    r"^(?P<place>[A-Z][A-Z .'’-]{1,40}?)(?:,\s*[A-Z][A-Za-z .]{1,30})?\s*\((?P<wire>"
    + "|".join(WIRES)
    + r")\)\s*[—–-]{1,2}\s*"
)
# `MADRID - Spain's Council of Ministers ...`, `NEW DELHI: India ...`: a place in capitals opening
# the report, with no wire named (trade press, national papers); four letters at least, or two
# words (`US - Russia talks ...` opens no report from a place).
PLAIN_DATELINE = re.compile(
    r"^(?P<place>[A-Z][A-Z'’-]{3,}(?: [A-Z][A-Z'’-]+){0,3}|[A-Z][A-Z'’-]+(?: [A-Z][A-Z'’-]+){1,3})"
    r"(?:,\s*[A-Z][A-Za-z0-9 .]{1,30})?\s*(?:[—–-]{1,2}|:)\s+(?=[A-Z\"“])"
)
_SOURCE_LINE = re.compile(r"^/?\s*Source:\s*(?P<publisher>.+)$", re.IGNORECASE)
_DATE_LINE_START = re.compile(
    r"^(?:(?:published|updated|posted|dated?)\b[: ]*|"
    r"(?:mon|tues|wednes|thurs|fri|satur|sun)day\b|"
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d|\d{1,2}\s+[A-Z][a-z]+\s+\d{4})",
    re.IGNORECASE,
)


class ArticleTooLong(ValueError):
    pass


_BOMS = [
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
]


def text_from_bytes(data):
    """An uploaded or read file's text: the encoding its byte order mark names (Notepad saves
    "Unicode" as UTF-16 with one), else UTF-8, else Windows-1252 (a page saved on Windows),
    which reads any bytes but five; those few are replaced."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def text_check_size(text):
    """Raise ArticleTooLong (a message for the editor) when the text is over the limit."""
    if len(text) > MAX_CHARS:
        raise ArticleTooLong(
            f"The article is {len(text):,} characters long; the limit is {MAX_CHARS:,}. "
            "Paste the report itself, without the page around it."
        )


def looks_like_html(text):
    return bool(re.search(r"<(?:html|body|p|div|article|h1|br|span)\b", text[:5000], re.IGNORECASE))


# Where a block ends, in html_to_text's walk.
_BLOCK_END = object()


# A '<' that no '>' closes before the next '<'; and a comment opened that no '-->' closes.
_UNCLOSED = re.compile(r"<(?=[^<>]*(?:<|$))")
_COMMENT_OPEN = re.compile(r"<!--")


def _unclosed_escaped(html):
    """The page with each '<' that opens nothing written as text (`&lt;`), as a browser reads
    it. Python's HTML parser (before 3.13.5, 3.12.11, 3.11.13: CVE-2025-6069) looks for the
    end of each such '<' to the end of the page: 8,000 of them, `<a <a <a ...`, took 10 s.
    Linear: each lookahead stops at the next '<' or '>'. An unclosed comment is the rest of
    the page, as a browser reads it (each `<!--` looked for its `-->` to the end)."""
    html = _UNCLOSED.sub("&lt;", html)
    last_close = html.rfind("-->")
    first_unclosed = next((m.start() for m in _COMMENT_OPEN.finditer(html, last_close + 1)), None)
    return html if first_unclosed is None else html[:first_unclosed]


def html_to_text(html):
    """The visible text of an HTML page, one block per line (BeautifulSoup's parser, no regular
    expressions). One walk over the tree with a stack of its own: no recursion, and no
    strings inserted into it (each insert_after walked the tag's descendants: 20,000 nested
    blocks, within the size limit, took half a minute)."""
    text_check_size(html)
    parts, stack = [], [BeautifulSoup(_unclosed_escaped(html), "html.parser")]
    while stack:
        node = stack.pop()
        if node is _BLOCK_END:
            parts.append("\n\n")
        elif isinstance(node, Tag):
            if node.name in _NOT_TEXT:
                continue
            if node.name in _BLOCKS:
                parts.append("\n\n")
                stack.append(_BLOCK_END)
            stack.extend(reversed(node.contents))
        elif type(node) in (NavigableString, CData):  # not comments, doctypes or declarations
            parts.append(str(node))
    lines = [" ".join(line.split()) for line in "".join(parts).splitlines()]
    return text_normalised("\n".join(lines))


def text_normalised(text):
    """Line ends unified, runs of blank lines reduced to one, runs of spaces and tabs to one
    space, no stray control characters."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    text = "".join(ch for ch in text if ch in "\n\t" or ch.isprintable())
    # Line by line and runs of spaces made one: `[ \t]+\n` tried at each space of a run with
    # no line end after it took 10 s for 100,000 spaces, and every `\s*` of the engine's
    # patterns is as slow over a long run.
    text = "\n".join(re.sub(r"[ \t]{2,}", " ", line).rstrip(" \t") for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


@dataclass
class Metadata:
    title: str = ""
    publisher: str = ""
    outlet: str = ""
    url: str = ""
    published_date: datetime.date | None = None
    place: str = ""
    # [start, end] of the dateline in the text, which is not part of any statement.
    dateline: tuple | None = None
    # Where each value was read: {"title": "first line", ...}.
    found: dict | None = None


def _date_of_line(line):
    if len(line) > 80 or not re.search(r"\b(19|20)\d\d\b", line) or not _DATE_LINE_START.match(line):
        return None
    try:
        # `Published Jan. 16, 2007, 3:49 PM UTC`: the date, whatever surrounds it.
        date = date_parser.parse(line, fuzzy=True, default=datetime.datetime(2000, 1, 1)).date()
    except (ValueError, OverflowError):
        return None
    # A line dated past any sane year is no publication date (a typo, a forecast): the
    # article is taken without one rather than refused for a date its sender never gave.
    return date if MIN_YEAR <= date.year <= max_sane_year() else None


def metadata_read(text):
    """What a reader finds at the top of the text: the title (the first line that is
    not a sentence of the report), a date line, a `Source:` line, and a dateline."""
    meta = Metadata(found={})
    offset = 0
    lines = []
    for line in text.split("\n"):
        lines.append((offset, line))
        offset += len(line) + 1
    for start, line in lines[:40]:
        stripped = line.strip()
        if not stripped:
            continue
        dateline = DATELINE.match(stripped)
        if dateline is None and not is_heading(stripped):
            dateline = PLAIN_DATELINE.match(stripped)
        if dateline:
            if "wire" in dateline.groupdict():
                meta.publisher = meta.publisher or WIRES[dateline["wire"]]
                meta.found.setdefault("publisher", f"dateline “{dateline.group(0).strip()}”")
            meta.place = dateline["place"].strip().title()
            lead = start + (len(line) - len(line.lstrip()))
            meta.dateline = (lead, lead + dateline.end())
            break
        source = _SOURCE_LINE.match(stripped)
        if source:
            meta.publisher = source["publisher"].strip()
            meta.found["publisher"] = f"line “{stripped}”"
            continue
        date = _date_of_line(stripped)
        if date and meta.published_date is None:
            meta.published_date = date
            meta.found["published_date"] = f"date line “{stripped}”"
            continue
        if not meta.title and is_heading(stripped):
            meta.title = stripped[:500]
            meta.found["title"] = "first heading line"
    return meta


def is_heading(line):
    """A line that is not a sentence: no closing punctuation, and short."""
    line = line.strip()
    return bool(line) and line[-1] not in ".?!:;”\"’')" and len(line.split()) <= 20
