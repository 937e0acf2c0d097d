"""When a client writes: a weekday × hour grid of inbound contact in the freelancer's time zone.

Pure functions of the moments messages arrived and the freelancer's business calendar: no
database, no clock. A message counts in the cell of its local weekday and hour in the
calendar's zone, so the same UTC hour lands an hour later in summer time than in winter. It is
out of hours when the calendar says that instant was not working time (holidays and days off
included); the grid's outline shows the weekly working windows.
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from clients.business_time import BusinessCalendar

DAY_ABBR = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
LEVELS = 4  # intensity steps above zero


@dataclass(frozen=True)
class Cell:
    weekday: int  # 0 = Monday
    hour: int
    count: int
    level: int  # 0 (none) … LEVELS (the busiest cell)
    working_minutes: int  # minutes of this hour inside the weekly working windows
    edges: tuple[str, ...]  # sides of the working-hours outline this cell draws: top/right/…

    @property
    def working(self) -> bool:
        return self.working_minutes > 0

    @property
    def label(self) -> str:
        messages = "1 message" if self.count == 1 else f"{self.count} messages"
        if self.working_minutes >= 60:
            hours = "working hours"
        elif self.working:
            hours = "partly working hours"
        else:
            hours = "outside working hours"
        return f"{DAY_ABBR[self.weekday]} {self.hour:02d}:00 — {messages} ({hours})"

    @property
    def css(self) -> str:
        classes = [f"l{self.level}"]
        if self.working:
            classes.append("work")
        classes += [f"edge-{side}" for side in self.edges]
        return " ".join(classes)


@dataclass(frozen=True)
class Heatmap:
    rows: tuple[tuple[Cell, ...], ...]  # rows[hour][weekday]
    total: int
    out_of_hours: int

    @property
    def share(self) -> float | None:
        """Share of messages that arrived out of hours, 0–1; None with no messages."""
        return self.out_of_hours / self.total if self.total else None

    @property
    def percent(self) -> int | None:
        return None if self.share is None else round(self.share * 100)

    def cell(self, weekday: int, hour: int) -> Cell:
        return self.rows[hour][weekday]


def working_minutes(calendar: BusinessCalendar) -> list[list[int]]:
    """minutes[weekday][hour]: how much of each hour of the week the windows cover (a night's
    hours after midnight in the next day's column, Sunday night's in Monday's)."""
    minutes = [[0] * 24 for _ in range(7)]
    for w in calendar.windows:
        start, end = (_minutes(b) for b in w.bounds)
        for slot in range(start // 60, -(-end // 60)):  # every hour it touches, 0 … 47
            lo, hi = max(start, slot * 60), min(end, (slot + 1) * 60)
            if hi > lo:
                minutes[(w.weekday + slot // 24) % 7][slot % 24] += hi - lo
    return [[min(m, 60) for m in day] for day in minutes]  # overlapping windows count once


def _minutes(offset: timedelta) -> int:
    """Whole minutes, a part of one counting as one."""
    return -(-offset // timedelta(minutes=1))


def count_by_slot(moments: Iterable[datetime], calendar: BusinessCalendar) -> tuple[list, int, int]:
    """counts[weekday][hour] in the calendar's zone, the total, and how many were out of hours."""
    counts = [[0] * 24 for _ in range(7)]
    total = out = 0
    for at in moments:
        local = at.astimezone(calendar.tz)
        counts[local.weekday()][local.hour] += 1
        total += 1
        out += not calendar.is_working(at)
    return counts, total, out


def out_of_hours_share(moments: Iterable[datetime], calendar: BusinessCalendar) -> float | None:
    _, total, out = count_by_slot(moments, calendar)
    return out / total if total else None


def build_heatmap(moments: Iterable[datetime], calendar: BusinessCalendar) -> Heatmap:
    """The 7 × 24 grid of when messages arrived, with the working hours outlined."""
    counts, total, out = count_by_slot(moments, calendar)
    work = working_minutes(calendar)
    busiest = max(max(day) for day in counts)

    def level(n: int) -> int:
        return math.ceil(LEVELS * n / busiest) if n else 0

    def is_work(weekday: int, hour: int) -> bool:
        return 0 <= weekday < 7 and 0 <= hour < 24 and work[weekday][hour] > 0

    def edges(weekday: int, hour: int) -> tuple[str, ...]:
        if not is_work(weekday, hour):
            return ()
        sides = {
            "top": (weekday, hour - 1),
            "bottom": (weekday, hour + 1),
            "left": (weekday - 1, hour),
            "right": (weekday + 1, hour),
        }
        return tuple(side for side, (d, h) in sides.items() if not is_work(d, h))

    rows = tuple(
        tuple(
            Cell(d, h, counts[d][h], level(counts[d][h]), work[d][h], edges(d, h)) for d in range(7)
        )
        for h in range(24)
    )
    return Heatmap(rows=rows, total=total, out_of_hours=out)


def split_by_age(
    moments: Iterable[datetime], now: datetime, period: timedelta
) -> tuple[list[datetime], list[datetime]]:
    """(moments within `period` before `now`, moments in the `period` before that)."""
    recent, earlier = [], []
    for at in moments:
        if now - period <= at <= now:
            recent.append(at)
        elif now - 2 * period <= at < now - period:
            earlier.append(at)
    return recent, earlier
