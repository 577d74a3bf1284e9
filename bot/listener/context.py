"""The services handlers use, reached through a typed context (PTB's contexttypesbot pattern)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from telegram import CallbackQuery
from telegram.ext import Application, CallbackContext, ExtBot

from bot.answering.executor import Answerer
from bot.archive import ThreadArchive
from bot.follow.checks import FollowRules
from bot.follow.records import FollowStore, MemoryFollowStore
from bot.queue import JobQueue
from bot.store import ChatStore


@dataclass
class Services:
    """What the listener needs: the queue, the per-chat store and the answer writer."""

    queue: JobQueue
    store: ChatStore
    answerer: Answerer
    user_quota_per_minute: int = 20
    follows: FollowStore = field(default_factory=MemoryFollowStore)
    follow_rules: FollowRules = field(default_factory=FollowRules)
    archive: ThreadArchive | None = None  # threads kept for answers' links and file buttons
    placeholder_after_s: float = 0.7  # a slower answer gets a placeholder first (0: always)
    placeholder_timers: set[asyncio.Task[None]] = field(default_factory=set)


class UnrollApplication(Application[Any, Any, Any, Any, Any, Any]):
    """PTB's Application carrying our services as a typed attribute."""

    def __init__(self, *, services: Services, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.services = services


class UnrollContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """Callback context with a typed `services` property."""

    @property
    def services(self) -> Services:
        """Return the application's services."""
        application = self.application
        assert isinstance(application, UnrollApplication)
        return application.services

    async def acknowledge(
        self, query: CallbackQuery, text: str | None = None, *, show_alert: bool = False
    ) -> None:
        """Answer a button press; a refusal by Telegram (429) must not drop what it asks."""
        await self.services.answerer.sender.acknowledge(query, text, show_alert=show_alert)
