"""unroll-bot: unrolls X, Mastodon and Bluesky threads inside Telegram."""

__version__ = "0.1.0"
