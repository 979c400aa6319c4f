"""Stories: group tagged articles into stories as they arrive, per language, and link
the stories of different languages that report the same event.

``clustering.StoryIndex`` is the pure online core (no Kafka, no clock); ``cli`` runs it
over a JSONL archive and scores it against gold labels (``evaluate``).
"""
