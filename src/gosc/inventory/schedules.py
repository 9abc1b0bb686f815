"""When a scheduled task runs next: the vim.scheduler.TaskScheduler kinds, as pure functions
of the scheduler and a time (UTC), so the ScheduledTaskManager needs no clock of its own
and tests can ask directly."""

from __future__ import annotations

import calendar
import datetime

from pyVmomi import vim

from ..vim.faults import invalid_argument

S = vim.scheduler
UTC = datetime.UTC
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_OFFSETS = {"first": 0, "second": 1, "third": 2, "fourth": 3, "last": -1}
_HORIZON = 400 * 24  # hours a recurrent schedule is searched ahead (more than a year)


def utc(t: datetime.datetime) -> datetime.datetime:
    """A client's time in UTC: a naive time (no zone on the wire) is taken as UTC."""
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def check(scheduler: S.TaskScheduler | None, path: str) -> None:
    """InvalidArgument naming the property a scheduler gets wrong."""
    if scheduler is None:
        raise invalid_argument(path, "a scheduled task needs a scheduler")
    if isinstance(scheduler, S.OnceTaskScheduler):
        return  # runAt unset: run at once
    if isinstance(scheduler, S.AfterStartupTaskScheduler):
        if scheduler.minute < 0:
            raise invalid_argument(f"{path}.minute", "minutes after startup are not negative")
        return
    if not isinstance(scheduler, S.RecurrentTaskScheduler):
        raise invalid_argument(path, f"gosc does not know the scheduler {type(scheduler).__name__}")
    if scheduler.interval < 1:
        raise invalid_argument(f"{path}.interval", "an interval is at least 1")
    if isinstance(scheduler, S.HourlyTaskScheduler) and not 0 <= scheduler.minute <= 59:
        raise invalid_argument(f"{path}.minute", "a minute is 0 to 59")
    if isinstance(scheduler, S.DailyTaskScheduler) and not 0 <= scheduler.hour <= 23:
        raise invalid_argument(f"{path}.hour", "an hour is 0 to 23")
    if isinstance(scheduler, S.WeeklyTaskScheduler) and not any(getattr(scheduler, d) for d in _WEEKDAYS):
        raise invalid_argument(path, "a weekly schedule runs on at least one day")
    if isinstance(scheduler, S.MonthlyByDayTaskScheduler) and not 1 <= scheduler.day <= 31:
        raise invalid_argument(f"{path}.day", "a day of the month is 1 to 31")
    if isinstance(scheduler, S.MonthlyByWeekdayTaskScheduler) and (
        scheduler.offset not in _OFFSETS or scheduler.weekday not in _WEEKDAYS
    ):
        raise invalid_argument(path, "a monthly weekday schedule names an offset and a weekday")


def next_run(
    scheduler: S.TaskScheduler, after: datetime.datetime, started: datetime.datetime, created: datetime.datetime
) -> datetime.datetime | None:
    """The first run time strictly after ``after`` (None: never again).  ``started`` is when
    the server started (after-startup schedules), ``created`` when the task was made (the
    anchor of intervals when activeTime is unset)."""
    if isinstance(scheduler, S.OnceTaskScheduler):
        at = utc(scheduler.runAt) if scheduler.runAt else created
        return at if at > after else None
    if isinstance(scheduler, S.AfterStartupTaskScheduler):
        at = started + datetime.timedelta(minutes=scheduler.minute)
        return at if at > after else None
    assert isinstance(scheduler, S.RecurrentTaskScheduler)
    active = utc(scheduler.activeTime) if scheduler.activeTime else created
    expire = utc(scheduler.expireTime) if scheduler.expireTime else None
    found = _recurrent(scheduler, max(after, active - datetime.timedelta(microseconds=1)), active)
    return None if found is None or (expire is not None and found > expire) else found


def _recurrent(
    s: S.RecurrentTaskScheduler, after: datetime.datetime, anchor: datetime.datetime
) -> datetime.datetime | None:
    hour = s.hour if isinstance(s, S.DailyTaskScheduler) else 0
    minute = s.minute if isinstance(s, S.HourlyTaskScheduler) else 0
    t = after.replace(second=0, microsecond=0)
    for _ in range(_HORIZON):
        if isinstance(s, S.DailyTaskScheduler):  # weekly and monthly kinds are daily ones
            candidate = t.replace(hour=hour, minute=minute)
            if candidate > after and _day_matches(s, candidate, anchor):
                return candidate
            t = (t + datetime.timedelta(days=1)).replace(hour=0, minute=0)
        else:
            candidate = t.replace(minute=minute)
            hours = int((candidate - anchor.replace(minute=minute, second=0, microsecond=0)).total_seconds() // 3600)
            if candidate > after and hours % s.interval == 0:
                return candidate
            t = (t + datetime.timedelta(hours=1)).replace(minute=0)
    return None


def _day_matches(s: S.DailyTaskScheduler, day: datetime.datetime, anchor: datetime.datetime) -> bool:
    if isinstance(s, S.WeeklyTaskScheduler):
        weeks = (day.date() - anchor.date()).days // 7
        return bool(getattr(s, _WEEKDAYS[day.weekday()])) and weeks % s.interval == 0
    months = (day.year - anchor.year) * 12 + day.month - anchor.month
    if isinstance(s, S.MonthlyByDayTaskScheduler):
        last = calendar.monthrange(day.year, day.month)[1]
        return day.day == min(s.day, last) and months % s.interval == 0
    if isinstance(s, S.MonthlyByWeekdayTaskScheduler):
        wanted = _WEEKDAYS.index(s.weekday)
        days = list(range(1, calendar.monthrange(day.year, day.month)[1] + 1))
        matching = [d for d in days if datetime.date(day.year, day.month, d).weekday() == wanted]
        return day.day == matching[_OFFSETS[s.offset]] and months % s.interval == 0
    return (day.date() - anchor.date()).days % s.interval == 0
