"""What the announcements cog stores about a person, for /mydata and /forgetme (/link moves author_id)."""

from __future__ import annotations

from cogs.announcements.common import cog, queries

cog.person_data(queries, merge=False)
