"""A real 10-post X thread (counters "/2" … "/9", then "10/10") as each platform would serve it.

Posts 2–10 are the thread as posted; post 1 is written here in the same voice and carries a
tracked link, so every platform's payload has one. The payloads are built from the repository's
own recorded payloads (tests/data/payloads/), with text, ids, times, replies and link facets
replaced, so they keep every field the sources read.
"""

from __future__ import annotations

import copy
import html
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

PAYLOADS = Path(__file__).resolve().parent / "payloads"
LINK_URL = "https://www.example.com/news/2024/putin-china-alliance?utm_source=twitter&utm_medium=social&id=7"
LINK_SHOWN = "example.com/news/2024/putin-ch…"
LINK_TOKEN = "{LINK}"
POSTS = (
    "Putin said yesterday that a Russia-China military alliance is quite conceivable. "
    "Why this matters 🧵 1/ {LINK}",
    "This is not the first time Putin hints at the possibility of Russia and China forming a "
    "full-blown political-military alliance. He has been occasionally using the A-word with "
    "regard to China since 2014. /2",
    "In October 2014, meeting with Premier Li Keqiang, Putin referred to the two countries as "
    "‘natural partners and allies.’ In October 2019, he called Russia-China ties ‘an allied "
    "relationship in the full sense of a multifaceted strategic partnership.’/3",
    "Putin’s statement yesterday is so far the most explicit expression of Moscow’s intention to "
    "consider entering an alliance with China in response to the perceived threat from the US. /4",
    "Notably, the question to Putin about the possibility of a Russia-China alliance came from "
    "Yan Xuetong, who is dean of Institute of International Relations at Tsinghua University. "
    "It’s unlikely Yan would have asked such a question without a nod from Beijing. /5",
    "Moscow and Beijing are clearly signaling to Washington they are prepared for a counter-US "
    "alliance. The question is, if this readiness is real or bluff. Most likely, it’s a mix of "
    "both at the moment. /6",
    "Tellingly, Putin’s remark on the prospects for a Russia-China alliance was accompanied by "
    "his comments on the “high level of bilateral interaction achieved in military "
    "technology.” /7",
    'Putin stressed that Russia and China are "exchanging" advanced defense technology, '
    "although, from Putin’s, words, it’s not quite clear whether it is mutual exchange or just "
    "Russia transfering defense tech to China. /8",
    "Finally, in his comments on Russia-China relations, Putin mentioned the US plans to deploy "
    "intermediate-range missiles in the Asia-Pacific, warning that Russia will respond to such "
    "a deployment. /9",
    "Given that possible US missiles in the Pacific will mainly target China, Russia’s response "
    "to them, if it materializes, will be a de facto alliance move by Moscow. 10/10",
)
# Words from each post's body, free of quotes and markup, in the order they are posted: each
# must appear once in every output, in this order.
BODY_STARTS = (
    "Putin said yesterday",
    "This is not the first time",
    "In October 2014, meeting",
    "statement yesterday is so far",
    "Notably, the question to Putin",
    "Moscow and Beijing are clearly",
    "Tellingly, Putin",
    "Putin stressed that Russia",
    "Finally, in his comments",
    "Given that possible US missiles",
)
BODY_ENDS = (
    "quite conceivable",
    "with regard to China since 2014.",
    "multifaceted strategic partnership.",
    "perceived threat from the US.",
    "without a nod from Beijing.",
    "both at the moment.",
    "achieved in military technology.",
    "defense tech to China.",
    "respond to such a deployment.",
    "alliance move by Moscow.",
)
START = datetime(2024, 6, 21, 7, 0, tzinfo=UTC)
X_HANDLE = "ArtyomLukin"
X_IDS = tuple(str(1803700000000000000 + 100 * n) for n in range(len(POSTS)))
MASTODON_IDS = tuple(str(112650000000000000 + 1000 * n) for n in range(len(POSTS)))
BLUESKY_DID = "did:plc:seedthreadauthor00000000"
BLUESKY_RKEYS = tuple(f"3kvseed{n:02d}aa2" for n in range(len(POSTS)))


def _load(name: str) -> Any:
    return json.loads((PAYLOADS / name).read_text())


def _moment(index: int) -> datetime:
    return START + timedelta(minutes=2 * index)


def fxtwitter_thread(asked: int) -> dict[str, Any]:
    """Return FxTwitter's `/2/thread/{id}` answer for post `asked` (0-based)."""
    recorded = _load("fxtwitter.thread.json")
    author = copy.deepcopy(recorded["author"])
    author.update(screen_name=X_HANDLE, name="Artyom Lukin", url=f"https://x.com/{X_HANDLE}")
    template = recorded["thread"][1]
    statuses = [_x_status(template, author, index) for index in range(len(POSTS))]
    return {"code": 200, "status": statuses[asked], "thread": statuses, "author": author}


def _x_status(template: dict[str, Any], author: dict[str, Any], index: int) -> dict[str, Any]:
    status = copy.deepcopy(template)
    for extra in ("quote", "poll", "card"):
        status.pop(extra, None)
    post_id = X_IDS[index]
    text, facets = POSTS[index], []
    shown = text.replace(LINK_TOKEN, LINK_URL)
    if LINK_TOKEN in text:
        short = "https://t.co/Se3dL1nk01"
        start = text.index(LINK_TOKEN)
        facets.append(
            {
                "type": "url",
                "indices": [start, start + len(short)],
                "original": short,
                "replacement": LINK_URL,
                "display": LINK_SHOWN,
            }
        )
        text = text.replace(LINK_TOKEN, short)
    moment = _moment(index)
    status.update(
        url=f"https://x.com/{X_HANDLE}/status/{post_id}",
        id=post_id,
        text=shown,
        raw_text={"text": text, "display_text_range": [0, len(text)], "facets": facets},
        author=author,
        created_at=moment.strftime("%a %b %d %H:%M:%S +0000 %Y"),
        created_timestamp=int(moment.timestamp()),
        replying_to=None if index == 0 else _x_reply_to(index - 1),
        media={},
    )
    return status


def _x_reply_to(index: int) -> dict[str, str]:
    url = f"https://x.com/{X_HANDLE}/status/{X_IDS[index]}"
    profile = f"https://x.com/{X_HANDLE}"
    return {"screen_name": X_HANDLE, "status": X_IDS[index], "url": url, "profile_url": profile}


def mastodon_status(index: int, instance: str) -> dict[str, Any]:
    """Return `/api/v1/statuses/{id}` for post `index` on `instance` (a base URL)."""
    status = copy.deepcopy(_load("mastodon.status.json"))
    account = status["account"]
    account.update(username="lukin", acct="lukin", display_name="Artyom Lukin")
    account.update(url=f"{instance}/@lukin", uri=f"{instance}/users/lukin")
    status_id = MASTODON_IDS[index]
    status.update(
        id=status_id,
        created_at=_iso(index),
        in_reply_to_id=None if index == 0 else MASTODON_IDS[index - 1],
        in_reply_to_account_id=None if index == 0 else account["id"],
        uri=f"{instance}/users/lukin/statuses/{status_id}",
        url=f"{instance}/@lukin/{status_id}",
        content=_mastodon_content(POSTS[index]),
        mentions=[],
        tags=[],
        card=None,
        media_attachments=[],
    )
    return status


def mastodon_context(asked: int, instance: str) -> dict[str, Any]:
    """Return `/api/v1/statuses/{id}/context` for post `asked`: the posts above and below."""
    ancestors = [mastodon_status(index, instance) for index in range(asked)]
    below = range(asked + 1, len(POSTS))
    return {"ancestors": ancestors, "descendants": [mastodon_status(i, instance) for i in below]}


def _mastodon_content(text: str) -> str:
    escaped = html.escape(text, quote=False)
    if LINK_TOKEN not in text:
        return f"<p>{escaped}</p>"
    bare = LINK_URL.removeprefix("https://www.")
    anchor = (
        f'<a href="{html.escape(LINK_URL)}" target="_blank" rel="nofollow noopener" '
        'translate="no"><span class="invisible">https://www.</span>'
        f'<span class="ellipsis">{bare[:30]}</span>'
        f'<span class="invisible">{html.escape(bare[30:])}</span></a>'
    )
    return f"<p>{escaped.replace(LINK_TOKEN, anchor)}</p>"


def bluesky_thread(asked: int) -> dict[str, Any]:
    """Return `app.bsky.feed.getPostThread` for post `asked`: its parents and its replies."""
    node: dict[str, Any] = {
        "$type": "app.bsky.feed.defs#threadViewPost",
        "post": _bluesky_post(asked),
        "replies": _bluesky_replies(asked + 1),
    }
    if asked:
        node["parent"] = _bluesky_parents(asked - 1)
    return {"thread": node}


def bluesky_uri(index: int) -> str:
    """Return the at:// URI of post `index`."""
    return f"at://{BLUESKY_DID}/app.bsky.feed.post/{BLUESKY_RKEYS[index]}"


def _bluesky_parents(index: int) -> dict[str, Any]:
    node: dict[str, Any] = {
        "$type": "app.bsky.feed.defs#threadViewPost",
        "post": _bluesky_post(index),
    }
    if index:
        node["parent"] = _bluesky_parents(index - 1)
    return node


def _bluesky_replies(index: int) -> list[dict[str, Any]]:
    if index >= len(POSTS):
        return []
    return [
        {
            "$type": "app.bsky.feed.defs#threadViewPost",
            "post": _bluesky_post(index),
            "replies": _bluesky_replies(index + 1),
        }
    ]


def _bluesky_post(index: int) -> dict[str, Any]:
    recorded = _load("bluesky.getPostThread.json")["thread"]["post"]
    post = copy.deepcopy(recorded)
    post.pop("embed", None)
    author = post["author"]
    author.update(did=BLUESKY_DID, handle="lukin.bsky.social", displayName="Artyom Lukin")
    record = post["record"]
    record.pop("embed", None)
    text, facets = POSTS[index], []
    if LINK_TOKEN in text:
        shown = LINK_SHOWN.removesuffix("…") + "..."
        start = len(text[: text.index(LINK_TOKEN)].encode())
        text = text.replace(LINK_TOKEN, shown)
        facets.append(
            {
                "features": [{"$type": "app.bsky.richtext.facet#link", "uri": LINK_URL}],
                "index": {"byteStart": start, "byteEnd": start + len(shown.encode())},
            }
        )
    record.update(text=text, facets=facets, createdAt=_iso(index))
    if index:
        parent = {"cid": post["cid"], "uri": bluesky_uri(index - 1)}
        root = {"cid": post["cid"], "uri": bluesky_uri(0)}
        record["reply"] = {"parent": parent, "root": root}
    else:
        record.pop("reply", None)
    post.update(uri=bluesky_uri(index), indexedAt=_iso(index))
    return post


def _iso(index: int) -> str:
    return _moment(index).isoformat().replace("+00:00", ".000Z")
