"""Membership: the "Kuka vinkkasi jäsenyydestä" referral campaign, member benefits equal across campuses, and
promotion (issue 24). Invite-tracking bots count server joins; this counts real memberships, confirmed by the
board, once per person across platforms.

Decisions:
- One campaign is open at a time (running, or set to start later); referrals count only while it runs, and a
  newcomer names one referrer per campaign. Linked accounts are one person: /link merging two halves keeps one
  referral per campaign (the confirmed, else the earlier) and drops one between the halves (self-referral).
- A person's code is theirs across campaigns; their Discord invite is made once, never expires, and is unique.
- A join through someone's Discord invite is a pending referral; an account younger than `min_account_days`
  is marked for review on the board's list. Confirmation: a button on /member pending, or the configured
  `member_role` given on Discord.
- The leaderboard ranks confirmed counts with shared ranks (1, 1, 3) and shows every referrer ranked within
  `leaderboard_size`; confirmed referrals per campus (and online) show where recruitment works.
- Benefits valid everywhere count for every campus and online in /benefits and /benefit_gaps. `/benefits`
  and `/benefit_gaps` are top-level commands: Discord cannot have both a `/benefits` command and a group.
- The spotlight picks the benefit by ISO week number, so it rotates without stored state.

Modules: common (cog, settings, places), storage, campaign (campaigns, leaderboard card, the end), referral
(codes, links, joins, confirmation), benefits, promotion (guide, pitch, spotlight), privacy.
"""

from cogs.membership import benefits, campaign, privacy, promotion, referral
from cogs.membership.common import cog

__all__ = ["benefits", "campaign", "cog", "privacy", "promotion", "referral"]
