"""The pure core: items, queries, matching, dedup and message formatting.

Nothing here imports telegram, tinydb or httpx, or does I/O.
"""
