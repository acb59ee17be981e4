"""The four Jejaring services and the ``jejaring`` command."""
