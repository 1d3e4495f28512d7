-- equivalent.sql - the baseline for bench/run.sh: the part of sitrep's cache that an
-- import of incidents has to maintain, for `sqlite3 DB -cmd '.read bench/equivalent.sql'
-- '.import --csv --skip 1 incidents.csv incidents'`.
--
-- The tables are copied from data/schema.sql (version 1): `services` with the 50
-- services of bench/gen.c (same ids, in the order sitrep inserts them), and `incidents`
-- with the same columns, constraints and indexes: the rowid, UNIQUE (source, source_id),
-- the foreign key to services and incidents_detected. The pragmas are the ones sitrep
-- itself sets on its cache (src/store/db.c: foreign_keys, WAL, synchronous = NORMAL;
-- store_prepare_bulk(): a 64 MB page cache), so both sides pay the same journal, fsync
-- and foreign-key costs and the ratio measures sitrep's own work.
--
-- Keep in step with data/schema.sql and the service list in bench/gen.c.

PRAGMA foreign_keys = ON;
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
PRAGMA cache_size = -65536;

CREATE TABLE services (
	id INTEGER PRIMARY KEY,
	name TEXT NOT NULL UNIQUE,
	tier INTEGER,
	slo REAL,                              -- objective as a fraction, e.g. 0.999
	slo_period_days INTEGER NOT NULL DEFAULT 28
);

CREATE TABLE incidents (
	id INTEGER PRIMARY KEY,
	source TEXT NOT NULL,
	source_id TEXT NOT NULL,
	service_id INTEGER NOT NULL REFERENCES services(id),  -- the first service named
	title TEXT,
	severity TEXT,
	impact INTEGER NOT NULL DEFAULT 0,     -- 0 outage, 1 degraded, 2 planned
	impact_start INTEGER,
	detected_at INTEGER NOT NULL,
	acknowledged_at INTEGER,
	contained_at INTEGER,
	resolved_at INTEGER,
	closed_at INTEGER,
	reopen_count INTEGER NOT NULL DEFAULT 0,  -- rows in incident_reopens
	extra_services INTEGER NOT NULL DEFAULT 0, -- rows in incident_services
	caused_by TEXT,                        -- deployments.source_id of the cause
	url TEXT,
	sla_policy TEXT,                       -- the resolution SLA, if any
	sla_target INTEGER,                    -- seconds
	sla_schedule INTEGER,                  -- 0 24x7, 1 business hours
	sla_start INTEGER,
	sla_stop INTEGER,
	sla_pause_count INTEGER NOT NULL DEFAULT 0,
	updated_at INTEGER NOT NULL,
	UNIQUE (source, source_id)
);
CREATE INDEX incidents_detected ON incidents(detected_at);

-- id, name, tier, slo, slo_period_days: as `sitrep import` stores bench/gen.c's services.
INSERT INTO services(id, name, tier, slo, slo_period_days) VALUES
(1, 'checkout', 1, 0.999, 30),
(2, 'search', 2, 0.9995, 28),
(3, 'payments', 3, 0.99, 28),
(4, 'auth', 1, 0.995, 30),
(5, 'cart', 2, 0.9999, 28),
(6, 'catalog', 3, 0.999, 28),
(7, 'inventory', 1, 0.9995, 30),
(8, 'shipping', 2, 0.99, 28),
(9, 'orders', 3, 0.995, 28),
(10, 'accounts', 1, 0.9999, 30),
(11, 'notifications', 2, 0.999, 28),
(12, 'email', 3, 0.9995, 28),
(13, 'sms-gateway', 1, 0.99, 30),
(14, 'recommendations', 2, 0.995, 28),
(15, 'pricing', 3, 0.9999, 28),
(16, 'promotions', 1, 0.999, 30),
(17, 'reviews', 2, 0.9995, 28),
(18, 'media', 3, 0.99, 28),
(19, 'cdn-edge', 1, 0.995, 30),
(20, 'api-gateway', 2, 0.9999, 28),
(21, 'graphql', 3, 0.999, 28),
(22, 'mobile-bff', 1, 0.9995, 30),
(23, 'web-frontend', 2, 0.99, 28),
(24, 'admin', 3, 0.995, 28),
(25, 'reporting', 1, 0.9999, 30),
(26, 'billing', 2, 0.999, 28),
(27, 'invoicing', 3, 0.9995, 28),
(28, 'tax', 1, 0.99, 30),
(29, 'fraud', 2, 0.995, 28),
(30, 'risk', 3, 0.9999, 28),
(31, 'ledger', 1, 0.999, 30),
(32, 'wallet', 2, 0.9995, 28),
(33, 'loyalty', 3, 0.99, 28),
(34, 'subscriptions', 1, 0.995, 30),
(35, 'feature-flags', 2, 0.9999, 28),
(36, 'config', 3, 0.999, 28),
(37, 'identity', 1, 0.9995, 30),
(38, 'sso', 2, 0.99, 28),
(39, 'audit', 3, 0.995, 28),
(40, 'export', 1, 0.9999, 30),
(41, 'import', 2, 0.999, 28),
(42, 'scheduler', 3, 0.9995, 28),
(43, 'queue', 1, 0.99, 30),
(44, 'stream-ingest', 2, 0.995, 28),
(45, 'warehouse', 3, 0.9999, 28),
(46, 'etl', 1, 0.999, 30),
(47, 'ml-serving', 2, 0.9995, 28),
(48, 'geo', 3, 0.99, 28),
(49, 'maps', 1, 0.995, 30),
(50, 'status-page', 2, 0.9999, 28);
