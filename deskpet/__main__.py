"""`python -m deskpet`, and the entry point of the frozen app (packaging/deskpet.spec)."""

from deskpet.cli import main

raise SystemExit(main())
