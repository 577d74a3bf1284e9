"""Telegraph API client on the shared HTTP client: account, pages, linked parts. Adapter (I/O).

Telegraph (https://telegra.ph/api) reports failures with HTTP 200 and `{"ok": false, "error":
CODE}`:
`FLOOD_WAIT_n` is waited out a bounded number of times, `CONTENT_TOO_BIG` is answered by cutting
the part in two, and any other code becomes `SourceError(platform="telegraph")`.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

from bot.errors import RateLimitedError, SourceError
from bot.net.http import HttpClient, Response
from bot.rendering import telegraph
from bot.rendering.telegraph import TelegraphPage

PLATFORM = "telegraph"
FLOOD_RETRIES = 2
MAX_FLOOD_WAIT_S = 30.0
MIN_CREATION_SPACING_S = 0.5
"""Telegraph answers FLOOD_WAIT to an account creating pages faster than about two a second."""
RETIRED_TEXT = "This part of an unfinished page is not used."
MAX_CUTS = 16
"""How often `publish` cuts a refused part before giving up; each cut halves one part."""
_FLOOD_WAIT = re.compile(r"FLOOD_WAIT_(\d+)")
_CONTENT_TOO_BIG = "CONTENT_TOO_BIG"
# Telegraph's own field limits (https://telegra.ph/api: author_name 0-128 characters,
# author_url 0-512); longer values are refused, so they are cut.
_MAX_AUTHOR_NAME = 128
_MAX_AUTHOR_URL = 512

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class _Answer:
    result: Mapping[str, object] | None
    error: str | None


@dataclass(frozen=True, slots=True)
class _Created:
    page: TelegraphPage  # as sent, its next-part link filled in
    path: str
    url: str


class TelegraphClient:
    """Create and edit Telegraph pages for one account, creating the account when needed.

    `access_token` is None until `ensure_account` creates one; the caller may store the token
    and pass it next time. `sleep` waits out FLOOD_WAIT (tests pass a recorder).
    """

    def __init__(
        self,
        http: HttpClient,
        *,
        api_url: str,
        access_token: str | None,
        short_name: str = "unroll-bot",
        author_name: str = "unroll-bot",
        max_flood_wait_s: float = MAX_FLOOD_WAIT_S,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.access_token = access_token
        self._http = http
        self._api_url = api_url.rstrip("/")
        self._short_name = short_name
        self._author_name = author_name
        self._max_flood_wait_s = max_flood_wait_s
        self._sleep = sleep
        self._account_lock = asyncio.Lock()
        self._creation_lock = asyncio.Lock()
        self._next_creation_at = 0.0

    def with_account(self, access_token: str | None) -> TelegraphClient:
        """Return a client for another account (`None`: one to be created), on the same pool."""
        return TelegraphClient(
            self._http,
            api_url=self._api_url,
            access_token=access_token,
            short_name=self._short_name,
            author_name=self._author_name,
            max_flood_wait_s=self._max_flood_wait_s,
            sleep=self._sleep,
        )

    async def ensure_account(self, known_token: str | None = None) -> str:
        """Return the access token: the client's own, else `known_token` (one kept from an
        earlier run), else a new account's, created once.

        Raises:
            RateLimitedError, SourceError: Telegraph refused or failed.
        """
        async with self._account_lock:  # concurrent first calls must not create two accounts
            self.access_token = self.access_token or known_token
            if self.access_token is None:
                form = {"short_name": self._short_name, "author_name": self._author_name}
                result = _result(await self._call("createAccount", form))
                self.access_token = _text(result, "access_token")
            return self.access_token

    async def create_page(self, page: TelegraphPage, *, author_name: str, author_url: str) -> str:
        """Create one page and return its URL.

        Raises:
            RateLimitedError: FLOOD_WAIT beyond the retries or the wait cap.
            SourceError: any other refusal, CONTENT_TOO_BIG included (`publish` cuts instead).
        """
        form = await self._page_form(page, author_name, author_url)
        return _text(_result(await self._call("createPage", form)), "url")

    async def edit_page(
        self, path: str, page: TelegraphPage, *, author_name: str, author_url: str
    ) -> str:
        """Replace the title and content of the page at `path`; return its URL.

        Raises:
            RateLimitedError, SourceError: as for `create_page`.
        """
        form = await self._page_form(page, author_name, author_url)
        return _text(_result(await self._call(f"editPage/{path}", form)), "url")

    async def publish(
        self, pages: Sequence[TelegraphPage], *, author_name: str, author_url: str
    ) -> list[str]:
        """Create all parts, each linking to the next, and return their URLs, first part first.

        Parts are created last to first, so each next URL is known when its link is written.
        A part refused as too big is cut in two; parts created before a cut are renamed to the
        final count ("(3/4)") with editPage at the end.

        Raises:
            RateLimitedError: FLOOD_WAIT beyond the retries or the wait cap.
            SourceError: any other refusal, or a part still too big after `MAX_CUTS` cuts.
        """
        pending = list(pages)
        created: list[_Created] = []
        try:
            await self._create_all(pending, created, author_name, author_url)
        except SourceError:
            # Telegraph has no deletePage: parts already made are emptied, not left behind.
            await self._retire(created, author_name, author_url)
            raise
        return [item.url for item in created]

    async def _create_all(
        self,
        pending: list[TelegraphPage],
        created: list[_Created],
        author_name: str,
        author_url: str,
    ) -> None:
        """Create every part of `pending` into `created`, cutting parts Telegraph refuses."""
        cuts = 0
        while len(created) < len(pending):
            index = len(pending) - len(created) - 1
            page = pending[index]
            if created:
                page = telegraph.link_next(page, created[0].url)
            answer = await self._call(
                "createPage", await self._page_form(page, author_name, author_url)
            )
            if answer.error == _CONTENT_TOO_BIG and cuts < MAX_CUTS:
                cuts += 1
                pending[:] = _split(pending, index)
                continue
            result = _result(answer)
            created.insert(0, _Created(page, _text(result, "path"), _text(result, "url")))
        # Cuts change the count in every title; parts made before the last cut are renamed once.
        await self._rename(created, [part.title for part in pending], author_name, author_url)

    async def _retire(self, created: list[_Created], author_name: str, author_url: str) -> None:
        """Empty the parts of a publish that failed; best effort, each on its own."""
        for item in created:
            retired = TelegraphPage(item.page.title, [RETIRED_TEXT])
            try:
                await self.edit_page(
                    item.path, retired, author_name=author_name, author_url=author_url
                )
            except SourceError:
                continue

    async def _rename(
        self, created: list[_Created], titles: list[str], author_name: str, author_url: str
    ) -> None:
        for item, title in zip(created, titles, strict=True):
            if item.page.title != title:
                page = TelegraphPage(title, item.page.content)
                await self.edit_page(
                    item.path, page, author_name=author_name, author_url=author_url
                )

    async def _page_form(
        self, page: TelegraphPage, author_name: str, author_url: str
    ) -> dict[str, str]:
        return {
            "access_token": await self.ensure_account(),
            "title": page.title,
            "author_name": author_name[:_MAX_AUTHOR_NAME],
            "author_url": author_url[:_MAX_AUTHOR_URL],
            "content": telegraph.content_json(page.content),
            "return_content": "false",
        }

    async def _call(self, method: str, form: Mapping[str, str]) -> _Answer:
        """Call a method, waiting out FLOOD_WAIT up to `FLOOD_RETRIES` times."""
        if method == "createPage":
            await self._space_creation()
        answer = await self._post(method, form)
        for _retry in range(FLOOD_RETRIES):
            wait_s = _flood_wait_s(answer)
            if wait_s is None or wait_s > self._max_flood_wait_s:
                break
            await self._sleep(wait_s)
            answer = await self._post(method, form)
        wait_s = _flood_wait_s(answer)
        if wait_s is not None:
            raise RateLimitedError(
                f"Telegraph {answer.error}", retry_after=wait_s, platform=PLATFORM
            )
        return answer

    async def _space_creation(self) -> None:
        """Leave at least `MIN_CREATION_SPACING_S` between this account's page creations."""
        async with self._creation_lock:
            wait_s = self._next_creation_at - time.monotonic()
            if wait_s > 0:
                await self._sleep(wait_s)
            self._next_creation_at = time.monotonic() + MIN_CREATION_SPACING_S

    async def _post(self, method: str, form: Mapping[str, str]) -> _Answer:
        response = await self._http.post(f"{self._api_url}/{method}", data=form, platform=PLATFORM)
        return _parse(response)


def _parse(response: Response) -> _Answer:
    if response.status != 200:
        raise SourceError(f"HTTP {response.status} from Telegraph", platform=PLATFORM)
    body = response.json()
    if isinstance(body, Mapping) and body.get("ok") is True:
        result = body.get("result")
        if isinstance(result, Mapping):
            return _Answer(result, None)
    elif isinstance(body, Mapping) and isinstance(body.get("error"), str):
        return _Answer(None, str(body["error"]))
    raise SourceError("unexpected answer from Telegraph", platform=PLATFORM)


def _result(answer: _Answer) -> Mapping[str, object]:
    if answer.result is None:
        raise SourceError(f"Telegraph refused: {answer.error}", platform=PLATFORM)
    return answer.result


def _text(result: Mapping[str, object], key: str) -> str:
    value = result.get(key)
    if not isinstance(value, str) or not value:
        raise SourceError(f"Telegraph answer without {key}", platform=PLATFORM)
    return value


def _flood_wait_s(answer: _Answer) -> float | None:
    match = _FLOOD_WAIT.fullmatch(answer.error or "")
    return float(match.group(1)) if match else None


def _split(pages: list[TelegraphPage], index: int) -> list[TelegraphPage]:
    try:
        return telegraph.split_page(pages, index)
    except ValueError as exc:
        raise SourceError("a part too big for Telegraph cannot be cut", platform=PLATFORM) from exc
