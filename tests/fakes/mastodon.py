"""A fake Mastodon instance on FakeServer, answering as Mastodon 4.5 does without a token.

Statuses are stored in the recorded JSON shape. `/context`
enforces the unauthenticated limits as the real controller does: the nearest 40
ancestors root-first; descendants in tree-path order cut at 60 and depth 20, then self-replies
promoted to the front. Deleting a status nulls its replies' `in_reply_to_id`, as Mastodon's
schema does (`add_foreign_key "statuses", "statuses", column: "in_reply_to_id",
on_delete: :nullify`). Knobs: `require_login` (401), `rate_limited` (429), `not_mastodon` (an
HTML page), `not_found_body` (the 404 wording differs between versions).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from tests.fakes.server import FakeServer

Status = dict[str, Any]

START = datetime(2026, 8, 1, 13, 0, tzinfo=UTC)
RICH_CONTENT = (
    '<p>Привет, 世界! Read <a href="https://example.org/a/very/long/path?utm_source=x" '
    'target="_blank" rel="nofollow noopener" translate="no"><span class="invisible">https://'
    '</span><span class="ellipsis">example.org/a/very/lo</span><span class="invisible">ng/path'
    '?utm_source=x</span></a> with <span class="h-card" translate="no"><a href="{base}/@bob" '
    'class="u-url mention">@<span>bob</span></a></span> :blobcat:</p><p><a href="{base}/tags/'
    'python" class="mention hashtag" rel="tag">#<span>python</span></a> &amp; more</p>'
)


class FakeMastodon:
    """One instance: accounts, statuses, and the two endpoints an unroller calls."""

    def __init__(self) -> None:
        self.server = FakeServer(
            [
                Route("/api/v1/statuses/{id}", self._status),
                Route("/api/v1/statuses/{id}/context", self._context),
            ],
            name="mastodon",
        )
        self.ancestors_limit = 40
        self.descendants_limit = 60
        self.depth_limit = 20
        self.reset()

    def reset(self) -> None:
        """Forget every status and turn every knob off."""
        self.statuses: dict[str, Status] = {}
        self.accounts: dict[str, Status] = {}
        self.require_login = False
        self.rate_limited = False
        self.not_mastodon = False
        self.gone: set[str] = set()
        self.not_found_body: dict[str, str] = {"error": "Record not found"}
        self._next_id = 110_000_000_000_000_000
        self.server.requests.clear()

    @property
    def host(self) -> str:
        """The host as a ThreadKey names it (`127.0.0.1:PORT`)."""
        return f"127.0.0.1:{self.server.port}"

    @property
    def base(self) -> str:
        return self.server.url

    def account(self, username: str, display_name: str = "", *, acct: str = "") -> Status:
        """Return the account `username` in the API's shape (trimmed as recorded)."""
        if username in self.accounts:
            return self.accounts[username]
        self.accounts[username] = {
            "id": str(117_020_565_966_271_181 + len(self.accounts)),
            "username": username,
            "acct": acct or username,
            "display_name": display_name,
            "locked": False,
            "bot": False,
            "url": f"{self.base}/@{username}",
            "emojis": [],
        }
        return self.accounts[username]

    def post(
        self, account: Status, content: str = "", *, reply_to: Status | None = None, **extra: Any
    ) -> Status:
        """Store and return a new status; `extra` overrides any field."""
        self._next_id += 1
        status_id = str(self._next_id)
        status: Status = {
            "id": status_id,
            "created_at": _time(START + timedelta(minutes=len(self.statuses))),
            "in_reply_to_id": reply_to["id"] if reply_to else None,
            "in_reply_to_account_id": reply_to["account"]["id"] if reply_to else None,
            "sensitive": False,
            "spoiler_text": "",
            "visibility": "public",
            "language": "en",
            "uri": f"{self.base}/users/{account['username']}/statuses/{status_id}",
            "url": f"{self.base}/@{account['username']}/{status_id}",
            "replies_count": 0,
            "reblogs_count": 0,
            "favourites_count": 0,
            "quotes_count": 0,
            "edited_at": None,
            "content": content or f"<p>Post {len(self.statuses)}</p>",
            "reblog": None,
            "account": account,
            "media_attachments": [],
            "mentions": [],
            "tags": [],
            "emojis": [],
            "quote": None,
            "card": None,
            "poll": None,
        }
        status.update(extra)
        self.statuses[status_id] = status
        return status

    def build_thread(
        self,
        n_posts: int,
        *,
        author: Status | None = None,
        reply_to: Status | None = None,
        other_replies: int = 0,
    ) -> list[Status]:
        """Post an `n_posts` self-thread; `other_replies` people answer each of its posts."""
        author = author or self.account("ada", "Ada Lovelace")
        others = [self.account(f"reader{n}") for n in range(other_replies)]
        chain: list[Status] = []
        for index in range(n_posts):
            parent = chain[-1] if chain else reply_to
            chain.append(self.post(author, f"<p>Part {index + 1}</p>", reply_to=parent))
            for other in others:
                self.post(other, "<p>Nice!</p>", reply_to=chain[-1])
        return chain

    def append_self_reply(self, chain: list[Status], content: str) -> Status:
        """Let the author go on: a reply to the chain's last status, appended to `chain`."""
        chain.append(self.post(chain[-1]["account"], content, reply_to=chain[-1]))
        return chain[-1]

    def build_forked_thread(
        self, n_posts: int, *, fork_at: int, branch_posts: int
    ) -> tuple[list[Status], list[Status]]:
        """Post an `n_posts` self-thread, then a later branch of `branch_posts` self-replies
        to its post `fork_at`: the author replied twice to one post. Return both."""
        chain = self.build_thread(n_posts, other_replies=1)
        author = chain[0]["account"]
        branch: list[Status] = []
        for index in range(branch_posts):
            parent = branch[-1] if branch else chain[fork_at]
            branch.append(self.post(author, f"<p>Aside {index + 1}</p>", reply_to=parent))
        return chain, branch

    def delete(self, status: Status) -> None:
        """Delete a status; its replies lose their `in_reply_to_id` as in Mastodon's schema."""
        del self.statuses[status["id"]]
        for reply in self.statuses.values():
            if reply["in_reply_to_id"] == status["id"]:
                reply["in_reply_to_id"] = None

    async def _status(self, request: Request) -> Response:
        refusal = self._refusal(request.path_params["id"])
        return refusal or JSONResponse(self.statuses[request.path_params["id"]])

    async def _context(self, request: Request) -> Response:
        status_id = request.path_params["id"]
        refusal = self._refusal(status_id)
        if refusal:
            return refusal
        status = self.statuses[status_id]
        body = {"ancestors": self._ancestors(status), "descendants": self._descendants(status)}
        return JSONResponse(body)

    def _refusal(self, status_id: str) -> Response | None:
        if self.not_mastodon:
            return HTMLResponse("<!doctype html><title>My blog</title><p>Welcome!</p>")
        if self.require_login:
            body = {"error": "This API requires an authenticated user"}
            return JSONResponse(body, status_code=401)
        if self.rate_limited:
            return _too_many_requests()
        if status_id in self.gone:
            return JSONResponse({"error": "Gone"}, status_code=410)
        if status_id not in self.statuses:
            return JSONResponse(self.not_found_body, status_code=404)
        return None

    def _ancestors(self, status: Status) -> list[Status]:
        found: list[Status] = []
        parent_id = status["in_reply_to_id"]
        while parent_id in self.statuses and len(found) < self.ancestors_limit:
            found.append(self.statuses[parent_id])
            parent_id = self.statuses[parent_id]["in_reply_to_id"]
        return found[::-1]

    def _descendants(self, root: Status) -> list[Status]:
        ordered: list[Status] = []
        self._collect(root["id"], 1, ordered)
        ordered = ordered[: self.descendants_limit]
        # StatusThreadingConcern brings self-replies to the top after the cut.
        own = [s for s in ordered if s["in_reply_to_account_id"] == s["account"]["id"]]
        return own + [s for s in ordered if s not in own]

    def _collect(self, parent_id: str, depth: int, ordered: list[Status]) -> None:
        if depth > self.depth_limit:
            return
        replies = [s for s in self.statuses.values() if s["in_reply_to_id"] == parent_id]
        for reply in sorted(replies, key=lambda s: int(s["id"])):
            ordered.append(reply)
            self._collect(reply["id"], depth + 1, ordered)


def _too_many_requests() -> Response:
    reset = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=5)
    headers = {
        "X-RateLimit-Limit": "300",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": reset.isoformat(timespec="microseconds").replace("+00:00", "Z"),
    }
    return JSONResponse({"error": "Too many requests"}, status_code=429, headers=headers)


def _time(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
