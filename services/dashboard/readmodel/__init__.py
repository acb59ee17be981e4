"""The dashboard's read model: pure staging of events (``staging``) and the batched writes (``flush``)."""
