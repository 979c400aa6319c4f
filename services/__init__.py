"""wirewatch's services, in the order an article travels: ingest → tagger → stories → alerting.
``stack`` runs them all on the embedded broker (``make run``)."""
