"""Writing a batch's staging: one SELECT of the persons involved, then one multi-row upsert per table
(``INSERT ... ON CONFLICT DO UPDATE`` on SQLite and PostgreSQL), rows sorted by key so concurrent
replicas lock in the same order.

Over 300 lines: every table of the read model is written here, in the one order all writers (the
live consumer, the rebuild's re-read) follow; the hot tables (``person_status``, ``counted_events``)
have their statements written for the driver beside the SQLAlchemy Core ones.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import datetime, timezone
from itertools import chain

from sqlalchemy import bindparam, case, delete, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from services.dashboard import models
from services.dashboard.domain import arithmetic
from services.dashboard.domain.registry import BY_ID
from services.dashboard.readmodel.staging import (
    CHUNK,
    Link,
    Observation,
    Pending,
    ReferralPatch,
)
from shared.contracts.events import (
    FacilityRegistered,
)
from shared.db import insert_sql, sqlite_datetimes
from shared.regions import ancestor_codes
from shared.time import utc


async def write(session: AsyncSession, pending: Pending) -> None:
    """Write a batch's staging in the caller's transaction."""
    if pending:
        await session.run_sync(lambda sync: flush(sync, pending))


# Keys per look-up or counted-events statement: a rebuild's batches hold thousands of persons, and each
# statement costs its round of Core processing (2,000 ids or 4,000 parameters: within SQLite's and
# asyncpg's limits).
LOOKUP_CHUNK = 2000


def _insert(dialect: str, table):  # noqa: ANN001, ANN202
    return (sqlite_insert if dialect == "sqlite" else pg_insert)(table)


def flush(session: Session, pending: Pending, now: datetime | None = None) -> None:
    """Write a batch's staging: person states, cell deltas, freshness, reference data."""
    dialect = session.get_bind().dialect.name
    now = now or datetime.now(timezone.utc)
    deltas: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for (village, period, indicator), n in _first_time(session, dialect, pending.counts).items():
        d = deltas[(village, period, indicator)]
        d[0] += n
        d[2] += n
    if pending.ops:
        _persons(session, dialect, pending.ops, deltas)
    _cells(session, dialect, deltas)
    if pending.fresh:
        _freshness(session, dialect, pending.fresh, now)
    if pending.targets:
        _targets(session, dialect, pending.targets)
    if pending.facilities:
        _facilities(session, dialect, pending.facilities.values())
    if pending.referrals:
        _referrals(session, dialect, pending.referrals.values())


def _driver_sql(session: Session) -> tuple[object, str, bool]:
    """The session's connection, its driver's parameter mark style, and whether it is SQLite."""
    connection = session.connection()
    return connection, connection.dialect.paramstyle, connection.dialect.name == "sqlite"


def _marks(paramstyle: str, rows: int, columns: int) -> str:
    """``(?, ?), (?, ?)`` (SQLite) or ``($1, $2), ($3, $4)`` (asyncpg) for a multi-row VALUES."""
    if paramstyle == "qmark":
        one = "(" + ", ".join("?" * columns) + ")"
        return ", ".join([one] * rows)
    return ", ".join("(" + ", ".join(f"${r * columns + c + 1}" for c in range(columns)) + ")" for r in range(rows))


def _first_time(session: Session, dialect: str, counts: dict[tuple[str, str], dict[tuple[str, str, str], int]]) -> Counter:
    """The count contributions of the events never counted before (``counted_events`` remembers
    each by its natural key, so a redelivery long after the inbox forgot it changes nothing).

    One multi-row ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` per 500 keys, written for the
    driver (SQLAlchemy Core would process each parameter in Python)."""
    total: Counter = Counter()
    if not counts:
        return total
    connection, paramstyle, _sqlite = _driver_sql(session)
    if paramstyle not in ("qmark", "numeric_dollar"):
        return _first_time_core(session, dialect, counts)
    keys = sorted(counts)
    for start in range(0, len(keys), LOOKUP_CHUNK):
        chunk = keys[start:start + LOOKUP_CHUNK]
        sql = (f'INSERT INTO "{models.counted.name}" ("event_type", "natural_id") VALUES '
               f"{_marks(paramstyle, len(chunk), 2)} ON CONFLICT DO NOTHING RETURNING event_type, natural_id")
        flat = tuple(chain.from_iterable(chunk))  # one parameter set (a list would be many)
        for event_type, natural_id in connection.exec_driver_sql(sql, flat).all():
            for cell, n in counts[(event_type, natural_id)].items():  # as Counter.update, without its checks
                total[cell] += n
    return total


def _first_time_core(session: Session, dialect: str, counts: dict[tuple[str, str], dict[tuple[str, str, str], int]]) -> Counter:
    total: Counter = Counter()
    t = models.counted
    keys = sorted(counts)
    stmt = _insert(dialect, t).on_conflict_do_nothing().returning(t.c.event_type, t.c.natural_id)
    for start in range(0, len(keys), CHUNK):
        rows = session.execute(stmt, [{"event_type": k[0], "natural_id": k[1]} for k in keys[start:start + CHUNK]])
        for key in rows:
            total.update(counts[(key[0], key[1])])
    return total


State = dict[tuple[str, str], dict[str, tuple[datetime, str, bool]]]  # (person, ind) -> period -> (at, village, +)



def _load_links(session: Session, ops: list[Observation | Link]) -> dict[str, str]:
    """Stored links (``person_links``: provisional id -> the id it became) of the persons observed in
    the batch, chains followed."""
    t = models.person_links
    wanted = {op.person_id for op in ops if isinstance(op, Observation)}
    links: dict[str, str] = {}
    connection, paramstyle, _sqlite = _driver_sql(session)
    driver = paramstyle in ("qmark", "numeric_dollar")
    for _hop in range(4):  # a provisional id linked once, rarely relinked
        ids = sorted(wanted - links.keys())
        if not ids:
            break
        found: dict[str, str] = {}
        for start in range(0, len(ids), LOOKUP_CHUNK):
            chunk = ids[start:start + LOOKUP_CHUNK]
            if driver:  # the ids straight to the driver (Core renders each bound id of an IN in Python)
                sql = (f'SELECT "previous_person_id", "person_id" FROM "{t.name}" WHERE "previous_person_id" IN '
                       f"{_marks(paramstyle, 1, len(chunk))}")
                found.update(connection.exec_driver_sql(sql, tuple(chunk)).all())
            else:
                query = select(t.c.previous_person_id, t.c.person_id).where(t.c.previous_person_id.in_(chunk))
                found.update(dict(session.execute(query).all()))
        links.update(found)
        wanted = set(found.values())
    return links


def _resolve(links: dict[str, str], person: str) -> str:
    """The id a person's measurements belong to now."""
    for _hop in range(8):
        target = links.get(person)
        if target is None or target == person:
            return person
        person = target
    return person


def _load_persons(session: Session, ops: list[Observation | Link], links: dict[str, str]) -> State:
    t = models.person_status
    persons: set[str] = set()
    years: set[str] = set()
    linked = False
    for op in ops:
        if isinstance(op, Observation):
            persons.add(_resolve(links, op.person_id) if links else op.person_id)
            years.add(op.period[:4])
        else:
            persons.update((op.previous, op.person_id))
            linked = True
    state: State = defaultdict(dict)
    ids = sorted(persons)
    connection, paramstyle, _sqlite = _driver_sql(session)
    if paramstyle in ("qmark", "numeric_dollar"):
        # The ids straight to the driver (Core renders each bound id of an IN in Python); the times
        # converted by the column type's own result processor, as Core would.
        convert = t.c.occurred_at.type.dialect_impl(connection.dialect).result_processor(connection.dialect, None)
        for start in range(0, len(ids), LOOKUP_CHUNK):
            chunk = ids[start:start + LOOKUP_CHUNK]
            sql = (f'SELECT "person_id", "indicator", "period", "occurred_at", "village_code", "numerator" '
                   f'FROM "{t.name}" WHERE "person_id" IN {_marks(paramstyle, 1, len(chunk))}')
            params: tuple = tuple(chunk)
            if not linked:  # only the years touched matter for the year-to-date arithmetic
                first = len(chunk) + 1
                sql += (' AND "period" >= ? AND "period" <= ?' if paramstyle == "qmark"
                        else f' AND "period" >= ${first} AND "period" <= ${first + 1}')
                params += (min(years) + "-01", max(years) + "-12")
            for person, indicator, period, at, village, positive in connection.exec_driver_sql(sql, params):
                if convert is not None:
                    at = convert(at)
                state[(person, indicator)][period] = (utc(at), village, bool(positive))
        return state
    for start in range(0, len(ids), LOOKUP_CHUNK):
        query = select(t.c.person_id, t.c.indicator, t.c.period, t.c.occurred_at, t.c.village_code, t.c.numerator) \
            .where(t.c.person_id.in_(ids[start:start + LOOKUP_CHUNK]))
        if not linked:  # only the years touched matter for the year-to-date arithmetic
            query = query.where(t.c.period >= min(years) + "-01", t.c.period <= max(years) + "-12")
        for person, indicator, period, at, village, positive in session.execute(query):
            state[(person, indicator)][period] = (utc(at), village, bool(positive))
    return state


def _resets(indicator: str) -> tuple[int, ...]:
    """Months at which the indicator's year-to-date value restarts (``ytd="semester"``)."""
    found = BY_ID.get(indicator)
    return found.ytd_resets if found is not None else ()


def _by_year(rows: dict[str, tuple[datetime, str, bool]]) -> dict[str, dict[str, tuple[str, bool]]]:
    """A person's months of one indicator as ``{year: {period: (village, in numerator)}}``."""
    out: dict[str, dict[str, tuple[str, bool]]] = {}
    for period, (_at, village, positive) in rows.items():
        out.setdefault(period[:4], {})[period] = (village, positive)
    return out


def _persons(session: Session, dialect: str, ops: list[Observation | Link],
             deltas: dict[tuple[str, str, str], list[int]]) -> None:
    links = _load_links(session, ops)
    state = _load_persons(session, ops, links)
    original = {key: dict(rows) for key, rows in state.items()}
    touched: set[tuple[str, str]] = set()
    new_links: dict[str, str] = {}
    # person -> indicators in ``state``, for a link to find its provisional id's: built at the batch's
    # first link (most batches have none), then kept in step with ``state``.
    held: dict[str, set[str]] | None = None
    touch = touched.add
    for op in ops:
        if isinstance(op, Observation):
            person, indicator, period, village, at, positive = op
            # A provisional id already linked: the measurement is its own id's, whatever the order
            # the observation and the link are applied in (a redelivery after the link, a rebuild).
            key = (_resolve(links, person) if links else person, indicator)
            if held is not None and key not in state:
                held[key[0]].add(indicator)
            rows = state[key]
            value = (at, village, positive)
            current = rows.get(period)
            if current is None or value >= current:  # arithmetic.latest_wins
                rows[period] = value
            touch(key)
        else:
            if op.previous == op.person_id:
                continue
            if held is None:
                held = defaultdict(set)
                for person, indicator in state:
                    held[person].add(indicator)
            links[op.previous] = new_links[op.previous] = op.person_id
            for person, indicator in [(op.previous, i) for i in sorted(held.pop(op.previous, ()))]:
                held[op.person_id].add(indicator)
                into = state[(op.person_id, indicator)]
                for period, value in state.pop((person, indicator)).items():
                    if arithmetic.latest_wins(into.get(period), value):
                        into[period] = value
                touched.update({(person, indicator), (op.person_id, indicator)})
    if new_links:
        t = models.person_links
        stmt = _insert(dialect, t)
        stmt = stmt.on_conflict_do_update(index_elements=[t.c.previous_person_id],
                                          set_={"person_id": stmt.excluded.person_id})
        session.execute(stmt, [{"previous_person_id": p, "person_id": n} for p, n in sorted(new_links.items())])
    upserts: list[tuple] = []
    deletes: list[dict] = []
    resets: dict[str, tuple[int, ...]] = {}
    upsert = upserts.append
    for key in sorted(touched):
        old, new = original.get(key) or {}, state.get(key) or {}
        if not old:
            if not new:
                continue
            person, indicator = key
            reset = resets.get(indicator)
            if reset is None:
                reset = resets[indicator] = _resets(indicator)
            if len(new) == 1 and not reset:
                # The person's first measurement of this indicator (every person of a rebuild at first):
                # arithmetic.delta from nothing to one month is +1 measured (and numerator) there.
                [(period, (at, village, positive))] = new.items()
                d = deltas[(village, period, indicator)]
                n = 1 if positive else 0
                d[0] += n
                d[1] += 1
                d[2] += n
                d[3] += 1
                upsert((person, indicator, period, village, at, positive))
                continue
        elif old == new:
            continue
        person, indicator = key
        if indicator not in resets:
            resets[indicator] = _resets(indicator)
        old_years, new_years = _by_year(old), _by_year(new)
        for year in sorted(old_years.keys() | new_years.keys()):
            change = arithmetic.delta(old_years.get(year, {}), new_years.get(year, {}), resets[indicator])
            for (village, period), tally in change.items():
                d = deltas[(village, period, indicator)]
                d[0] += tally[0]
                d[1] += tally[1]
                d[2] += tally[2]
                d[3] += tally[3]
        for period, value in sorted(new.items()):
            if old.get(period) != value:
                at, village, positive = value
                upsert((person, indicator, period, village, at, positive))
        deletes += [{"p": person, "i": indicator, "d": period} for period in sorted(set(old) - set(new))]
    t = models.person_status
    if deletes:
        session.execute(delete(t).where(t.c.person_id == bindparam("p"), t.c.indicator == bindparam("i"),
                                        t.c.period == bindparam("d")), deletes)
    if upserts:
        _upsert_persons(session, dialect, upserts)


PERSON_COLUMNS = ("person_id", "indicator", "period", "village_code", "occurred_at", "numerator")


def _upsert_persons(session: Session, dialect: str, rows: list[tuple]) -> None:
    """``person_status`` rows upserted with the driver's ``executemany`` (SQLAlchemy Core would
    process each parameter in Python); datetimes on SQLite in Core's own text format."""
    connection, paramstyle, sqlite = _driver_sql(session)
    t = models.person_status
    if paramstyle not in ("qmark", "numeric_dollar"):
        stmt = _insert(dialect, t)
        stmt = stmt.on_conflict_do_update(
            index_elements=[t.c.person_id, t.c.indicator, t.c.period],
            set_={"village_code": stmt.excluded.village_code, "occurred_at": stmt.excluded.occurred_at,
                  "numerator": stmt.excluded.numerator})
        session.execute(stmt, [dict(zip(PERSON_COLUMNS, row)) for row in rows])
        return
    if sqlite:
        stored = sqlite_datetimes()  # an event's observations share one time
        rows = [(p, i, d, v, stored(at), positive) for p, i, d, v, at, positive in rows]
    sql = (insert_sql(t.name, PERSON_COLUMNS, paramstyle)
           + ' ON CONFLICT ("person_id", "indicator", "period") DO UPDATE SET "village_code" = excluded."village_code",'
             ' "occurred_at" = excluded."occurred_at", "numerator" = excluded."numerator"')
    connection.exec_driver_sql(sql, rows)


SUMS = ("numerator", "measured", "ytd_numerator", "ytd_measured")


def _cells(session: Session, dialect: str, deltas: dict[tuple[str, str, str], list[int]]) -> None:
    """Add the deltas to their villages' ``cells`` and to the ``area_cells`` of every region above."""
    areas: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for (village, period, indicator), d in deltas.items():
        for code in ancestor_codes(village):
            into = areas[(code, period, indicator)]
            for i in range(4):
                into[i] += d[i]
    _add(session, dialect, models.cells, deltas)
    _add(session, dialect, models.area_cells, areas)


def _add(session: Session, dialect: str, table, deltas: dict[tuple[str, str, str], list[int]]) -> None:  # noqa: ANN001
    key = table.primary_key.columns.keys()
    connection, paramstyle, _sqlite = _driver_sql(session)
    if paramstyle in ("qmark", "numeric_dollar"):
        # The driver's executemany on positional rows (Core would process each parameter in Python),
        # in the same sorted order.
        values = [(*k, *d) for k, d in sorted(deltas.items()) if any(d)]
        if values:
            sql = (insert_sql(table.name, (*key, *SUMS), paramstyle)
                   + " ON CONFLICT (" + ", ".join(f'"{name}"' for name in key) + ") DO UPDATE SET "
                   + ", ".join(f'"{name}" = "{table.name}"."{name}" + excluded."{name}"' for name in SUMS))
            connection.exec_driver_sql(sql, values)
        return
    rows = [dict(zip((*key, *SUMS), (*k, *d))) for k, d in sorted(deltas.items()) if any(d)]
    if not rows:
        return
    stmt = _insert(dialect, table)
    stmt = stmt.on_conflict_do_update(index_elements=[table.c[name] for name in key],
                                      set_={name: table.c[name] + stmt.excluded[name] for name in SUMS})
    for start in range(0, len(rows), CHUNK):
        session.execute(stmt, rows[start:start + CHUNK])


def _freshness(session: Session, dialect: str, fresh: dict[str, datetime], now: datetime) -> None:
    t = models.freshness
    rows = [{"village_code": v, "last_event_at": min(at, now), "received_at": now} for v, at in sorted(fresh.items())]
    stmt = _insert(dialect, t)
    stmt = stmt.on_conflict_do_update(
        index_elements=[t.c.village_code],
        set_={"last_event_at": case((stmt.excluded.last_event_at > t.c.last_event_at, stmt.excluded.last_event_at),
                                    else_=t.c.last_event_at),
              "received_at": stmt.excluded.received_at})
    session.execute(stmt, rows)


def _targets(session: Session, dialect: str, targets: dict[tuple[str, int, str], int]) -> None:
    """Set the villages' targets and add the change of each to ``area_targets`` (the previous counts
    read under lock on PostgreSQL, as :func:`_referrals` does)."""
    t = models.targets
    wanted = sorted(targets.items())
    rows = [{"village_code": v, "year": y, "target": g, "count": c} for (v, y, g), c in wanted]
    insert = _insert(dialect, t).on_conflict_do_nothing().returning(t.c.village_code, t.c.year, t.c.target)
    created = {tuple(r) for r in session.execute(insert, rows)}
    change = {key: count for key, count in wanted if key in created}
    known = [key for key, _count in wanted if key not in created]
    old: dict[tuple[str, int, str], int] = {}
    for start in range(0, len(known), CHUNK):
        query = select(t).where(tuple_(t.c.village_code, t.c.year, t.c.target).in_(known[start:start + CHUNK]))
        if dialect == "postgresql":
            query = query.with_for_update()
        old.update({(r.village_code, r.year, r.target): r.count for r in session.execute(query)})
    moved = {key: targets[key] - old[key] for key in known if targets[key] != old[key]}
    if moved:
        session.execute(update(t).where(t.c.village_code == bindparam("v"), t.c.year == bindparam("y"),
                                        t.c.target == bindparam("g")).values(count=bindparam("c")),
                        [{"v": v, "y": y, "g": g, "c": targets[(v, y, g)]} for (v, y, g) in moved])
        change.update(moved)
    areas: dict[tuple[str, int, str], int] = defaultdict(int)
    for (village, year, group), difference in change.items():
        for code in ancestor_codes(village):
            areas[(code, year, group)] += difference
    a = models.area_targets
    if areas:
        stmt = _insert(dialect, a)
        stmt = stmt.on_conflict_do_update(index_elements=[a.c.area_code, a.c.year, a.c.target],
                                          set_={"count": a.c["count"] + stmt.excluded["count"]})
        session.execute(stmt, [{"area_code": c, "year": y, "target": g, "count": n}
                               for (c, y, g), n in sorted(areas.items())])


def _facilities(session: Session, dialect: str, facilities: Iterable[FacilityRegistered]) -> None:
    t = models.facilities
    rows = [{"facility_id": f.facility_id, "name": f.name, "type": f.type, "parent_id": f.parent_id,
             "village_code": f.village_code, "active": f.active, "revision": f.revision}
            for f in sorted(facilities, key=lambda f: f.facility_id)]
    stmt = _insert(dialect, t)
    stmt = stmt.on_conflict_do_update(
        index_elements=[t.c.facility_id],
        set_={name: stmt.excluded[name] for name in ("name", "type", "parent_id", "village_code", "active", "revision")},
        where=stmt.excluded.revision >= t.c.revision)
    session.execute(stmt, rows)


def _referrals(session: Session, dialect: str, patches: Iterable[ReferralPatch]) -> None:
    """Insert the new referrals, merge the changes into the known ones (locked on PostgreSQL, so a
    concurrent replica's change to the same referral waits), and move their counts in ``area_referrals``
    from the old status to the new."""
    t = models.referrals
    patches = sorted(patches, key=lambda p: p.referral_id)
    counts: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0])

    def count(patch: ReferralPatch, sign: int) -> None:
        for code in ancestor_codes(patch.village_code):
            into = counts[(code, patch.period, patch.status)]
            into[0] += sign
            into[1] += sign * int(patch.feedback)

    created: set[str] = set()
    insert = _insert(dialect, t).on_conflict_do_nothing().returning(t.c.referral_id)
    for start in range(0, len(patches), CHUNK):
        created.update(r[0] for r in session.execute(insert, [p.row() for p in patches[start:start + CHUNK]]))
    known = [p for p in patches if p.referral_id not in created]
    for patch in patches:
        if patch.referral_id in created:
            count(patch, +1)
    changed = []
    for start in range(0, len(known), CHUNK):
        query = select(t).where(t.c.referral_id.in_([p.referral_id for p in known[start:start + CHUNK]]))
        if dialect == "postgresql":
            query = query.with_for_update()
        old = {row.referral_id: ReferralPatch.of_row(row) for row in session.execute(query)}
        for patch in known[start:start + CHUNK]:
            before = old[patch.referral_id]
            after = before.merged(patch)
            if after != before:
                count(before, -1)
                count(after, +1)
                changed.append(after.row())
    if changed:
        session.execute(update(t).where(t.c.referral_id == bindparam("b_referral_id")).values(
            {name: bindparam(f"b_{name}") for name in REFERRAL_CHANGES}),
            [{f"b_{k}": v for k, v in row.items() if k in REFERRAL_CHANGES or k == "referral_id"} for row in changed])
    a = models.area_referrals
    rows = [{"area_code": code, "period": period, "status": status, "count": n, "feedback": fb}
            for (code, period, status), (n, fb) in sorted(counts.items()) if n or fb]
    if rows:
        stmt = _insert(dialect, a)
        stmt = stmt.on_conflict_do_update(index_elements=[a.c.area_code, a.c.period, a.c.status],
                                          set_={"count": a.c["count"] + stmt.excluded["count"],
                                                "feedback": a.c.feedback + stmt.excluded.feedback})
        for start in range(0, len(rows), CHUNK):
            session.execute(stmt, rows[start:start + CHUNK])


# What a later event may change of a known referral (where and when it was made stay).
REFERRAL_CHANGES = ("due_at", "urgency", "destination_level", "status", "status_rank", "status_at", "feedback")
