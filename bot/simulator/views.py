"""The simulator: the fake Messaging API for demo mode (the chat page lands later)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("simulator", __name__, url_prefix="/simulator")
