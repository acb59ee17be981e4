"""Screening's HTTP adapter: none of its own beyond ``/healthz``, ``/readyz`` and ``/metrics``
(``shared.web.http_app``); screening is reached through its topics. ``jejaring screening
evaluate`` runs the same rules from the command line (``admin.py``)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
