"""What operators run against a live installation: ``jejaring status`` and ``jejaring dlq``.

These modules act on ``shared.service.Service`` objects (a service's database and its consumed
topics) and the broker; ``services/operations.py`` builds those for the ``jejaring`` command, with
each service's database resolved as ``jejaring up`` resolves it.
"""
