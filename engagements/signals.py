"""Hooks for the apps above engagements, which engagements must never import (the layers).

- `digest_notices`: sent once per run of the daily digests with `since` ({owner_id: when that
  freelancer's previous digest was written, or None}) and `now`. A receiver answers
  {owner_id: ["one line", …]}: what it has to tell each freelancer that is new since then (a
  mailbox failing for more than an hour…). See `engagements.emails.digest_notices_for`.
- `demo_account_seeded`: sent by `seed_demo` with `user` and `now`, inside its transaction,
  so that other apps add their part of the demo.
"""

from django.dispatch import Signal

digest_notices = Signal()
demo_account_seeded = Signal()
