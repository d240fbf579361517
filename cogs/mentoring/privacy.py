"""What the mentoring cog stores about a person, for /mydata, /forgetme and /link: its storage answers."""

from __future__ import annotations

from cogs.mentoring.common import cog, queries

cog.person_data(queries)
