"""Runs the whole pipeline on one machine: the embedded broker (unless Kafka is
configured), every service as its own process with its production command, a replay of
the seeds, and a console subscriber that prints each alert (``make run``)."""
