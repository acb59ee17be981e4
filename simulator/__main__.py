"""``python -m simulator ...`` = ``jejaring simulate ...``."""

from simulator.cli import main

raise SystemExit(main())
