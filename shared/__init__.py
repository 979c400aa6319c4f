"""Code shared by every wirewatch service: the wire schema, topics, settings, logging,
metrics serving, the embedded broker and the URL-safety guard."""
