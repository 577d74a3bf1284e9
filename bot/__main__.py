"""`python -m bot`: the same as the `unroll-bot` console script."""

from bot.cli import main

if __name__ == "__main__":
    main()
