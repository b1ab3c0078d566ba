"""Wording for notify. 日本語 first, then English."""

JA: dict[str, str] = {}

EN: dict[str, str] = {}
