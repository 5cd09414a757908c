"""Allow ``python -m livetrader_gui``."""

from livetrader_gui.app.main import main

raise SystemExit(main())
