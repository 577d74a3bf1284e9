"""Find the first supported post link in a message and name it with a ThreadKey. Pure: no I/O.

This is the first step of the flow: text (and Telegram's link entities) in, a canonical
`ThreadKey` out, so that every way of writing the same post (mirror hosts, `www.`, query
strings, fragments, trailing slashes, stray punctuation) gives one key for caching and single
flight. X links are `HOST/HANDLE/status/ID` on x.com, twitter.com and the FxTwitter and
vxTwitter mirror families; Mastodon links name their instance (`/@user/ID`, `/users/u/statuses/
ID`, `/notice/ID` …); Bluesky links are `bsky.app/profile/HANDLE_OR_DID/post/RKEY` or `at://`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from urllib.parse import SplitResult, unquote, urlsplit

from bot.errors import UnsupportedLinkError, UnsupportedPlatformError
from bot.model import Platform, ThreadKey

# A URL-looking thing: `scheme://…` (any scheme, so `ftp://` is found and refused rather than
# ignored), or a scheme-less `host.tld/path` such as `x.com/jack/status/20`. A bare domain
# without a path, `mailto:` and plain words are not URL-looking. Spaces, angle brackets, quotes
# and full-width punctuation (CJK text needs no space before it) end a URL.
_URL_CHAR = r"""[^\s<>"«»（）「」『』【】、。，！？]"""
_URL_IN_TEXT = re.compile(
    rf"""
    \b[a-z][a-z0-9+.-]*://{_URL_CHAR}+
    | (?<![\w@./:-])(?:[a-z0-9-]+\.)+[a-z]{{2,}}(?::[0-9]{{1,5}})?/{_URL_CHAR}*
    """,
    re.IGNORECASE | re.VERBOSE,
)
# People type links inside brackets and sentences; none of these ends a supported post URL.
_TRAILING_PUNCTUATION = ".,;:!?'\"’”»>)]}…"
_LEADING_PUNCTUATION = "([{<«\"'“‘"

_X_DOMAINS = (
    *("x.com", "twitter.com"),
    *("fxtwitter.com", "fixupx.com", "twittpr.com"),  # FxTwitter's families
    *("vxtwitter.com", "fixvx.com"),  # vxTwitter's
)
_BLUESKY_HOSTS = frozenset(
    {"bsky.app", "staging.bsky.app", "fxbsky.app", "canary.fxbsky.app", "api.fxbsky.app"}
)
_THREADS_DOMAINS = ("threads.net", "threads.com")

# X family hosts also know handle-less `/status/ID` (vxTwitter) and FxTwitter's `/dl/`, `/dir/`
# prefixes. Any other host counts as an X mirror (Nitter and friends) only with the strict
# generic `HANDLE/status/ID` shape, which collides with neither Mastodon (`/@user/…`) nor Bluesky.
_X_FAMILY_PATH = re.compile(
    r"(?:(?:dl|dir)/)?(?:(?:i/web|[a-z0-9_]{1,15})/)?status(?:es)?/([0-9]{1,20})(?:/.*)?", re.I
)
_X_MIRROR_PATH = re.compile(r"(?:i/web|[a-z0-9_]{1,15})/status(?:es)?/([0-9]{2,20})(?:/.*)?", re.I)

# Mastodon ids are opaque, but must hold a digit so profile tabs (`/@alice/media`) are no post.
_MASTODON_ID = r"((?=[a-z]*\d)[a-z0-9]+)"
_MASTODON_USER = r"[\w.-]+(?:@[a-z0-9.-]+)?"
_MASTODON_PATHS = tuple(
    re.compile(pattern, re.I)
    for pattern in (
        rf"(?:web/)?@{_MASTODON_USER}/(?:statuses/)?{_MASTODON_ID}(?:/embed)?",
        rf"(?:ap/)?users/[\w.-]+/statuses/{_MASTODON_ID}",
        rf"web/statuses/{_MASTODON_ID}",
    )
)

_BLUESKY_PATH = re.compile(r"profile/([^/]+)/post/([^/]+)(?:/.*)?")
_AT_URI = re.compile(r"at://([^/]+)/app\.bsky\.feed\.post/([^/?#]+)/?(?:[?#].*)?", re.I)
_DID = re.compile(r"did:[a-z]+:[a-zA-Z0-9._:%-]*[a-zA-Z0-9._-]")
_HANDLE = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}", re.I)
_RECORD_KEY = re.compile(r"[A-Za-z0-9._:~-]{1,512}")

# `mailto:` has a scheme; `localhost:8080/…` and `x.com/…` do not (a port follows the colon).
_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*:(?!\d)", re.I)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def find_link(text: str, entity_urls: Sequence[str] = ()) -> ThreadKey:
    """Return the key of the first supported post link in a message.

    Raises:
        UnsupportedPlatformError: the only links are to a platform we recognise but do not
            support (Threads).
        UnsupportedLinkError: there is no link at all, or none of them is a supported post.
    """
    key = find_key(text, entity_urls)
    if key is None:
        raise UnsupportedLinkError("no link in the message")
    return key


def find_key(text: str, entity_urls: Sequence[str] = ()) -> ThreadKey | None:
    """Return the key of the first supported post link, or None when there is no link at all.

    Candidates are the entity targets first (Telegram `text_link` targets and `url` entities,
    in the order given), then the URL-looking things of `text` in order of appearance. A
    supported link wins over any unsupported one before it. None means nothing URL-looking was
    found (`mailto:` and bare domains without a path do not count); when links are present but
    none is supported this raises, as `find_link` does, preferring UnsupportedPlatformError
    (say "Threads is not supported yet") over UnsupportedLinkError.
    """
    refusals: list[UnsupportedLinkError] = []
    for candidate in _candidates(text, entity_urls):
        try:
            return canonicalise(candidate)
        except UnsupportedLinkError as exc:
            refusals.append(exc)
    if not refusals:
        return None
    platform_refusals = [r for r in refusals if isinstance(r, UnsupportedPlatformError)]
    raise (platform_refusals or refusals)[0]


def canonicalise(url: str) -> ThreadKey:
    """Name the post one URL points to, whichever mirror or spelling it uses.

    A URL without a scheme is read as https. Keys:

    - X: `ThreadKey(X, "x.com", status_id)` for x.com, twitter.com, their FxTwitter and
      vxTwitter mirrors with any subdomain, and any other host with the generic
      `/{handle}/status/{id}` shape (Nitter instances).
    - Bluesky: `ThreadKey(BLUESKY, "bsky.app", "AUTHORITY/RKEY")`, AUTHORITY a DID as written
      or a lower-cased handle.
    - Mastodon: `ThreadKey(MASTODON, host, status_id)`. `host` is the instance host,
      lower-cased and IDNA-encoded, with `:PORT` appended when the URL names a port other than
      its scheme's default (IPv6 literals keep their brackets). The key does not record the
      scheme: the Mastodon source chooses https, or http for hosts with an explicit port when
      private hosts are allowed (tests serve `http://127.0.0.1:PORT/@alice/123`). `www.` is
      kept on Mastodon hosts, since an instance's `www.` name may not serve the same site.

    Raises:
        UnsupportedPlatformError: a Threads link.
        UnsupportedLinkError: anything else that is not a link to a post we support.
    """
    url = _strip_punctuation(url.strip())
    at_uri = _AT_URI.fullmatch(url)
    if at_uri:
        return _bluesky_key(at_uri.group(1), at_uri.group(2), url)
    parts = _split(url)
    host = _host(parts, url)
    path = "/".join(unquote(s) for s in parts.path.split("/") if s)
    bare_host = host.removeprefix("www.")
    if _is_in(bare_host, _THREADS_DOMAINS):
        raise UnsupportedPlatformError(f"Threads link: {url}", platform="threads")
    if bare_host in _BLUESKY_HOSTS:
        return _bluesky_key_from_path(path, url)
    if _is_in(bare_host, _X_DOMAINS):
        return _x_key(_X_FAMILY_PATH.fullmatch(path), url)
    # Mastodon first: its `/web/statuses/ID` would also pass for an X mirror's shape.
    return _mastodon_key(_with_port(host, parts), path) or _x_key(
        _X_MIRROR_PATH.fullmatch(path), url
    )


def post_url(key: ThreadKey) -> str:
    """Return a canonical web URL for a key, for when only the key is known.

    Sources put each post's own URL in the thread; this is the fallback that needs no fetch.
    Mastodon's `/web/statuses/ID` form is used because the key has no username; instances
    redirect it to the post. `canonicalise(post_url(key)) == key` for every key.
    """
    if key.platform is Platform.X:
        return f"https://x.com/i/status/{key.post_id}"
    if key.platform is Platform.BLUESKY:
        authority, rkey = key.post_id.split("/", 1)
        return f"https://bsky.app/profile/{authority}/post/{rkey}"
    if key.platform is Platform.MASTODON:
        return f"https://{key.host}/web/statuses/{key.post_id}"
    raise UnsupportedPlatformError(f"no URL for {key}", platform=key.platform.value)


def _candidates(text: str, entity_urls: Sequence[str]) -> Iterator[str]:
    yield from entity_urls
    for match in _URL_IN_TEXT.finditer(text):
        yield match.group(0)


def _strip_punctuation(url: str) -> str:
    url = url.lstrip(_LEADING_PUNCTUATION)
    while url and url[-1] in _TRAILING_PUNCTUATION:
        # Keep a closing bracket that closes one inside the URL (`…/Foo_(bar)`).
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        url = url[:-1]
    return url


def _split(url: str) -> SplitResult:
    if _SCHEME.match(url) is None:
        url = f"https://{url}"
    parts = urlsplit(url)
    if parts.scheme.lower() not in _DEFAULT_PORTS:
        raise UnsupportedLinkError(f"not a web link: {url}")
    return parts


def _host(parts: SplitResult, url: str) -> str:
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise UnsupportedLinkError(f"no host in {url}")
    try:
        _ = parts.port
    except ValueError as exc:
        raise UnsupportedLinkError(f"malformed port in {url}") from exc
    if ":" in host:
        return host  # an IPv6 literal, already lower-cased by urlsplit
    try:
        return host.encode("idna").decode("ascii").lower()
    except UnicodeError as exc:
        raise UnsupportedLinkError(f"malformed host in {url}") from exc


def _with_port(host: str, parts: SplitResult) -> str:
    port = parts.port  # checked by _host
    if ":" in host:
        host = f"[{host}]"  # an IPv6 literal keeps its brackets, as in a URL
    if port is None or port == _DEFAULT_PORTS[parts.scheme.lower()]:
        return host
    return f"{host}:{port}"


def _is_in(host: str, domains: Sequence[str]) -> bool:
    return any(host == domain or host.endswith(f".{domain}") for domain in domains)


def _x_key(match: re.Match[str] | None, url: str) -> ThreadKey:
    if match is None:
        raise UnsupportedLinkError(f"not a link to a post we know: {url}")
    return ThreadKey(Platform.X, "x.com", match.group(1))


def _mastodon_key(host: str, path: str) -> ThreadKey | None:
    for pattern in _MASTODON_PATHS:
        match = pattern.fullmatch(path)
        if match:
            return ThreadKey(Platform.MASTODON, host, match.group(1))
    return None


def _bluesky_key_from_path(path: str, url: str) -> ThreadKey:
    match = _BLUESKY_PATH.fullmatch(path)
    if match is None:
        raise UnsupportedLinkError(f"not a link to a post on Bluesky: {url}")
    return _bluesky_key(match.group(1), match.group(2), url)


def _bluesky_key(authority: str, rkey: str, url: str) -> ThreadKey:
    authority = unquote(authority)
    if _DID.fullmatch(authority) is None:
        if _HANDLE.fullmatch(authority) is None:
            raise UnsupportedLinkError(f"malformed Bluesky account in {url}")
        authority = authority.lower()  # handles are case-insensitive; DIDs are not
    if _RECORD_KEY.fullmatch(rkey) is None or rkey in {".", ".."}:
        raise UnsupportedLinkError(f"malformed Bluesky post id in {url}")
    return ThreadKey(Platform.BLUESKY, "bsky.app", f"{authority}/{rkey}")
