"""Tracking cleaning: strip tracking query parameters from links. Pure: no I/O.

Only the tracking parameters go; everything else in the URL stays byte for byte (parameter
order, percent-encoding, fragment), because the rest may be what makes the link work.
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import unquote, urlsplit

from bot.model import Post, Segment, SegmentKind, Thread

TRACKING_PREFIXES = ("utm_", "__hs", "_hs")
TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "ysclid",
        "twclid", "ttclid", "li_fat_id", "igshid", "igsh", "si", "mc_cid", "mc_eid", "ref_src",
        "ref_url", "mkt_tok", "srsltid", "_ga", "_gl", "oly_anon_id", "oly_enc_id", "vero_id",
        "vero_conv", "wickedid", "rb_clickid", "hsctatracking",
    }
)  # fmt: skip
# On X links `s`, `t` and `xmt` only say who shared the link and from which app.
X_HOSTS = frozenset({"x.com", "twitter.com", "mobile.twitter.com", "mobile.x.com"})
X_TRACKING_PARAMS = frozenset({"s", "t", "xmt"})


def strip_tracking(url: str) -> str:
    """Return the URL without its tracking parameters; an untouched URL comes back as is."""
    head, hash_mark, fragment = url.partition("#")
    path, _, query = head.partition("?")
    if not query:
        return url
    host = _host(url)
    pieces = query.split("&")
    kept = [piece for piece in pieces if not _is_tracking(piece, host)]
    if len(kept) == len(pieces):
        return url
    rebuilt_query = f"?{'&'.join(kept)}" if kept else ""
    return f"{path}{rebuilt_query}{hash_mark}{fragment}"


def strip_tracking_links(thread: Thread) -> Thread:
    """Strip tracking parameters from every link of every post and its link card.

    The card previews the author's own link, so it gets the same clean URL; quotes are someone
    else's post and stay as they are.
    """
    return replace(thread, posts=tuple(_clean_post(post) for post in thread.posts))


def _clean_post(post: Post) -> Post:
    segments = tuple(_clean_link(s) if s.kind is SegmentKind.LINK else s for s in post.text)
    card = post.card
    if card is not None and strip_tracking(card.url) != card.url:
        card = replace(card, url=strip_tracking(card.url))
    if segments == post.text and card is post.card:
        return post
    return replace(post, text=segments, card=card)


def _clean_link(segment: Segment) -> Segment:
    if segment.url is None:
        return segment
    url = strip_tracking(segment.url)
    if url == segment.url:
        return segment
    return Segment(SegmentKind.LINK, _visible_text(segment.text, segment.url, url), url)


def _visible_text(text: str, old_url: str, new_url: str) -> str:
    """Rewrite the visible text too when it shows the URL itself (with or without scheme)."""
    if text == old_url:
        return new_url
    for scheme in ("https://", "http://"):
        if old_url == scheme + text and new_url.startswith(scheme):
            return new_url.removeprefix(scheme)
    return text


def _host(url: str) -> str:
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:  # a malformed authority (e.g. a stray "[") has no host worth matching
        return ""
    return host.removeprefix("www.")


def _is_tracking(piece: str, host: str) -> bool:
    name = unquote(piece.partition("=")[0]).lower()
    if name in TRACKING_PARAMS or name.startswith(TRACKING_PREFIXES):
        return True
    return host in X_HOSTS and name in X_TRACKING_PARAMS
