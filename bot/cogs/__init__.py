"""Slash-command cogs: each parses, calls one service, renders."""
