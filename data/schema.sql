-- sitrep cache schema.
--
-- The file is a list of steps; "-- version N" starts the step that takes a database
-- from version N-1 to N (PRAGMA user_version). A step is never edited once released:
-- add a new one. Times are INTEGER epoch seconds (UTC); NULL means unknown.

-- version 1

CREATE TABLE services (
	id INTEGER PRIMARY KEY,
	name TEXT NOT NULL UNIQUE,
	tier INTEGER,
	slo REAL,                              -- objective as a fraction, e.g. 0.999
	slo_period_days INTEGER NOT NULL DEFAULT 28
);

-- Import and engine settings (reopen merge window, business hours), as text.
CREATE TABLE settings (
	key TEXT PRIMARY KEY,
	value TEXT NOT NULL
) WITHOUT ROWID;

-- One row per upstream incident-like record (alert group, problem, issue, ticket),
-- milestones as the upstream gave them: the metric engine normalises at read time, so
-- export gives back exactly what was imported.
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

-- Derived from incidents on every write (src/store/mxrow.c), like an index: the
-- earliest and latest moments an incident can matter to a report (last_at NULL while
-- it or its SLA clock runs) and the metric engine's fields packed in one BLOB. A
-- report scans this narrow table, a sixth of the pages of incidents, one column a row.
CREATE TABLE incident_metrics (
	incident_id INTEGER PRIMARY KEY REFERENCES incidents(id) ON DELETE CASCADE,
	service_id INTEGER NOT NULL,
	first_at INTEGER NOT NULL,
	last_at INTEGER,
	mx BLOB NOT NULL
);

-- Services beyond the first, for incidents that hit several.
CREATE TABLE incident_services (
	incident_id INTEGER NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
	service_id INTEGER NOT NULL REFERENCES services(id),
	PRIMARY KEY (incident_id, service_id)
) WITHOUT ROWID;

CREATE TABLE incident_reopens (
	incident_id INTEGER NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
	resolved_at INTEGER NOT NULL,
	reopened_at INTEGER NOT NULL,
	PRIMARY KEY (incident_id, resolved_at)
) WITHOUT ROWID;

CREATE TABLE sla_pauses (
	incident_id INTEGER NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
	start INTEGER NOT NULL,
	end INTEGER NOT NULL,
	PRIMARY KEY (incident_id, start)
) WITHOUT ROWID;

-- The upstream record as received, kept apart so that scans of incidents stay narrow.
CREATE TABLE incident_raw (
	incident_id INTEGER PRIMARY KEY REFERENCES incidents(id) ON DELETE CASCADE,
	json TEXT NOT NULL
);

-- The timeline: every state change, comment, page and linked deploy of an incident.
CREATE TABLE incident_events (
	id INTEGER PRIMARY KEY,
	incident_id INTEGER NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
	at INTEGER NOT NULL,
	kind TEXT NOT NULL,                    -- trigger, ack, contain, resolve, reopen, note, deploy
	actor TEXT,
	text TEXT,
	source_event_id TEXT NOT NULL DEFAULT '',
	UNIQUE (incident_id, kind, at, source_event_id)
);

CREATE TABLE deployments (
	id INTEGER PRIMARY KEY,
	source TEXT NOT NULL,
	source_id TEXT NOT NULL,
	service_id INTEGER NOT NULL REFERENCES services(id),
	environment TEXT NOT NULL,
	status TEXT NOT NULL,                  -- success, failure, failed, running, ...
	kind INTEGER NOT NULL DEFAULT 0,       -- 0 normal, 1 hotfix, 2 rollback
	version TEXT,
	sha TEXT,
	pattern TEXT,                          -- recreate, rolling, blue-green, canary, ab, shadow
	started_at INTEGER,
	finished_at INTEGER,
	fixes TEXT,                            -- deployments.source_id this one repairs
	rolled_back_by TEXT,                   -- deployments.source_id of its rollback
	updated_at INTEGER NOT NULL,
	UNIQUE (source, source_id)
);
CREATE INDEX deployments_finished ON deployments(finished_at);

CREATE TABLE deployment_commits (
	deployment_id INTEGER NOT NULL REFERENCES deployments(id) ON DELETE CASCADE,
	position INTEGER NOT NULL,
	sha TEXT NOT NULL,
	committed_at INTEGER,
	PRIMARY KEY (deployment_id, position)
) WITHOUT ROWID;

CREATE TABLE pipelines (
	id INTEGER PRIMARY KEY,
	source TEXT NOT NULL,
	source_id TEXT NOT NULL,
	project TEXT NOT NULL,
	ref TEXT,
	sha TEXT,
	status TEXT NOT NULL,                  -- queued, running, success, failed, canceled
	started_at INTEGER,
	finished_at INTEGER,
	url TEXT,
	updated_at INTEGER NOT NULL,
	UNIQUE (source, source_id)
);
CREATE INDEX pipelines_project ON pipelines(project, started_at);

CREATE TABLE pipeline_stages (
	pipeline_id INTEGER NOT NULL REFERENCES pipelines(id) ON DELETE CASCADE,
	position INTEGER NOT NULL,
	name TEXT NOT NULL,
	kind TEXT,                             -- lint, test, build, publish, integration, release, deploy
	status TEXT NOT NULL,
	started_at INTEGER,
	finished_at INTEGER,
	coverage REAL,
	PRIMARY KEY (pipeline_id, position)
) WITHOUT ROWID;

CREATE TABLE metric_series (
	id INTEGER PRIMARY KEY,
	source TEXT NOT NULL,
	name TEXT NOT NULL,                    -- "checkout.rpm"
	labels TEXT NOT NULL DEFAULT '',
	service_id INTEGER REFERENCES services(id),
	unit TEXT,
	UNIQUE (source, name, labels)
);

-- A chart is one sequential range read of (series_id, ts).
CREATE TABLE metric_samples (
	series_id INTEGER NOT NULL REFERENCES metric_series(id) ON DELETE CASCADE,
	ts INTEGER NOT NULL,
	value REAL NOT NULL,
	PRIMARY KEY (series_id, ts)
) WITHOUT ROWID;

-- The audit log: every action sitrep takes or refuses (ack, rollback, ...).
CREATE TABLE actions (
	id INTEGER PRIMARY KEY,
	at INTEGER NOT NULL,
	actor TEXT NOT NULL,
	kind TEXT NOT NULL,
	target TEXT NOT NULL,
	detail TEXT,
	result TEXT NOT NULL
);

-- Where each source's sync stands, per stream (alerts, problems, pipelines, ...).
CREATE TABLE sync_state (
	source TEXT NOT NULL,
	stream TEXT NOT NULL,
	cursor TEXT,
	etag TEXT,
	last_modified TEXT,
	last_attempt INTEGER,
	last_success INTEGER,
	last_error TEXT,
	records INTEGER NOT NULL DEFAULT 0,    -- of the last round
	pages INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (source, stream)
) WITHOUT ROWID;

-- version 2

-- Tickets (ServiceNow, Zendesk) beside alerts, and records that are one incident.
-- A child names its parent by (source, source id): the link may arrive before the
-- parent does. Every metric folds a family into one incident (SPEC 3.1): the
-- earliest impact, detection and acknowledgement, the latest resolution.
ALTER TABLE incidents ADD COLUMN ticket INTEGER NOT NULL DEFAULT 0;  -- 1: a ticket
ALTER TABLE incidents ADD COLUMN state TEXT;            -- the upstream's own state name
ALTER TABLE incidents ADD COLUMN assignee TEXT;
ALTER TABLE incidents ADD COLUMN parent_source TEXT;
ALTER TABLE incidents ADD COLUMN parent_id TEXT;
ALTER TABLE incidents ADD COLUMN link TEXT;             -- correlation, field, merged, overlap
ALTER TABLE incidents ADD COLUMN sla_count INTEGER NOT NULL DEFAULT 0;  -- rows in incident_slas
CREATE INDEX incidents_parent ON incidents(parent_source, parent_id)
	WHERE parent_id IS NOT NULL;
CREATE INDEX incidents_service ON incidents(service_id, detected_at);

-- Every SLA instance of a ticket as the upstream tracks it (ServiceNow task_sla,
-- Zendesk SLA policy metrics): response and resolution targets, their clocks and
-- whether they breached. The resolution SLA also feeds the metric engine through
-- the incident's sla_* columns.
CREATE TABLE incident_slas (
	incident_id INTEGER NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
	name TEXT NOT NULL,                    -- the SLA definition
	kind TEXT,                             -- response, resolution, ...
	target INTEGER,                        -- seconds
	schedule INTEGER NOT NULL DEFAULT 0,   -- 0 24x7, 1 business hours
	start_at INTEGER,
	due_at INTEGER,                        -- planned end
	stop_at INTEGER,                       -- met, breached or cancelled at
	paused INTEGER,                        -- seconds paused so far
	stage TEXT,                            -- in_progress, paused, completed, cancelled
	breached INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (incident_id, name)
) WITHOUT ROWID;

-- What pipelines ran and who started them; stages keep the upstream's name and the
-- kind an engineer knows them by (lint, test, build, publish, ...).
ALTER TABLE pipelines ADD COLUMN name TEXT;             -- workflow, pipeline or job
ALTER TABLE pipelines ADD COLUMN number INTEGER;        -- run or build number
ALTER TABLE pipelines ADD COLUMN event TEXT;            -- push, pull_request, schedule, ...
ALTER TABLE pipelines ADD COLUMN actor TEXT;
ALTER TABLE pipelines ADD COLUMN service_id INTEGER REFERENCES services(id);
ALTER TABLE pipelines ADD COLUMN queued_at INTEGER;
ALTER TABLE pipeline_stages ADD COLUMN url TEXT;
CREATE INDEX pipelines_sha ON pipelines(sha);

-- How a deployment rolls out and what undoing it needs.
ALTER TABLE deployments ADD COLUMN canary_weight REAL;  -- percent of traffic, canary only
ALTER TABLE deployments ADD COLUMN bake_until INTEGER;  -- end of the current pause or bake
ALTER TABLE deployments ADD COLUMN replaces TEXT;       -- source_id of the one it replaced
ALTER TABLE deployments ADD COLUMN pipeline TEXT;       -- pipelines.source_id that ran it
ALTER TABLE deployments ADD COLUMN target TEXT;         -- what a rollback acts on
ALTER TABLE deployments ADD COLUMN url TEXT;
CREATE INDEX deployments_service ON deployments(service_id, environment, started_at);

-- version 3

-- Open incidents (neither resolved nor closed), a small part of the table: the
-- status line's worst open incident is the first entry of the first index (highest
-- severity, then oldest), and the overview counts a service's open incidents by
-- severity from the second without reading the rest of the service's history.
CREATE INDEX incidents_open ON incidents(severity, detected_at)
	WHERE resolved_at IS NULL AND closed_at IS NULL;
CREATE INDEX incidents_open_service ON incidents(service_id, severity, detected_at)
	WHERE resolved_at IS NULL AND closed_at IS NULL;

-- The overview finds each service's series by name ("checkout.rpm"), whatever
-- source and labels they have: without this, each of its lookups read the whole
-- series table (UNIQUE (source, name, labels) leads with the source).
CREATE INDEX metric_series_name ON metric_series(name);

-- What runs in production, per service: the overview's newest production deployment
-- is the last entry of its service here, where deployments_service would sort every
-- production deployment of the service (two environments' ranges) to find it.
CREATE INDEX deployments_production ON deployments(service_id, started_at)
	WHERE environment IN ('production', 'prod');

-- version 4

-- Each repository's branches as its upstream shows them, with the rules that protect
-- them (what the branch graph draws and marks), and the check runs reported on
-- commits. A GitLab wildcard rule ("release/*") is a row of its own, as GitLab lists
-- it. Rule columns are NULL when the upstream does not say.
CREATE TABLE branches (
	id INTEGER PRIMARY KEY,
	source TEXT NOT NULL,
	repo TEXT NOT NULL,                    -- "acme/checkout", a GitLab project path
	name TEXT NOT NULL,
	head_sha TEXT,
	protected INTEGER NOT NULL DEFAULT 0,
	required_checks TEXT,                  -- status check names, comma separated
	required_approvals INTEGER,
	force_push INTEGER,                    -- 1: force pushes allowed
	enforce_admins INTEGER,                -- 1: the rules bind administrators too
	code_owner_approval INTEGER,           -- 1: a code owner must approve
	push_access TEXT,                      -- GitLab: who may push ("maintainer", "no one")
	merge_access TEXT,                     -- GitLab: who may merge
	updated_at INTEGER NOT NULL,
	UNIQUE (source, repo, name)
);

-- One row per check (its name) and commit: a re-run replaces the earlier result.
CREATE TABLE check_runs (
	id INTEGER PRIMARY KEY,
	source TEXT NOT NULL,
	repo TEXT NOT NULL,
	sha TEXT NOT NULL,
	name TEXT NOT NULL,
	source_id TEXT,                        -- the upstream's id of the run shown
	status TEXT NOT NULL,                  -- queued, running, success, failed, canceled,
	                                       -- skipped, waiting
	started_at INTEGER,
	finished_at INTEGER,
	url TEXT,
	updated_at INTEGER NOT NULL,
	UNIQUE (source, repo, sha, name)
);
-- version 5

-- Who is rolling back what (src/deploy/lock.c): a row per service and environment
-- while a rollback runs, so that two consoles or scripts on the host never undo the
-- same place at once. A row whose process died on this host is taken over.
CREATE TABLE locks (
	name TEXT PRIMARY KEY,                 -- "rollback:checkout.production"
	holder TEXT NOT NULL,                  -- the user
	host TEXT NOT NULL,                    -- gethostname() of the holder's machine
	pid INTEGER NOT NULL,
	since INTEGER NOT NULL
) WITHOUT ROWID;
-- Where the person acting was: the SSH client's address, else this host's name.
ALTER TABLE actions ADD COLUMN host TEXT;
-- `sitrep export actions` and the console read the audit log by time.
CREATE INDEX actions_at ON actions(at);
