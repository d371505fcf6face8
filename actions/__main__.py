"""``python -m actions``: start the bot server."""

from __future__ import annotations

if __name__ == "__main__":
    from actions._server import main

    raise SystemExit(main())
