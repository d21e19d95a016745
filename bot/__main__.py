"""`python -m bot` runs the bookbot command line."""

from bot.cli import main

raise SystemExit(main())
