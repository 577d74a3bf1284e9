"""Publishing long threads as pages: Telegraph first, then the bot's own reader page.

Telegraph's access token, when the bot had to create the account itself, is kept in the store
so every process and every restart uses the same account; a page made for one fetch, reading
mode and language is remembered as long as the result is cached, so everybody answered from
the cache gets the same page instead of a new one. A followed thread's page is edited in place
(editPage) while the thread fits one page, so the link in every follower's answer stays the
same as the thread grows. Telegraph shows the page's author name and link
above the text, so both pass `safety` first: a thread that skipped it must not get a
`javascript:` author link or a name that hides a direction override.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

from bot.errors import RateLimitedError, SourceError
from bot.i18n import SOURCE_LANGUAGE
from bot.presentation import Presentation
from bot.safety import clean_name, safe_url
from bot.store import ValueStore
from bot.telegraph_client import TelegraphClient

log = logging.getLogger("bot.answering")

TELEGRAPH_TOKEN_NAME = "telegraph:token"
TELEGRAPH_POOL_SIZE = 3
"""Accounts a page may be published with: the main one, then spares, each made once and kept
in the store, so one account's FLOOD_WAIT does not fail the answer."""
FOLLOWED_PAGE_TTL_S = 30 * 24 * 3600
"""A followed thread's page is remembered well past any follow (FOLLOW_FOR_S is a week)."""


@dataclass
class PagePublisher:
    """Returns a readable page for a thread too long for one message."""

    telegraph: TelegraphClient | None
    public_base_url: str | None
    store: ValueStore
    page_ttl_s: int = 3600
    _spares: dict[int, TelegraphClient] = field(default_factory=dict)

    async def publish(self, presentation: Presentation) -> str | None:
        """Return the URL of a readable page for the presented thread, or None if none."""
        if self.telegraph is not None:
            url = await self._telegraph_page(self.telegraph, presentation)
            if url is not None:
                return url
        if self.public_base_url:
            key = quote(str(presentation.thread.key), safe="")
            base = self.public_base_url.rstrip("/")
            url = f"{base}/read/{key}?mode={presentation.mode.value}"
            # The page's own words (headers, captions) speak the requester's language.
            language = presentation.words.language
            return url if language == SOURCE_LANGUAGE else f"{url}&lang={language}"
        return None

    async def publish_followed(self, presentation: Presentation) -> str | None:
        """Return the page of a followed thread: its earlier page edited, or a new one.

        A thread that now needs several Telegraph pages gets new ones (and a new link).
        """
        name = _followed_page_name(presentation)
        known = await self.store.get_value(name)
        pages = presentation.telegraph_pages
        if known is not None and self.telegraph is not None and len(pages) == 1:
            thread = presentation.thread
            try:
                return await self.telegraph.edit_page(
                    urlsplit(known).path.lstrip("/"),
                    pages[0],
                    author_name=clean_name(thread.author.name),
                    author_url=safe_url(thread.author.url) or "",
                )
            except SourceError as exc:
                log.warning("telegraph edit failed", extra={"error": type(exc).__name__})
        url = await self.publish(presentation)
        if url is not None and self.telegraph is not None and len(pages) == 1:
            await self.store.set_value(name, url, ttl_s=FOLLOWED_PAGE_TTL_S)
        return url

    async def _telegraph_page(
        self, client: TelegraphClient, presentation: Presentation
    ) -> str | None:
        name = _page_name(presentation)
        if (known := await self.store.get_value(name)) is not None:
            return known
        try:
            url = await self._publish_with_pool(client, presentation)
        except SourceError as exc:
            log.warning("telegraph failed", extra={"error": type(exc).__name__})
            return None
        await self.store.set_value(name, url, ttl_s=self.page_ttl_s)
        return url

    async def _publish_with_pool(self, client: TelegraphClient, presentation: Presentation) -> str:
        """Publish with the main account; past its FLOOD_WAIT, with the pool's next one."""
        thread = presentation.thread
        for index in range(TELEGRAPH_POOL_SIZE):
            account = await self._account(client, index)
            try:
                urls = await account.publish(
                    presentation.telegraph_pages,
                    author_name=clean_name(thread.author.name),
                    author_url=safe_url(thread.author.url) or "",
                )
            except RateLimitedError:
                if index == TELEGRAPH_POOL_SIZE - 1:
                    raise
                log.info("telegraph flood wait: publishing with the next account")
            else:
                return urls[0]
        raise AssertionError("the loop returns or raises")

    async def _account(self, client: TelegraphClient, index: int) -> TelegraphClient:
        """Return the pool's account `index`: 0 is the main one; the others are made once."""
        if index == 0:
            await self._ensure_account(client)
            return client
        if index not in self._spares:
            name = f"{TELEGRAPH_TOKEN_NAME}:{index}"
            spare = client.with_account(await self.store.get_value(name))
            if spare.access_token is None:
                await self.store.set_value(name, await spare.ensure_account())
            self._spares[index] = spare
        return self._spares[index]

    async def _ensure_account(self, client: TelegraphClient) -> None:
        """Use the configured token, else the one kept in the store, else a new account's."""
        if client.access_token is not None:
            return
        kept = await self.store.get_value(TELEGRAPH_TOKEN_NAME)
        token = await client.ensure_account(kept)
        if token != kept:
            await self.store.set_value(TELEGRAPH_TOKEN_NAME, token)


def _page_name(presentation: Presentation) -> str:
    thread = presentation.source
    fetched = thread.fetched_at.isoformat() if thread.fetched_at else "-"
    language = presentation.words.language
    return f"page:{thread.key}:{presentation.mode.value}:{language}:{fetched}"


def _followed_page_name(presentation: Presentation) -> str:
    language = presentation.words.language
    return f"followed-page:{presentation.thread.key}:{presentation.mode.value}:{language}"
