"""Unit tests of the story-clustering core."""
