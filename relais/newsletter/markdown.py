"""Markdown to e-mail HTML and to the plain-text alternative.

markdown-it-py (CommonMark, plus tables) is already installed with rich and
gives a token stream: the same tokens make the HTML and the text part, and
let us check every image (an absolute http(s) URL and an alt text, since
many mail clients block images and screen readers need the words).
Raw HTML in the source is not rendered: what reaches Outlook is only what
the layout knows how to style.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.token import Token

from relais.errors import InvalidInput


@lru_cache(maxsize=1)
def parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "typographer": False}).enable("table")


def tokens(source: str, first_line: int = 1) -> list[Token]:
    """Parsed tokens; raises when an image lacks alt text or an absolute URL."""
    parsed = parser().parse(source)
    for block in parsed:
        for child in block.children or []:
            if child.type == "image":
                _check_image(child, first_line + (block.map[0] if block.map else 0))
    return parsed


def _check_image(image: Token, line: int) -> None:
    source = str(image.attrGet("src") or "")
    if not source.startswith(("https://", "http://")):
        raise InvalidInput("newsletter_image_url", line=line, url=source[:80])
    if not image.content.strip():
        raise InvalidInput("newsletter_image_alt", line=line, url=source[:80])


def to_html(parsed: Sequence[Token]) -> str:
    return parser().renderer.render(parsed, parser().options, {})


def to_text(parsed: Sequence[Token]) -> str:
    """Readable plain text: links as « words (url) », images as their alt text."""
    lines: list[str] = []
    prefixes: list[str] = []
    numbers: list[int] = []
    row: list[str] | None = None
    for token in parsed:
        kind = token.type
        if kind == "bullet_list_open":
            numbers.append(0)
        elif kind == "ordered_list_open":
            numbers.append(int(token.attrGet("start") or 1))
        elif kind in ("bullet_list_close", "ordered_list_close"):
            numbers.pop()
            lines.append("")
        elif kind == "list_item_open":
            prefixes.append(_bullet(numbers))
        elif kind == "list_item_close":
            prefixes.pop()
        elif kind == "blockquote_open":
            prefixes.append("> ")
        elif kind == "blockquote_close":
            prefixes.pop()
        elif kind == "tr_open":
            row = []
        elif kind == "inline" and row is not None:
            row.append(_inline_text(token.children or []))
        elif kind == "inline":
            _append(lines, prefixes, _inline_text(token.children or []))
        elif kind == "tr_close" and row is not None:
            lines.append(" | ".join(row))
            row = None
        elif kind in ("fence", "code_block"):
            _append(lines, prefixes, token.content.rstrip("\n"))
            lines.append("")
        elif kind == "hr":
            lines.extend(["-" * 20, ""])
        elif kind in ("paragraph_close", "heading_close", "table_close") and not token.hidden:
            lines.append("")
    return _squeeze(lines)


def _bullet(numbers: list[int]) -> str:
    if not numbers or numbers[-1] == 0:
        return "- "
    number = numbers[-1]
    numbers[-1] += 1
    return f"{number}. "


def _append(lines: list[str], prefixes: list[str], text: str) -> None:
    """Add ``text`` under the current list/quote prefixes; a bullet shows on its first line only."""
    first = "".join(prefixes)
    rest = "".join("> " if prefix == "> " else " " * len(prefix) for prefix in prefixes)
    for index, part in enumerate(text.split("\n")):
        lines.append((first if index == 0 else rest) + part)
        if index == 0 and prefixes and prefixes[-1] != "> ":
            prefixes[-1] = " " * len(prefixes[-1])
            first = "".join(prefixes)


def _inline_text(children: Sequence[Token]) -> str:
    parts: list[str] = []
    links: list[tuple[str, int]] = []
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif child.type == "image":
            parts.append(f"[{child.content}]")
        elif child.type == "link_open":
            links.append((str(child.attrGet("href") or ""), len(parts)))
        elif child.type == "link_close" and links:
            href, start = links.pop()
            words = "".join(parts[start:])
            if href and href != words and not href.startswith("mailto:"):
                parts.append(f" ({href})")
    return "".join(parts)


def _squeeze(lines: list[str]) -> str:
    """Strip trailing spaces and keep at most one blank line in a row."""
    out: list[str] = []
    for line in (line.rstrip() for line in lines):
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip("\n") + "\n"
