"""Telegraph pages as Node JSON, split into linked parts past the size limit. Pure: no I/O.

Only Telegraph's tags and its two attributes (`href`, `src`) are written
(https://telegra.ph/api#NodeElement).
Images are hot-linked from where the platform serves them, since Telegraph stopped hosting
uploads in 2024; a video shows as its thumbnail with a link to the file. An `href` or `src` is
written only for a URL `safety.safe_url` allows (the words of any other stay as text), and
every text node loses the characters XML forbids.

The thread's language and direction are not written: Node elements carry no `lang` or `dir`,
and bidirectional marks (U+200F, U+2067…) are not added in their place, since they would end up
in text readers copy and search; Telegraph's reader lays out each paragraph as it sees fit.

Sizes are measured on the exact string the client sends: compact JSON with every non-ASCII
character escaped. That string is never shorter than any other way of counting the same content,
so a part within the budget here is within Telegraph's 64 KB however it counts.

Parts link forward. A page's URL is only known once it exists, so every part but the last ends
with a link to `NEXT_PART_PLACEHOLDER`; the client creates the parts last to first and fills in
each next URL with `link_next` before creating the page that points to it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import Required, TypeAlias, TypedDict

from bot import safety
from bot.i18n import N_, Words
from bot.model import Media, MediaType, Poll, Post, Quote, Segment, SegmentKind, Thread
from bot.rendering import RenderOptions, summary
from bot.rendering.passages import Passage, group_passages, split_paragraphs

Node: TypeAlias = "str | NodeElement"


class NodeElement(TypedDict, total=False):
    """A Telegraph element: a tag, its attributes and its children."""

    tag: Required[str]
    attrs: dict[str, str]
    children: list[Node]


ALLOWED_TAGS = frozenset(
    {
        *("a", "aside", "b", "blockquote", "br", "code", "em", "figcaption", "figure", "h3"),
        *("h4", "hr", "i", "iframe", "img", "li", "ol", "p", "pre", "s", "strong", "u", "ul"),
        "video",
    }
)
ALLOWED_ATTRS = frozenset({"href", "src"})
MAX_CONTENT_BYTES = 64 * 1024
CONTENT_BUDGET_BYTES = 60_000
"""What a part is filled to: under the limit with room to spare, since the limit is unverified."""
MAX_TITLE_CHARS = 256
NEXT_PART_PLACEHOLDER = "telegraph:next-part"
NEXT_PART_TEXT = N_("Next part →")


@dataclass(frozen=True, slots=True)
class TelegraphPage:
    """One Telegraph page to create: its title and its content nodes."""

    title: str
    content: list[Node]
    next_text: str = NEXT_PART_TEXT  # the words of its link to the next part, when split


def render(
    thread: Thread,
    options: RenderOptions = RenderOptions(),
    *,
    max_bytes: int = CONTENT_BUDGET_BYTES,
) -> list[TelegraphPage]:
    """Return the thread as one page, or as parts "Title (1/3)" of at most `max_bytes` each.

    Author and original link open the first part, the completeness line ends the last.
    """
    words = options.words
    blocks: list[Node] = []
    if options.include_header:
        blocks.extend(_header(thread, words))
    for passage in group_passages(thread.posts):
        blocks.extend(_passage_blocks(passage, words))
    if options.include_footer:
        runs = summary.completeness_runs(thread.report, words)
        line = _el("i", *(_a(url, text) if url else text for text, url in runs))
        blocks.extend(({"tag": "hr"}, _p(line)))
    clean = [_clean_node(block) for block in blocks]
    next_text = words.gettext(NEXT_PART_TEXT)
    title = safety.clean_text(summary.title(thread, words))
    return _number(title, _paginate(clean, max_bytes, next_text), next_text)


def content_json(content: Sequence[Node]) -> str:
    """Return the `content` form field exactly as the client sends it."""
    return json.dumps(content, ensure_ascii=True, separators=(",", ":"))


def content_size(content: Sequence[Node]) -> int:
    """Count the bytes of `content_json(content)`, the size Telegraph's limit applies to."""
    return len(content_json(content))


def link_next(page: TelegraphPage, url: str) -> TelegraphPage:
    """Return the page with its link to the next part pointing at `url`."""
    return TelegraphPage(page.title, [_fill_placeholder(node, url) for node in page.content])


def split_page(pages: Sequence[TelegraphPage], index: int) -> list[TelegraphPage]:
    """Cut `pages[index]` in two linked halves and number all parts again.

    For a part Telegraph refused as too big. Raises ValueError when the page is one node that
    cannot be cut (an image), since no split can help then.
    """
    first, second = _halve_content(pages[index].content)
    contents = [page.content for page in pages]
    next_text = pages[index].next_text
    contents[index : index + 1] = [[*first, _next_link(next_text)], second]
    return _number(_base_title(pages), contents, next_text)


# Layout: the thread as block nodes.


def _header(thread: Thread, words: Words) -> Iterator[NodeElement]:
    author = thread.author
    yield _p(_el("b", _a(author.url, author.name)), f" (@{author.handle})")
    posts = summary.posts_text(thread.report.posts, words)
    facts = f"{summary.byline_facts(thread, words)} · {posts}"
    yield _p(facts, {"tag": "br"}, _a(thread.url, summary.original_on(thread, words)))


def _passage_blocks(passage: Passage, words: Words) -> Iterator[NodeElement]:
    if passage.gap_before:
        yield _p(_el("i", summary.gap_text(passage.gap_before, words)))
    if passage.content_warning:
        label = summary.content_warning_label(words)
        yield _p(_el("b", label), " " + " ".join(passage.content_warning.split()))
    yield from (_p(*_inline(paragraph)) for paragraph in passage.paragraphs)
    for post in passage.posts:
        yield from _attachment_blocks(post, words)


def _attachment_blocks(post: Post, words: Words) -> Iterator[NodeElement]:
    yield from (_media_block(media, words) for media in post.media)
    if post.poll:
        yield from _poll_blocks(post.poll, words)
    if post.card:
        yield _p("🔗 ", _a(post.card.url, post.card.title or post.card.url))
    if post.quote:
        yield _quote_block(post.quote, words)


def _media_block(media: Media, words: Words) -> NodeElement:
    image = safety.safe_url(media.url if media.type is MediaType.PHOTO else media.thumbnail_url)
    caption = summary.media_caption(media, words)
    if image is None:
        return _p(_a(media.url, caption))
    label: Node = caption if media.type is MediaType.PHOTO else _a(media.url, caption)
    return _el("figure", {"tag": "img", "attrs": {"src": image}}, _el("figcaption", label))


def _poll_blocks(poll: Poll, words: Words) -> Iterator[NodeElement]:
    yield _p(summary.poll_caption(poll, words))
    yield _el("ul", *(_el("li", summary.poll_option_text(o, poll, words)) for o in poll.options))


def _quote_block(quote: Quote, words: Words) -> NodeElement:
    if quote.unavailable:
        return _el("blockquote", _el("i", summary.quote_unavailable(words)))
    caption = summary.quote_caption(quote, words)
    lines: list[list[Node]] = [[_el("b", _a(quote.url, caption))]]
    lines.extend(_inline(paragraph) for paragraph in split_paragraphs(quote.text))
    lines.extend([_a(media.url, summary.media_caption(media, words))] for media in quote.media)
    return _el("blockquote", *_interleave(lines, {"tag": "br"}))


def _inline(segments: Iterable[Segment]) -> list[Node]:
    nodes: list[Node] = []
    for segment in segments:
        if segment.kind is SegmentKind.TEXT or not segment.url:
            lines: list[list[Node]] = [[line] for line in segment.text.split("\n")]
            nodes.extend(node for node in _interleave(lines, {"tag": "br"}) if node != "")
        else:
            nodes.append(_a(segment.url, segment.text))
    return nodes


def _interleave(groups: Iterable[list[Node]], separator: Node) -> list[Node]:
    joined: list[Node] = []
    for index, group in enumerate(groups):
        if index:
            joined.append(separator)
        joined.extend(group)
    return joined


def _a(url: str | None, text: str) -> Node:
    # Telegraph drops links it cannot open, and others may run: keep the words of the rest.
    target = safety.safe_url(url)
    if target:
        return {"tag": "a", "attrs": {"href": target}, "children": [text]}
    return text


def _clean_node(node: Node) -> Node:
    if isinstance(node, str):
        return safety.clean_text(node)
    if "children" not in node:
        return node
    return _with_children(node, [_clean_node(child) for child in node["children"]])


def _p(*children: Node) -> NodeElement:
    return _el("p", *children)


def _el(tag: str, *children: Node) -> NodeElement:
    return {"tag": tag, "children": list(children)}


# Parts: pack blocks into pages under the budget, cutting blocks that alone are too big.


def _paginate(blocks: Sequence[Node], max_bytes: int, next_text: str) -> list[list[Node]]:
    link_cost = _size(_next_link(next_text)) + 1  # the link node and its comma
    room = max_bytes - link_cost - 2  # what blocks may fill, inside the list's brackets
    parts: list[list[Node]] = [[]]
    used = 0
    for block in _fitting(blocks, room):
        cost = _size(block) + 1
        if parts[-1] and used + cost > room:
            parts.append([])
            used = 0
        parts[-1].append(block)
        used += cost
    return [[*part, _next_link(next_text)] for part in parts[:-1]] + [parts[-1]]


def _fitting(nodes: Iterable[Node], limit: int) -> Iterator[Node]:
    for node in nodes:
        halves = _halve(node) if _size(node) > limit else None
        if halves is None:
            yield node  # fits, or is one image: cannot be cut, Telegraph will judge
        else:
            yield from _fitting(halves, limit)


def _halve_content(content: Sequence[Node]) -> tuple[list[Node], list[Node]]:
    """Cut a page's nodes in two lists of about equal size, cutting a node that is over half."""
    nodes = list(content)
    total = _size(nodes)
    while len(nodes) < 2 or _size(biggest := max(nodes, key=_size)) > total // 2:
        target = nodes[0] if len(nodes) < 2 else biggest
        halves = _halve(target)
        if halves is None and len(nodes) < 2:
            raise ValueError("a page of one node that cannot be cut")
        if halves is None:
            break  # an image over half the page: the cut below still makes both parts smaller
        at = nodes.index(target)
        nodes[at : at + 1] = halves
    sizes = list(accumulate(_size(node) for node in nodes))
    cut = min(range(1, len(nodes)), key=lambda i: max(sizes[i - 1], total - sizes[i - 1]))
    return nodes[:cut], nodes[cut:]


def _halve(node: Node) -> tuple[Node, Node] | None:
    """Cut one node in two of the same kind, or return None when it cannot be cut."""
    if isinstance(node, str):
        if len(node) < 2:
            return None
        middle = len(node) // 2
        space = node.rfind(" ", 0, middle + 1)
        cut = space if space > 0 else middle  # at a word when there is one
        return node[:cut], node[cut:]
    children = node.get("children", [])
    if len(children) >= 2:
        middle = len(children) // 2
        return _with_children(node, children[:middle]), _with_children(node, children[middle:])
    halves = _halve(children[0]) if children else None
    if halves is None:
        return None
    return _with_children(node, [halves[0]]), _with_children(node, [halves[1]])


def _with_children(node: NodeElement, children: list[Node]) -> NodeElement:
    copy = node.copy()
    copy["children"] = children
    return copy


def _size(node: Node | Sequence[Node]) -> int:
    return len(json.dumps(node, ensure_ascii=True, separators=(",", ":")))


def _next_link(next_text: str) -> NodeElement:
    return _p(
        _el(
            "b",
            {"tag": "a", "attrs": {"href": NEXT_PART_PLACEHOLDER}, "children": [next_text]},
        )
    )


def _fill_placeholder(node: Node, url: str) -> Node:
    if isinstance(node, str):
        return node
    copy = node.copy()
    if node.get("attrs", {}).get("href") == NEXT_PART_PLACEHOLDER:
        copy["attrs"] = {"href": url}
    if "children" in node:
        copy["children"] = [_fill_placeholder(child, url) for child in node["children"]]
    return copy


# Titles: "Title (2/3)", within Telegraph's 256 characters.


def _number(base: str, contents: list[list[Node]], next_text: str) -> list[TelegraphPage]:
    total = len(contents)
    if total == 1:
        return [TelegraphPage(base[:MAX_TITLE_CHARS], contents[0], next_text)]
    pages = []
    for number, content in enumerate(contents, start=1):
        suffix = f" ({number}/{total})"
        title = base[: MAX_TITLE_CHARS - len(suffix)] + suffix
        pages.append(TelegraphPage(title, content, next_text))
    return pages


def _base_title(pages: Sequence[TelegraphPage]) -> str:
    # `_number` added exactly this suffix to the first part; removing it gives the base back.
    if len(pages) == 1:
        return pages[0].title
    return pages[0].title.removesuffix(f" (1/{len(pages)})")
