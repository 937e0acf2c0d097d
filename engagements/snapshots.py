"""Weekly health snapshots, taken at the start of each freelancer's working week."""

from datetime import datetime

from engagements.evaluation import load_pass
from engagements.health import health_by_client, iso_monday, snapshot_moment
from engagements.models import ClientActivity, HealthSnapshot


def take_weekly_snapshot(owner_id: int, now: datetime) -> int:
    """Snapshot every active client's health once per ISO week, once the week's first working
    window has begun in the freelancer's zone. Returns how many were written (0 when it is not
    time yet, or already done: the unique constraint keeps one per client and week even when
    two workers get here together)."""
    p = load_pass(owner_id, now)
    if p is None:
        return 0
    week = iso_monday(now.astimezone(p.calendar.tz).date())
    if now < snapshot_moment(p.calendar, week):
        return 0
    if HealthSnapshot.objects.filter(owner_id=owner_id, week=week).exists():
        return 0
    active = {cid for cid, c in p.clients.items() if c.status == "active"}
    healths = health_by_client(p, now)
    rows = [
        HealthSnapshot(
            owner_id=owner_id,
            client_id=cid,
            week=week,
            score=h.score,
            taken_at=now,
            components=[c.as_dict() for c in h.components],
        )
        for cid, h in healths.items()
        if cid in active
    ]
    HealthSnapshot.objects.bulk_create(rows, ignore_conflicts=True)
    ClientActivity.mark_due([row.client_id for row in rows], now)  # walk_away reads them
    return HealthSnapshot.objects.filter(owner_id=owner_id, week=week, taken_at=now).count()
