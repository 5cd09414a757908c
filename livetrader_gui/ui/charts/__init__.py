"""Charts: pyqtgraph items fed from a bar store."""
