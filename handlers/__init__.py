"""Decisions: an event and the stored state in, an outcome out. No Flask, no API clients."""
