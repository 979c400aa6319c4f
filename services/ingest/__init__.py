"""Ingest: poll RSS/Atom feeds and publish each new article once.

The folder is the data flow, one module per step, and ``pipeline.py`` is the one
place that knows the order (like Miniflux's ``RefreshFeed``)::

    feeds.py      feeds file  → [FeedConfig]
    fetch.py      URL         → bytes (SSRF-checked hops, timeouts, size caps)
    decompress.py gzip/deflate → bytes, capped while streaming
    xmlsafety.py  bytes       → refused if it declares entities
    parse.py      bytes       → ParsedFeed (feedparser on bytes, never a URL)
    normalise.py  ParsedEntry → Article (canonical URL, id, clean text, language)
    dedup.py      Article     → new / exact duplicate / near duplicate (MinHash)
    schedule.py   outcome     → next poll time (pure, clock passed in)
    state.py      SQLite      → validators, seen ids, schedule across restarts
    metrics.py    every Prometheus metric of the service
    pipeline.py   Ingestor: refresh one feed, run the polling loop
    check.py      `check URL…`: Ingestor.refresh with nothing published, no state kept
    opml.py       OPML bytes ↔ feeds (listparser on bytes; entity declarations refused)

``app.py``/``__main__.py``/``replay.py`` are the shell that wires Kafka and signals;
``cli.py`` the commands that need no Kafka (check, import-opml, export-opml).
"""
