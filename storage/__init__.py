"""Persistence: one database (SQLite or PostgreSQL), migrations, and per-feature query modules."""

from storage.db import Database, MigrationError, Row, from_iso, to_iso

__all__ = ["Database", "MigrationError", "Row", "from_iso", "to_iso"]
