"""Telegram's text handling for the fake Bot API: HTML parse mode, automatic entities, UTF-16.

Pure: no I/O. Turns what a bot sends (`text` + `parse_mode` or `entities`) into what Telegram
stores (visible text + entities with UTF-16 offsets), and turns what a user types into the
entities Telegram's clients attach (url, mention, hashtag, bot_command).

The parser follows TDLib's `parse_html`: only the listed tags,
four named character references plus numeric ones, unknown `&name;` kept as text, a bare `>`
allowed, a bare `<` rejected, `</>` closing whatever is open. Error texts are TDLib's.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

Entity = dict[str, Any]

# Tags TDLib accepts in HTML mode, mapped to the entity type they produce ("" = decided later).
_TAG_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "",
    "code": "code",
    "pre": "pre",
    "blockquote": "",
    "tg-emoji": "custom_emoji",
    "tg-time": "date_time",
}
_NAMED_REFERENCES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_REFERENCE = re.compile(r"&(?:#x([0-9a-fA-F]+)|#([0-9]+)|([a-zA-Z]+));?")
_SPACE = " \t\r\n"
_TAG_NAME = re.compile(r"[^\s>]*(?=[\s>])")
# Types that hide their text from automatic detection, as Telegram does for code and links.
_OPAQUE_TYPES = frozenset(
    {"code", "pre", "text_link", "url", "mention", "text_mention", "bot_command", "custom_emoji"}
)
_URL = re.compile(
    r"(?<![\w/@.])(?:https?://|www\.)[^\s<>\"]+"
    # Without a scheme, only host names on common TLDs followed by a path count as links.
    r"|(?<![\w/@.])(?:[a-z0-9-]+\.)+"
    r"(?:com|org|net|social|app|io|me|dev|co|xyz|ph|uk|de)/[^\s<>\"]*",
    re.IGNORECASE,
)
_MENTION = re.compile(r"(?<![\w@])@[A-Za-z0-9_]{3,32}(?![\w@])")
_HASHTAG = re.compile(r"(?<![\w#])#\w*[^\W\d]\w*")
_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w@/])")
_TRAILING_PUNCTUATION = ".,:;!?'\"»)]"
# Sort order for entities starting at the same place, outermost first (TDLib sorts this way).
_TYPE_ORDER = {"blockquote": 0, "expandable_blockquote": 0, "pre": 1, "text_link": 2}


class EntityParseError(ValueError):
    """HTML that Telegram refuses; the message is the part after "can't parse entities: "."""


@dataclass(frozen=True, slots=True)
class ParsedText:
    """Visible text and its entities, offsets and lengths in UTF-16 code units."""

    text: str
    entities: list[Entity] = field(default_factory=list)


def utf16_len(text: str) -> int:
    """Return the length of `text` in UTF-16 code units, the unit of every Telegram offset."""
    return len(text.encode("utf-16-le")) // 2


def utf16_slice(text: str, offset: int, length: int) -> str:
    """Return the part of `text` an entity covers."""
    units = text.encode("utf-16-le")
    return units[offset * 2 : (offset + length) * 2].decode("utf-16-le", errors="replace")


@dataclass
class _Open:
    tag: str
    attributes: dict[str, str]
    start: int  # UTF-16 offset in the visible text
    byte_offset: int


@dataclass
class _HtmlParser:
    markup: str
    out: list[str] = field(default_factory=list)
    length: int = 0
    stack: list[_Open] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)

    def parse(self) -> ParsedText:
        i = 0
        # Each step consumes at least one character, so this ends after len(markup) steps.
        while i < len(self.markup):
            char = self.markup[i]
            if char == "&":
                i = self._reference(i)
            elif char == "<":
                i = self._tag(i)
            else:
                self._emit(char)
                i += 1
        if self.stack:
            raise EntityParseError(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1].tag}"'
            )
        return ParsedText("".join(self.out), self.entities)

    def _emit(self, text: str) -> None:
        self.out.append(text)
        self.length += utf16_len(text)

    def _byte_offset(self, index: int) -> int:
        return len(self.markup[:index].encode())

    def _reference(self, i: int) -> int:
        match = _REFERENCE.match(self.markup, i)
        decoded = _decode_reference(match) if match else None
        if match is None or decoded is None:
            self._emit("&")  # TDLib keeps an unknown reference as literal text
            return i + 1
        self._emit(decoded)
        return match.end()

    def _tag(self, i: int) -> int:
        end = _tag_end(self.markup, i)
        if self.markup.startswith("</", i):
            return self._end_tag(i, end)
        # TDLib reads the name up to a space or ">" and checks it before the rest of the tag.
        name_match = _TAG_NAME.match(self.markup, i + 1)
        if name_match is None or (end < 0 and name_match.group().lower() in _TAG_TYPES):
            raise EntityParseError(f"Unclosed start tag at byte offset {self._byte_offset(i)}")
        name = name_match.group().lower()
        if name not in _TAG_TYPES:
            raise EntityParseError(
                f'Unsupported start tag "{name}" at byte offset {self._byte_offset(i)}'
            )
        body = self.markup[i + 1 : end]
        attributes = _parse_attributes(name, body[len(name) :], self._byte_offset(i))
        if name == "span" and attributes.get("class") != "tg-spoiler":
            raise EntityParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {self._byte_offset(i)}'
            )
        self.stack.append(_Open(name, attributes, self.length, self._byte_offset(i)))
        return end + 1

    def _end_tag(self, i: int, end: int) -> int:
        offset = self._byte_offset(i)
        if not self.stack:
            raise EntityParseError(f"Unexpected end tag at byte offset {offset}")
        if end < 0 or re.search(r"\s", self.markup[i + 2 : end].rstrip()):
            raise EntityParseError(f"Unclosed end tag at byte offset {offset}")
        name = self.markup[i + 2 : end].strip().lower()
        opened = self.stack.pop()
        if name and name != opened.tag:  # TDLib lets "</>" close any tag
            raise EntityParseError(
                f'Unmatched end tag at byte offset {offset}, expected "</{opened.tag}>", '
                f'found "</{name}>"'
            )
        self._close(opened)
        return end + 1

    def _close(self, opened: _Open) -> None:
        length = self.length - opened.start
        if length == 0:
            return
        if opened.tag == "code" and self.stack and self.stack[-1].tag == "pre":
            # <pre><code class="language-x"> gives the pre its language instead of a code entity.
            language = opened.attributes.get("class", "").removeprefix("language-")
            if language:
                self.stack[-1].attributes["language"] = language
            return
        entity = _entity_for(opened, "".join(self.out))
        if entity is not None:
            self.entities.append({**entity, "offset": opened.start, "length": length})


def _tag_end(markup: str, start: int) -> int:
    """Return the index of the ">" closing the tag at `start`, skipping quoted values, or -1."""
    quote = ""
    for index in range(start + 1, len(markup)):
        char = markup[index]
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char == ">":
            return index
    return -1


def _decode_reference(match: re.Match[str]) -> str | None:
    hex_digits, decimal, name = match.groups()
    if name is not None:
        return _NAMED_REFERENCES.get(name)
    code = int(hex_digits, 16) if hex_digits is not None else int(decimal)
    if code == 0 or code >= 0x10FFFF:
        return None
    return chr(code)


def _parse_attributes(tag: str, text: str, byte_offset: int) -> dict[str, str]:
    attributes: dict[str, str] = {}
    pattern = re.compile(r"\s*([^\s=]+)(?:\s*=\s*(\"[^\"]*\"|'[^']*'|[A-Za-z0-9.-]+))?\s*")
    position = 0
    while position < len(text):  # each match consumes at least one character
        match = pattern.match(text, position)
        if match is None or match.end() == position:
            raise EntityParseError(f"Unclosed start tag at byte offset {byte_offset}")
        name, raw = match.group(1).lower(), match.group(2)
        if raw is None and not (tag == "blockquote" and name == "expandable"):
            raise EntityParseError(
                "Expected equal sign in declaration of an attribute of the tag "
                f'"{tag}" at byte offset {byte_offset}'
            )
        attributes[name] = html.unescape(raw.strip("\"'")) if raw is not None else ""
        position = match.end()
    return attributes


def _entity_for(opened: _Open, text_so_far: str) -> Entity | None:
    attributes = opened.attributes
    if opened.tag == "a":
        return _link_entity(attributes.get("href", ""))
    if opened.tag == "blockquote":
        return {"type": "expandable_blockquote" if "expandable" in attributes else "blockquote"}
    if opened.tag == "pre":
        return {
            "type": "pre",
            **({"language": attributes["language"]} if "language" in attributes else {}),
        }
    if opened.tag == "tg-emoji":
        return {"type": "custom_emoji", "custom_emoji_id": attributes.get("emoji-id", "")}
    if opened.tag == "tg-time":
        return {
            "type": "date_time",
            "unix_time": int(attributes.get("unix", "0") or 0),
            **({"date_time_format": attributes["format"]} if "format" in attributes else {}),
        }
    return {"type": _TAG_TYPES[opened.tag]}


def _link_entity(href: str) -> Entity | None:
    user = re.fullmatch(r"tg://user\?id=(\d+)", href)
    if user:
        return {
            "type": "text_mention",
            "user": {"id": int(user.group(1)), "is_bot": False, "first_name": ""},
        }
    if not re.match(r"(?:https?|tg|ftp)://\S", href):
        return None  # TDLib drops a link it cannot check rather than failing the message
    return {"type": "text_link", "url": href}


def parse_html(markup: str) -> ParsedText:
    """Parse Telegram HTML into visible text and entities, raising EntityParseError like TDLib."""
    return _HtmlParser(markup).parse()


def detect_entities(text: str, existing: Iterable[Mapping[str, Any]] = ()) -> list[Entity]:
    """Return the url, mention and hashtag entities Telegram adds to `text` on its own.

    Text already covered by a link, code or mention entity is skipped, as Telegram does.
    """
    taken = [
        (int(e["offset"]), int(e["offset"]) + int(e["length"]))
        for e in existing
        if e["type"] in _OPAQUE_TYPES
    ]
    found: list[Entity] = []
    for kind, pattern in (("url", _URL), ("mention", _MENTION), ("hashtag", _HASHTAG)):
        for match in pattern.finditer(text):
            value = _trim_url(match.group()) if kind == "url" else match.group()
            start = utf16_len(text[: match.start()])
            end = start + utf16_len(value)
            if any(start < stop and begin < end for begin, stop in taken):
                continue
            taken.append((start, end))
            found.append({"type": kind, "offset": start, "length": end - start})
    return found


def _trim_url(url: str) -> str:
    # Trailing punctuation ends a sentence, not the link; keep ")" when the link opened one.
    while url and url[-1] in _TRAILING_PUNCTUATION:
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        url = url[:-1]
    return url


def command_entity(text: str) -> Entity | None:
    """Return the bot_command entity for a message that starts with `/cmd` or `/cmd@bot`."""
    match = _COMMAND.match(text)
    if match is None:
        return None
    return {"type": "bot_command", "offset": 0, "length": utf16_len(match.group())}


def finish_text(text: str, entities: Iterable[Mapping[str, Any]]) -> ParsedText:
    """Trim outer whitespace, add automatic entities and sort, as Telegram stores a message."""
    stripped = text.strip(_SPACE)
    lead = utf16_len(text[: len(text) - len(text.lstrip(_SPACE))])
    size = utf16_len(stripped)
    kept: list[Entity] = []
    for entity in entities:
        start = max(int(entity["offset"]) - lead, 0)
        end = min(int(entity["offset"]) + int(entity["length"]) - lead, size)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    kept.extend(detect_entities(stripped, kept))
    kept.sort(key=lambda e: (e["offset"], -e["length"], _TYPE_ORDER.get(e["type"], 9)))
    return ParsedText(stripped, kept)
