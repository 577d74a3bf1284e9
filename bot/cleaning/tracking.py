"""Tracking cleaning: strip tracking query parameters from links. Pure: no I/O.

Only the tracking parameters go; everything else in the URL stays byte for byte (parameter
order, percent-encoding, fragment), because the rest may be what makes the link work. A link
text that showed the tracked URL is rebuilt from the clean one, so no tracking shows either.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from bot.cleaning.segments import with_posts
from bot.model import LINK, Post, Segment, Thread, with_changes

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
# How many characters of a link's host and path its rebuilt visible text shows before "…"
# (X shows about this many).
SHORT_FORM_LENGTH = 30


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
    return with_posts(thread, map(_clean_post, thread.posts))


def _clean_post(post: Post) -> Post:
    segments = tuple(_clean_link(s) if s.kind is LINK else s for s in post.text)
    card = post.card
    if card is not None and strip_tracking(card.url) != card.url:
        card = with_changes(card, url=strip_tracking(card.url))
    if segments == post.text and card is post.card:
        return post
    return with_changes(post, text=segments, card=card)


def _clean_link(segment: Segment) -> Segment:
    if segment.url is None:
        return segment
    url = strip_tracking(segment.url)
    if url == segment.url:
        return segment
    return Segment(LINK, _visible_text(segment.text, segment.url, url), url)


def _visible_text(text: str, old_url: str, new_url: str) -> str:
    """Rebuild the visible text from the clean URL when it shows the URL, so no tracking shows.

    A link text that shows the URL (with or without scheme or "www.", whole or cut short with an
    ellipsis) or any of the removed parameters becomes the clean URL's host and path, cut
    short the way the platforms do; a label the author wrote ("my essay") stays as it is.
    """
    if text == old_url:
        return new_url
    if not _shows_url(text, old_url):
        return text
    return short_form(new_url)


def short_form(url: str) -> str:
    """Return the URL as platforms show it: no scheme, no "www.", cut with "…" when long."""
    shown = _bare(url)
    if shown.endswith("/") and shown.count("/") == 1:
        shown = shown[:-1]  # "example.com/" reads as "example.com"
    if len(shown) <= SHORT_FORM_LENGTH:
        return shown
    return shown[:SHORT_FORM_LENGTH] + "…"


def _shows_url(text: str, url: str) -> bool:
    shown = text.strip().removesuffix("…").removesuffix("...")
    if shown and _bare(url).startswith(_bare(shown)):
        return True
    query = url.partition("#")[0].partition("?")[2]
    removed = [piece.partition("=")[0] for piece in query.split("&") if piece]
    return any(f"{name}=" in text for name in removed if _is_tracking(name, _host(url)))


def _bare(url: str) -> str:
    return url.split("://", 1)[-1].removeprefix("www.")


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
