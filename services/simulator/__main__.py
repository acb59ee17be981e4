"""``python -m services.simulator ...`` = ``jejaring simulate ...``."""

from services.simulator.cli import main

raise SystemExit(main())
