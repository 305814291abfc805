"""Durable sessions: an append-only event log per session under the repository's git directory."""

from agent.session.store import SessionLog, SessionStore

__all__ = ["SessionLog", "SessionStore"]
