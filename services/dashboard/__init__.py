"""The built-in web page for people who run ``make run`` without Grafana: live stories,
mentions per entity over time and the latest alerts, read from the story-updates and
alerts topics into bounded in-memory read models (``views.py``)."""
