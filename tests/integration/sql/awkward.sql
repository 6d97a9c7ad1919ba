-- Awkward types and objects for the logical round trip (postgres_test.sh).
CREATE EXTENSION IF NOT EXISTS hstore;
CREATE EXTENSION IF NOT EXISTS citext;
CREATE ROLE app_owner;
CREATE SCHEMA "Odd Schema";
CREATE TABLE awkward (
  id serial PRIMARY KEY,
  raw bytea,
  doc jsonb,
  tags text[],
  grid int[][],
  amount numeric(30, 10),
  ratio float8,
  at timestamptz,
  span interval,
  note text,
  attrs hstore,
  email citext,
  ip inet,
  uid uuid
);
INSERT INTO awkward (raw, doc, tags, grid, amount, ratio, at, span, note, attrs, email, ip, uid)
SELECT decode(md5(g::text) || '00ff', 'hex'),
       jsonb_build_object('n', g, 'nested', jsonb_build_object('a', array[g, g * 2]), 'text', 'ünïcødé ' || g),
       array['a' || g, NULL, 'quote''s', 'comma,inside'],
       array[[g, g + 1], [g + 2, g + 3]],
       g * 1234567.0123456789,
       CASE g % 4 WHEN 0 THEN 'NaN'::float8 WHEN 1 THEN 'Infinity'::float8 WHEN 2 THEN 1.0 / 3 ELSE -0.0 END,
       timestamptz '2026-01-01 00:00:00+00' + g * interval '37 minutes',
       g * interval '1 day 2 hours 3.5 seconds',
       CASE WHEN g % 10 = 0 THEN NULL ELSE repeat('line ' || g || E'\n\t', g % 7) END,
       hstore('k' || g, 'v' || g),
       'User' || g || '@Example.com',
       ('10.0.' || (g % 256) || '.' || (g / 256))::inet,
       md5(g::text)::uuid
FROM generate_series(1, 3000) g;
CREATE TABLE "Odd Schema"."Mixed Case" (k text PRIMARY KEY, v text);
INSERT INTO "Odd Schema"."Mixed Case" SELECT 'key ' || g, repeat('x', g) FROM generate_series(1, 200) g;
ALTER TABLE "Odd Schema"."Mixed Case" OWNER TO app_owner;
CREATE TABLE events (id bigint, day date, payload text) PARTITION BY RANGE (day);
CREATE TABLE events_2026_01 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
CREATE TABLE events_2026_02 PARTITION OF events FOR VALUES FROM ('2026-02-01') TO ('2026-03-01');
INSERT INTO events SELECT g, date '2026-01-01' + (g % 59), 'event ' || g FROM generate_series(1, 5000) g;
CREATE UNLOGGED TABLE scratchpad (n int);
INSERT INTO scratchpad SELECT generate_series(1, 100);
CREATE SEQUENCE counter START 1000;
SELECT nextval('counter') FROM generate_series(1, 42);
CREATE MATERIALIZED VIEW awkward_summary AS SELECT count(*) AS n, sum(amount) AS total FROM awkward;
CREATE TABLE blobs (name text, data oid);
INSERT INTO blobs SELECT 'blob ' || g, lo_from_bytea(0, convert_to(repeat('large object ' || g, 500), 'UTF8'))
FROM generate_series(1, 5) g;
