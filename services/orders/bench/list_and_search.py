"""Benchmark of the CRM orders list, search and CSV export on a large school.

    python services/orders/bench/list_and_search.py [--orders 100000] [--repeat 50]
        [--postgres-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres] [--plans plans.txt]

Starts an embedded PostgreSQL and a Tansu broker (or uses the PostgreSQL server given), makes a
fresh database with the orders migrations, fills it in SQL (generate_series, deterministic
hashes, so every run builds the same data), runs ANALYZE, then times the orders service's own
HTTP app in-process (httpx ASGI transport, no network, no uvicorn): every request goes through
routing, validation, the views and PostgreSQL as in production. The SQL each request issued is
captured and explained (ANALYZE, BUFFERS) afterwards.
"""

import argparse
import asyncio
import csv
import io
import json
import re
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import event

from contracts import ALL_TOPICS, dlq_topic
from localstack.broker import TansuBroker, create_topics
from localstack.ports import free_port
from localstack.postgres import EmbeddedPostgres, create_databases, database_url
from orders.main import MIGRATIONS, create_app
from orders.settings import Settings
from servicekit.caller import Caller, ProofSigner, new_key_pair
from servicekit.migrations import upgrade
from servicekit.testing import running

DAYS = 730
# Share of the orders each school holds: one large school and a few small ones.
SCHOOLS = (
    ("Академія Digital", "uk", "UAH", 0.85),
    ("Школа англійської Speak Up", "uk", "UAH", 0.08),
    ("Code Academy Europe", "en", "EUR", 0.05),
    ("Малювання для дорослих", "uk", "UAH", 0.02),
)

UA_FIRST = [("Олена", "Olena"), ("Іван", "Ivan"), ("Марія", "Mariia"), ("Петро", "Petro"), ("Анна", "Anna"),
            ("Андрій", "Andrii"), ("Оксана", "Oksana"), ("Дмитро", "Dmytro"), ("Наталія", "Nataliia"),
            ("Сергій", "Serhii"), ("Юлія", "Yuliia"), ("Олександр", "Oleksandr"), ("Ірина", "Iryna"),
            ("Тарас", "Taras"), ("Катерина", "Kateryna"), ("Богдан", "Bohdan"), ("Софія", "Sofiia"),
            ("Максим", "Maksym"), ("Вікторія", "Viktoriia"), ("Євген", "Yevhen"), ("Людмила", "Liudmyla"),
            ("Василь", "Vasyl"), ("Тетяна", "Tetiana"), ("Микола", "Mykola")]
UA_LAST = [("Шевченко", "Shevchenko"), ("Коваленко", "Kovalenko"), ("Бондаренко", "Bondarenko"),
           ("Ткаченко", "Tkachenko"), ("Кравченко", "Kravchenko"), ("Олійник", "Oliinyk"), ("Шевчук", "Shevchuk"),
           ("Поліщук", "Polishchuk"), ("Бойко", "Boiko"), ("Мельник", "Melnyk"), ("Ковальчук", "Kovalchuk"),
           ("Лисенко", "Lysenko"), ("Марченко", "Marchenko"), ("Руденко", "Rudenko"), ("Савченко", "Savchenko"),
           ("Петренко", "Petrenko"), ("Клименко", "Klymenko"), ("Павленко", "Pavlenko"),
           ("Гончаренко", "Honcharenko"), ("Захарченко", "Zakharchenko"), ("Мороз", "Moroz"),
           ("Левченко", "Levchenko"), ("Гнатюк", "Hnatiuk"), ("Юрченко", "Yurchenko"), ("Кузьменко", "Kuzmenko"),
           ("Гуменюк", "Humeniuk"), ("Зайченко", "Zaichenko"), ("Федоренко", "Fedorenko"),
           ("Литвиненко", "Lytvynenko"), ("Іваненко", "Ivanenko")]
FOREIGN_FIRST = ["John", "Emma", "Michael", "Sophie", "David", "Laura", "Thomas", "Anna", "James", "Julia", "Peter",
                 "Kate", "Marek", "Agnieszka", "Lukas", "Hannah"]
FOREIGN_LAST = ["Smith", "Johnson", "Williams", "Brown", "Miller", "Davis", "Wilson", "Anderson", "Taylor", "Nowak",
                "Kowalski", "Wisniewski", "Schmidt", "Muller", "Garcia", "Martin"]
DOMAINS = ["gmail.com", "ukr.net", "i.ua", "outlook.com", "icloud.com", "meta.ua", "proton.me"]
UA_OPERATORS = ["50", "63", "66", "67", "68", "73", "93", "95", "96", "97", "98", "99"]
MANAGERS = ["olena.k@school.ua", "ivan.p@school.ua", "maria.s@school.ua", "petro.m@school.ua",
            "anna.b@school.ua", "taras.h@school.ua"]
# (tag, how many orders in a thousand carry it)
TAGS = [("webinar", 200), ("promo", 150), ("repeat", 120), ("installments", 100), ("b2b", 80),
        ("referral", 50), ("vip", 30), ("scholarship", 10)]
PRODUCTS = [("Англійська B1: групові заняття", 2990), ("Python для початківців", 9990), ("UX/UI дизайн", 14990),
            ("Digital-маркетинг", 12990), ("Бухгалтерія для ФОП", 1490), ("Математика НМТ", 4990),
            ("Українська мова НМТ", 4990), ("Data Analytics", 19990), ("Project Management", 11990),
            ("Фотографія з нуля", 3490), ("Копірайтинг", 2490), ("Java Pro", 24990), ("Міні-курс Excel", 490),
            ("Консультація ментора", 990)]
COMMENTS = ["Передзвонити після 18:00", "Оплата частинами, домовились по телефону", "Просить рахунок на ФОП",
            "Corporate invoice needed", "Повторний клієнт, знижка 10%"]


# --- data ------------------------------------------------------------------------------------

HASH_FN = """
CREATE OR REPLACE FUNCTION pg_temp.h(t text) RETURNS bigint LANGUAGE sql IMMUTABLE AS
$$ SELECT ('x' || lpad(substr(md5(t), 1, 12), 16, '0'))::bit(64)::bigint $$
"""

PIPELINES_SQL = """
INSERT INTO pipelines (id, account_id, name, is_default, created_at)
VALUES (md5($1::uuid::text || ':p:1')::uuid, $1, 'Продажі', true, $2),
       (md5($1::uuid::text || ':p:2')::uuid, $1, 'Корпоративні клієнти', false, $2);
INSERT INTO stages (id, pipeline_id, account_id, name, position, on_full_payment, on_cancel)
SELECT md5($1::uuid::text || ':s:' || p || ':' || pos)::uuid, md5($1::uuid::text || ':p:' || p)::uuid, $1, name, pos,
       paid, cancel
FROM (VALUES (1, 1, 'Нова заявка', false, false), (1, 2, 'В роботі', false, false),
             (1, 3, 'Очікує оплату', false, false), (1, 4, 'Оплачено', true, false),
             (1, 5, 'Скасовано', false, true),
             (2, 1, 'Запит', false, false), (2, 2, 'Договір', false, false),
             (2, 3, 'Оплачено', true, false), (2, 4, 'Скасовано', false, true)) s(p, pos, name, paid, cancel);
"""

CONTACTS_SQL = """
INSERT INTO contacts (id, account_id, name, email, email_key, phone, locale, created_at, updated_at)
SELECT md5($1::uuid::text || ':c:' || i)::uuid, $1, name, email, lower(email), phone, locale, at, at
FROM (
  SELECT i, at,
    CASE WHEN style < 55 THEN uf[f] || ' ' || ul[l]
         WHEN style < 80 THEN lf[f] || ' ' || ll[l]
         ELSE ff[g] || ' ' || fl[k] END AS name,
    CASE WHEN style < 80 THEN CASE fmt WHEN 0 THEN lower(lf[f] || '.' || ll[l]) || i
                                        WHEN 1 THEN lower(ll[l] || lf[f]) || i
                                        WHEN 2 THEN lower(left(lf[f], 1) || '.' || ll[l]) || i
                                        ELSE lf[f] || '.' || ll[l] || i END
         ELSE CASE fmt WHEN 0 THEN lower(ff[g] || '.' || fl[k]) || i ELSE lower(fl[k] || ff[g]) || i END
    END || '@' || CASE WHEN fmt = 3 THEN initcap(dom[d]) ELSE dom[d] END AS email,
    CASE WHEN ph < 85 THEN '+380' || op[o] || lpad((num % 10000000)::text, 7, '0')
         WHEN ph < 90 THEN '+48' || lpad((num % 1000000000)::text, 9, '0') END AS phone,
    CASE WHEN style < 80 THEN 'uk' ELSE 'en' END AS locale
  FROM (
    SELECT i, $3::timestamptz + (i - 1) * ($4::interval / $2) AS at,
      x % 100 AS style, 1 + (x / 100) % cardinality($5::text[]) AS f, 1 + (x / 10000) % cardinality($7::text[]) AS l,
      1 + (x / 100) % cardinality($9::text[]) AS g, 1 + (x / 10000) % cardinality($10::text[]) AS k,
      (x / 1000000) % 4 AS fmt, 1 + (x / 10000000) % cardinality($11::text[]) AS d,
      y % 100 AS ph, 1 + (y / 100) % cardinality($12::text[]) AS o, y / 10000 AS num,
      $5::text[] AS uf, $6::text[] AS lf, $7::text[] AS ul, $8::text[] AS ll, $9::text[] AS ff, $10::text[] AS fl,
      $11::text[] AS dom, $12::text[] AS op
    FROM generate_series(1, $2) i,
         LATERAL (SELECT pg_temp.h($1::uuid::text || ':c:' || i) AS x, pg_temp.h($1::uuid::text || ':ph:' || i) AS y) r
  ) s
) c
"""

# One row per order with every random choice made; lines and orders are built from it.
PLAN_SQL = """
CREATE TEMP TABLE plan ON COMMIT DROP AS
SELECT i, md5($1::uuid::text || ':o:' || i)::uuid AS id,
  $3::timestamptz + (i - 1 + (y % 1000) / 1000.0) * ($4::interval / $2) AS at,
  md5($1::uuid::text || ':c:' || (1 + (x / 10) % $5))::uuid AS contact_id,
  CASE WHEN x % 100 < 15 THEN 'manual' WHEN x % 100 < 40 THEN 'widget' ELSE 'page' END AS source,
  CASE WHEN w % 100 < 85 THEN 'regular' WHEN w % 100 < 93 THEN 'renewal' WHEN w % 100 < 98 THEN 'upsell'
       ELSE 'gift' END AS type,
  CASE WHEN $6 AND (x / 1000) % 10 = 0 THEN 2 ELSE 1 END AS pipeline,
  1 + (x % 20 >= 16)::int + (x % 20 >= 19)::int AS nlines,
  (y / 1000) % 100 AS pay, (y / 100000) % 10 AS mgr, (x / 100000) % 6 AS m1, (x / 600000) % 6 AS m2,
  (w / 100) % 5 = 0 AS discounted, w, v, (y / 10000000) % 100 AS misc
FROM generate_series(1, $2) i,
     LATERAL (SELECT pg_temp.h($1::uuid::text || ':o:' || i) AS x, pg_temp.h($1::uuid::text || ':oy:' || i) AS y,
                     pg_temp.h($1::uuid::text || ':ow:' || i) AS w, pg_temp.h($1::uuid::text || ':ov:' || i) AS v) r;

CREATE TEMP TABLE plan_lines ON COMMIT DROP AS
SELECT p.id AS order_id, pos, prod, md5($1::uuid::text || ':offer:' || prod)::uuid AS offer_id,
  (titles)[prod] AS title, round((prices)[prod] * $2::numeric, 2) AS price, p.source
FROM plan p, generate_series(1, p.nlines) pos,
     LATERAL (SELECT 1 + pg_temp.h(p.id::text || ':' || pos) % cardinality($3::text[]) AS prod,
                     $3::text[] AS titles, $4::numeric[] AS prices) q;
"""

ORDERS_SQL = """
INSERT INTO orders (id, account_id, number, checkout_id, offer_id, contact_id, pipeline_id, stage_id, type, source,
                    currency, subtotal, discount, total, paid, payment_status, version, created_at, updated_at,
                    paid_at, status, managers, tags, comment, refunded, first_paid_at, closed_at)
SELECT id, $1, i, CASE WHEN source <> 'manual' THEN md5($1::uuid::text || ':k:' || i)::uuid END,
  CASE WHEN source <> 'manual' THEN first_offer END, contact_id,
  md5($1::uuid::text || ':p:' || pipeline)::uuid,
  md5($1::uuid::text || ':s:' || pipeline || ':' || CASE
      WHEN status <> 'active' THEN CASE pipeline WHEN 1 THEN 5 ELSE 4 END
      WHEN payment_status IN ('paid', 'overpaid', 'refunded') THEN CASE pipeline WHEN 1 THEN 4 ELSE 3 END
      ELSE 1 + misc % CASE pipeline WHEN 1 THEN 3 ELSE 2 END END)::uuid,
  type, source, $2, subtotal, discount, total,
  CASE payment_status WHEN 'not_paid' THEN 0 WHEN 'partially_paid' THEN round(total / 2, 2)
       WHEN 'overpaid' THEN total + 1 ELSE total END,
  payment_status, CASE WHEN payment_status = 'not_paid' THEN 1 ELSE 2 END, at,
  COALESCE(paid_at, first_paid_at, at), paid_at, status,
  CASE WHEN mgr < 3 THEN '{}'::text[] WHEN mgr < 8 OR m1 = m2 THEN ARRAY[($3::text[])[1 + m1]]
       ELSE ARRAY[($3::text[])[1 + m1], ($3::text[])[1 + m2]] END,
  tags, CASE WHEN misc < 5 THEN ($6::text[])[1 + misc] END,
  CASE WHEN payment_status = 'refunded' THEN total ELSE 0 END, first_paid_at,
  CASE WHEN status <> 'active' THEN at + interval '7 days' END
FROM (
  SELECT p.*, l.subtotal, l.first_offer, d.discount, l.subtotal - d.discount AS total, ps.payment_status,
    CASE WHEN ps.payment_status = 'not_paid' AND p.source <> 'manual' AND p.at < now() - interval '7 days'
              AND p.misc < 80 THEN 'expired'
         WHEN ps.payment_status = 'not_paid' AND p.misc >= 95 THEN 'cancelled'
         ELSE 'active' END AS status,
    CASE WHEN ps.payment_status IN ('paid', 'overpaid', 'refunded')
         THEN p.at + (p.misc % 72) * interval '1 hour' END AS paid_at,
    CASE WHEN ps.payment_status <> 'not_paid' THEN p.at + (p.misc % 48) * interval '1 hour' END AS first_paid_at,
    array_remove(ARRAY(SELECT CASE WHEN pg_temp.h(p.id::text || ':t:' || t.tag) % 1000 < t.per_mille
                                   THEN t.tag END FROM unnest($4::text[], $5::int[]) t(tag, per_mille)),
                 NULL) AS tags
  FROM plan p
  JOIN (SELECT order_id, sum(price) AS subtotal, (array_agg(offer_id ORDER BY pos))[1] AS first_offer
        FROM plan_lines GROUP BY order_id) l ON l.order_id = p.id,
  LATERAL (SELECT CASE WHEN p.discounted THEN round(l.subtotal * 0.1, 2) ELSE 0 END AS discount) d,
  LATERAL (SELECT CASE WHEN p.pay < 30 THEN 'not_paid' WHEN p.pay < 38 THEN 'partially_paid'
                       WHEN p.pay < 93 OR NOT $7 THEN 'paid' WHEN p.pay < 94 THEN 'overpaid' ELSE 'refunded' END
                  AS payment_status) ps
) o;

INSERT INTO order_lines (id, order_id, position, product_id, product_title, offer_id, offer_title, price)
SELECT md5(order_id::text || ':l:' || pos)::uuid, order_id, pos,
  md5($1::uuid::text || ':product:' || prod)::uuid, title,
  CASE WHEN source <> 'manual' THEN offer_id END, CASE WHEN source <> 'manual' THEN title END, price
FROM plan_lines;

INSERT INTO order_counters (account_id, last_number) SELECT $1, count(*) FROM plan;
"""


@dataclass
class School:
    account_id: uuid.UUID
    name: str
    locale: str
    currency: str
    orders: int
    contacts: int


async def fill(dsn: str, total: int, overpaid: bool) -> list[School]:
    schools = []
    for n, (name, locale, currency, share) in enumerate(SCHOOLS):
        count = max(10, round(total * share))
        schools.append(School(uuid.UUID(int=n + 1), name, locale, currency, count, max(5, count * 3 // 5)))
    start = datetime.now(timezone.utc) - timedelta(days=DAYS)
    span = timedelta(days=DAYS)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(HASH_FN)
        for school in schools:
            a = school.account_id
            # EUR prices: the same courses at about a fortieth of the hryvnia price.
            scale = Decimal("0.025") if school.currency == "EUR" else Decimal(1)
            async with conn.transaction():
                await conn.execute(
                    "INSERT INTO schools (account_id, name, locale) VALUES ($1, $2, $3)", a, school.name, school.locale)
                pipelines_sql, stages_sql = PIPELINES_SQL.split(";\nINSERT")
                await conn.execute(pipelines_sql, a, start - timedelta(days=1))
                await conn.execute("INSERT" + stages_sql, a)
                await conn.execute(
                    CONTACTS_SQL, a, school.contacts, start - timedelta(days=30), span,
                    [c for c, _ in UA_FIRST], [lat for _, lat in UA_FIRST],
                    [c for c, _ in UA_LAST], [lat for _, lat in UA_LAST], FOREIGN_FIRST, FOREIGN_LAST, DOMAINS,
                    UA_OPERATORS)
                plan, plan_lines = PLAN_SQL.split(";\n\n")
                await conn.execute(plan, a, school.orders, start, span, school.contacts, school.orders > 20_000)
                await conn.execute(plan_lines, a, scale, [t for t, _ in PRODUCTS],
                                   [Decimal(p) for _, p in PRODUCTS])
                orders_sql, lines_sql, counters_sql = ORDERS_SQL.split(";\n\n")
                await conn.execute(orders_sql, a, school.currency, MANAGERS, [t for t, _ in TAGS],
                                   [p for _, p in TAGS], COMMENTS, overpaid)
                await conn.execute(lines_sql, a)
                await conn.execute(counters_sql, a)
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return schools


async def describe(dsn: str) -> list[tuple[str, int, str]]:
    conn = await asyncpg.connect(dsn)
    try:
        out = []
        for table in ("orders", "order_lines", "contacts", "stages"):
            rows = await conn.fetchval(f"SELECT count(*) FROM {table}")
            size = await conn.fetchval(f"SELECT pg_size_pretty(pg_total_relation_size('{table}'))")
            out.append((table, rows, size))
        return out
    finally:
        await conn.close()


# --- scenarios -------------------------------------------------------------------------------

@dataclass
class Scenario:
    name: str
    params: dict[str, Any]
    path: str = "/orders"
    times: list[float] = field(default_factory=list)
    items: int = 0
    matches: int | None = None
    sql: tuple[str, tuple[Any, ...]] | None = None
    rows: int = 0


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


class SqlCapture:
    """The last SELECT on orders the app sent to PostgreSQL, with its parameters."""

    def __init__(self, engine: Any) -> None:
        self.last: tuple[str, tuple[Any, ...]] | None = None
        event.listen(engine.sync_engine, "before_cursor_execute", self._seen)

    def _seen(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM orders" in statement:
            self.last = (statement, tuple(parameters or ()))


async def pick_terms(dsn: str, school: School) -> dict[str, Any]:
    """Search terms and ranges taken from the data, so each one finds what it is meant to."""
    conn = await asyncpg.connect(dsn)
    a = school.account_id
    try:
        middle = school.orders // 2
        contact = await conn.fetchrow(
            "SELECT c.email_key, c.phone FROM orders o JOIN contacts c ON c.id = o.contact_id "
            "WHERE o.account_id = $1 AND o.number >= $2 AND c.phone LIKE '+380%' ORDER BY o.number LIMIT 1", a, middle)
        export_from = await conn.fetchval(
            "SELECT created_at FROM orders WHERE account_id = $1 AND number = $2", a, school.orders // 4)
        export_to = await conn.fetchval(
            "SELECT created_at FROM orders WHERE account_id = $1 AND number = $2", a,
            min(school.orders, school.orders // 4 + 10_000))
        month_from = await conn.fetchval(
            "SELECT created_at FROM orders WHERE account_id = $1 AND number = $2", a, school.orders * 3 // 5)
    finally:
        await conn.close()
    phone = contact["phone"]  # +380XXYYYYYYY: typed as the national "0XX YYY"
    return {
        "number": f"#{middle}",
        "phone": f"0{phone[4:6]} {phone[6:9]}",
        "email": contact["email_key"].split("@")[0],
        "export": (export_from, export_to),
        "month": (month_from, month_from + timedelta(days=30)),
    }


def scenarios(terms: dict[str, Any]) -> list[Scenario]:
    def iso(value: datetime) -> str:
        return value.isoformat()

    ef, et = terms["export"]
    mf, mt = terms["month"]
    return [
        Scenario("list: first page (newest first)", {}),
        Scenario("list: page deep in, by cursor", {}),
        Scenario("list: sort by total, first page", {"sort": "-total"}),
        Scenario("filter: payment_status=partially_paid", {"payment_status": "partially_paid"}),
        Scenario("filter: tag=vip (3%)", {"tag": "vip"}),
        Scenario("filter: tag=scholarship (1%)", {"tag": "scholarship"}),
        Scenario("filter: manager", {"manager": MANAGERS[0]}),
        Scenario("filter: created in one month", {"created_from": iso(mf), "created_to": iso(mt)}),
        Scenario("filter: total 15000..20000", {"total_min": "15000", "total_max": "20000"}),
        Scenario("filter: paid + tag=b2b + month", {"payment_status": "paid", "tag": "b2b",
                                                    "created_from": iso(mf), "created_to": iso(mt)}),
        Scenario(f"search: order number {terms['number']}", {"q": terms["number"]}),
        Scenario(f"search: phone '{terms['phone']}'", {"q": terms["phone"]}),
        Scenario(f"search: email '{terms['email']}'", {"q": terms["email"]}),
        Scenario("search: name 'Hnatiuk'", {"q": "Hnatiuk"}),
        Scenario("search: name 'Гнатюк'", {"q": "Гнатюк"}),
        Scenario("search: name 'Олена Шев'", {"q": "Олена Шев"}),
        Scenario("search: 'енко' (thousands)", {"q": "енко"}),
        Scenario("search: 'gmail' (thousands)", {"q": "gmail"}),
        Scenario("search: 'енко' + payment_status=not_paid", {"q": "енко", "payment_status": "not_paid"}),
        Scenario("export: CSV, ~10,000 orders", {"created_from": iso(ef), "created_to": iso(et)},
                 path="/orders/export.csv"),
    ]


async def deep_cursor(client: httpx.AsyncClient, headers: dict[str, str], depth: int) -> tuple[str, list[float]]:
    """Walks pages of 500 from the top to `depth` orders in; the cursor there and each page's time."""
    cursor, times, seen = None, [], 0
    while seen < depth:
        params = {"limit": 500} | ({"cursor": cursor} if cursor else {})
        started = time.perf_counter()
        response = await client.get("/orders", params=params, headers=headers)
        times.append(time.perf_counter() - started)
        response.raise_for_status()
        body = response.json()
        seen += len(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            raise SystemExit("ran out of pages before the depth asked")
    return cursor, times


async def measure(client: httpx.AsyncClient, headers: dict[str, str], capture: SqlCapture, s: Scenario,
                  repeat: int) -> None:
    for n in range(repeat + 2):  # two untimed runs warm the caches and the app
        started = time.perf_counter()
        response = await client.get(s.path, params=s.params, headers=headers)
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise SystemExit(f"{s.name}: {response.status_code} {response.text[:500]}")
        if n >= 2:
            s.times.append(elapsed)
    s.sql = capture.last
    if s.path.endswith(".csv"):
        s.rows = sum(1 for _ in csv.reader(io.StringIO(response.text))) - 1
    else:
        s.items = len(response.json()["items"])


def _without_limit(sql: str, params: tuple[Any, ...]) -> tuple[str, tuple[Any, ...]]:
    found = re.search(r"LIMIT \$(\d+)(::\w+)?\s*$", sql)
    if not found:
        return sql, params
    values = list(params)
    values[int(found.group(1)) - 1] = 2_000_000_000
    return sql, tuple(values)


def _walk(node: dict[str, Any], indexes: set[str], scans: list[str]) -> None:
    kind = node["Node Type"]
    if "Index Name" in node:
        indexes.add(node["Index Name"])
    if kind in ("Seq Scan", "Bitmap Heap Scan", "Index Scan", "Index Only Scan") and "Relation Name" in node:
        scans.append(f"{kind} {node['Relation Name']}")
    for child in node.get("Plans", []):
        _walk(child, indexes, scans)


async def explain(dsn: str, items: list[Scenario], plans_file: Path | None) -> list[tuple[str, str]]:
    conn = await asyncpg.connect(dsn)
    summaries, texts = [], []
    try:
        for s in items:
            if s.sql is None:
                continue
            sql, params = s.sql
            if not s.path.endswith(".csv"):
                counted, count_params = _without_limit(sql, params)
                s.matches = await conn.fetchval(f"SELECT count(*) FROM ({counted}) AS matching", *count_params)
            plan = json.loads(await conn.fetchval(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}", *params))[0]
            indexes: set[str] = set()
            scans: list[str] = []
            _walk(plan["Plan"], indexes, scans)
            top = plan["Plan"]
            hit = top.get("Shared Hit Blocks", 0)
            read = top.get("Shared Read Blocks", 0)
            seq = sorted({x for x in scans if x.startswith("Seq Scan")})
            summaries.append((s.name, (
                f"{plan['Execution Time']:.1f} ms exec, {plan['Planning Time']:.1f} ms plan; "
                f"buffers hit {hit} read {read}; indexes: {', '.join(sorted(indexes)) or '-'}"
                + (f"; {', '.join(seq)}" if seq else ""))))
            if plans_file is not None:
                rows = await conn.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", *params)
                texts.append(f"== {s.name}\n{sql}\n-- params: {params!r}\n" + "\n".join(r[0] for r in rows) + "\n")
    finally:
        await conn.close()
    if plans_file is not None:
        plans_file.write_text("\n".join(texts))
    return summaries


# --- run -------------------------------------------------------------------------------------

async def bench(args: argparse.Namespace, admin_url: str, kafka: str) -> None:
    name = f"orders_bench_{uuid.uuid4().hex[:8]}"
    await create_databases(admin_url, [name])
    url = database_url(admin_url, name)
    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    try:
        started = time.perf_counter()
        await asyncio.to_thread(upgrade, MIGRATIONS, url)
        schools = await fill(dsn, args.orders, args.overpaid)
        print(f"database {name}: migrated, filled and analysed in {time.perf_counter() - started:.1f} s")
        for table, rows, size in await describe(dsn):
            print(f"  {table:<12} {rows:>9,} rows  {size}")
        big = schools[0]
        print(f"  measured school: {big.orders:,} orders, {big.contacts:,} contacts "
              f"(others: {', '.join(f'{s.orders:,}' for s in schools[1:])})")

        terms = await pick_terms(dsn, big)
        await create_topics(kafka, [*ALL_TOPICS, *map(dlq_topic, ALL_TOPICS)])
        # Called as the gateway calls it: a key pair of the run's own, a proof for the school's owner.
        private, public = new_key_pair()
        settings = Settings(database_url=url, kafka_bootstrap_servers=kafka, log_json=False, log_level="WARNING",
                            consumer_group=f"bench-{uuid.uuid4().hex[:10]}", clock_interval_seconds=0,
                            gateway_keys=public)
        app = create_app(settings)
        capture = SqlCapture(app.state.engine)
        owner = Caller(big.account_id, "bench", "owner")
        proof = ProofSigner(private).sign(owner, "orders", lifetime=timedelta(hours=2))
        headers = {"Authorization": f"Bearer {proof}"}
        items = scenarios(terms)
        async with running(app) as client:
            cursor, walk = await deep_cursor(client, headers, big.orders // 2)
            items[1].params = {"cursor": cursor}
            for s in items:
                repeat = max(3, args.repeat // 10) if s.path.endswith(".csv") else args.repeat
                await measure(client, headers, capture, s, repeat)
                print(f"  measured {s.name}", file=sys.stderr)
        summaries = await explain(dsn, items, args.plans)
        report(items, walk, summaries, args)
    finally:
        if not args.keep:
            conn = await asyncpg.connect(admin_url.replace("postgresql+asyncpg://", "postgresql://"))
            try:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await conn.close()


def report(items: list[Scenario], walk: list[float], summaries: list[tuple[str, str]],
           args: argparse.Namespace) -> None:
    print()
    print(f"{'request (limit 50 unless said)':<44} {'matches':>8} {'rows':>5} {'p50 ms':>8} {'p95 ms':>8} "
          f"{'p99 ms':>8} {'max ms':>8} {'n':>4}")
    for s in items:
        if s.path.endswith(".csv"):
            continue
        t = [x * 1000 for x in s.times]
        matches = "" if s.matches is None else f"{s.matches:,}"
        print(f"{s.name:<44} {matches:>8} {s.items:>5} {pct(t, 0.5):8.1f} {pct(t, 0.95):8.1f} {pct(t, 0.99):8.1f} "
              f"{max(t):8.1f} {len(t):>4}")
    w = [x * 1000 for x in walk]
    print(f"{'list: pages of 500, walking down':<44} {'':>8} {500:>5} {pct(w, 0.5):8.1f} {pct(w, 0.95):8.1f} "
          f"{pct(w, 0.99):8.1f} {max(w):8.1f} {len(w):>4}")
    for s in items:
        if s.path.endswith(".csv"):
            mean = statistics.mean(s.times)
            print(f"\n{s.name}: {s.rows:,} rows; total p50 {pct(s.times, 0.5):.2f} s, max {max(s.times):.2f} s "
                  f"(n={len(s.times)}); {s.rows / mean:,.0f} rows/s")
    print("\nPlans of the SQL each request issued (EXPLAIN ANALYZE, BUFFERS):")
    for name, summary in summaries:
        print(f"  {name}\n      {summary}")
    if args.plans:
        print(f"\nfull plans written to {args.plans}")


async def main_async(args: argparse.Namespace) -> None:
    stops = []
    workdir = Path(tempfile.mkdtemp(prefix="orders-bench-"))
    try:
        admin_url = args.postgres_url
        if not admin_url:
            pg = EmbeddedPostgres(workdir / "pgdata", free_port())
            await asyncio.to_thread(pg.start)
            stops.append(pg.remove)
            admin_url = pg.url()
        kafka = args.kafka_bootstrap
        if not kafka:
            broker = TansuBroker(free_port(), workdir / "tansu.log")
            await asyncio.to_thread(broker.start)
            stops.append(broker.stop)
            kafka = broker.bootstrap
        await bench(args, admin_url, kafka)
    finally:
        for stop in reversed(stops):
            stop()
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=100_000, help="orders in all schools together")
    parser.add_argument("--repeat", type=int, default=50, help="timed requests per list or search")
    parser.add_argument("--postgres-url", help="admin URL of a PostgreSQL server to use instead of an embedded one")
    parser.add_argument("--kafka-bootstrap", help="a running Kafka-protocol broker instead of a Tansu of our own")
    parser.add_argument("--plans", type=Path, help="write the full EXPLAIN ANALYZE text of every request here")
    # Off by default: a page holding an overpaid order answers 500 (its amount due comes out as int 0).
    parser.add_argument("--overpaid", action="store_true", help="make 1%% of the orders overpaid")
    parser.add_argument("--keep", action="store_true", help="keep the database on a --postgres-url server")
    args = parser.parse_args()
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
