"""Durable sessions: an append-only event log per session under the repository's git directory."""

from agent.sessions.store import SessionLog, SessionStore

__all__ = ["SessionLog", "SessionStore"]
