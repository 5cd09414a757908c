"""Crypto venues through ccxt: Upbit (and its local copy for rehearsals).

Nothing is imported here: ccxt takes half a second to import, and only a start with a venue
connection needs it (``gateway.py``); ``venues.py`` is light.
"""
