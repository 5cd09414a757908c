"""live_trading package."""
