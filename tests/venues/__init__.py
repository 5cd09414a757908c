"""Local copies of real venues, speaking their wire protocols on 127.0.0.1."""
