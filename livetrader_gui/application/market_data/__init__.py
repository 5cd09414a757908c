"""Market data that streams: a gateway's quotes and closed candles, pushed to whoever listens."""
