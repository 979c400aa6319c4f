"""Test support for every ring, the chaos suite and the benchmarks — one of each.

- ``waiting``: ``wait_for``, the one way to wait for an asynchronous condition.
- ``receivers``: a loopback webhook receiver that checks every Standard Webhooks signature.
- ``services``: the environment every service under test gets, the services as processes
  (``Alerting``, ``Pipeline``) and their ``/metrics``.
- ``kafka``: publishing to and reading from topics of the real broker.
- ``records``: builders for the wire records of ``shared.records``.
- ``feeds``: articles as an RSS feed served on loopback.
"""
