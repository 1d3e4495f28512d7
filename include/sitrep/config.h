/* config.h - the configuration file: git-config syntax read through libgit2's config
 * API (no hand-written parser), sections as in DESIGN.md:
 *
 *   [sitrep]                 theme, ...
 *   [service "NAME"]         tier, slo, ack-target, resolve-target
 *   [source "NAME"]          type, url, interval, timeout, service, and per-type keys
 *   [metric "NAME"]          source, query  (NAME is "service.metric")
 *   [deploy "SERVICE.ENV"]   rollback, auto-rollback
 *   [ui]                     mouse, bell
 *   [deploy "SERVICE.ENV"]   rollback, auto-rollback, timeout, allow-disable-autosync,
 *                            health-errors, health-latency, health-sustain,
 *                            health-baseline, health-metric
 *   [deploy]                 timeout, allow-disable-autosync and the health-* keys
 *                            (every deploy's default)
 *
 * Loading collects every problem as "FILE:LINE: message", in file order, and keeps
 * going (tig); the caller decides whether problems are fatal. Secrets (token, password) are kept as
 * their specs ("env:X", "cmd:...", "file:...", or literal) and resolved only when used,
 * through secret_resolve(); they never appear in problems or any other output. */
#ifndef SITREP_CONFIG_H
#define SITREP_CONFIG_H

struct config_service {
	char *name;
	int tier;		/* 0: not set */
	double slo;		/* fraction, e.g. 0.999; 0: not set */
	int64_t ack_target;	/* seconds; 0: not set */
	int64_t resolve_target; /* seconds; 0: not set */
	char *repo;		/* a local clone of its repository, or NULL */
};

/* One key = value of a section, in file order; repeatable keys appear repeatedly. */
struct config_value {
	char *key;
	char *value;
	int line;
};

struct config_source {
	char *name;
	char *type;		     /* prometheus, alertmanager, zabbix, ... */
	int64_t interval;	     /* seconds (default 60) */
	int64_t timeout;	     /* seconds (default 30) */
	char *service;		     /* default service, or NULL */
	struct config_value *values; /* every key of the section, including the above, plus
	                              * defaults of the type (github url) with line 0 */
	size_t n_values;
	int line; /* where the section starts */
};

struct config_metric {
	char *name; /* "checkout.rpm" */
	char *source;
	char *query;
};

/* [stages] and [branches]: KIND = PATTERN, repeatable: names (of pipeline stages and
 * jobs, of branches) that match the glob (case-insensitive) are of that kind. */
struct config_rule {
	char *kind; /* stages: lint, test, build, publish, integration, release, deploy;
		       branches: trunk, develop, release, hotfix, environment, feature */
	char *pattern;
};

/* Built-in rules, tried after the config's: patterns[] ends at NULL or its end. */
struct config_rule_default {
	const char *kind;
	const char *patterns[12];
};

/* The kind of name: the first of rules whose pattern matches (file order), else the
 * first of usual; NULL when none matches. Globs (fnmatch) are matched ignoring case. */
const char *config_rule_kind(const struct config_rule *rules, size_t n_rules,
			     const struct config_rule_default *usual, size_t n_usual,
			     const char *name);

/* [bind "VIEW"] REQUEST = KEYS: the console's key bindings ("generic": every view). */
struct config_bind {
	char *view;
	char *request;
	char *keys; /* space-separated key names */
	int line;
};

struct config_deploy {
	char *name;	/* "checkout.production"; NULL for the [deploy] defaults */
	char *rollback; /* exec:COMMAND, argocd:APP, github:OWNER/REPO, gitlab:PROJECT,
			 * kubectl:... */
	bool auto_rollback;
	int64_t timeout;	    /* seconds a rollback may take; 0: the default's */
	int allow_disable_autosync; /* -1: the default's, 0 no, 1 yes */
	/* The bake's health check (src/deploy/health.c); 0 / NULL: the default's. */
	double health_errors;	 /* failing at errors this many times the baseline */
	double health_latency;	 /* failing at latency (and other metrics) this many times */
	int64_t health_sustain;	 /* seconds the condition must hold */
	int64_t health_baseline; /* seconds of baseline before the deploy */
	char **health_metrics;	 /* health-metric values (a kind or a series name) */
	size_t n_health_metrics;
};

struct config {
	char *path;	   /* the file read, or NULL when none exists */
	bool private_file; /* no group/other permission bits: literal secrets allowed */
	char *theme;
	char *user; /* [sitrep] user: who upstream actions are done for, or NULL */
	bool mouse; /* [ui] mouse: clicks and the wheel in the console (default true) */
	bool bell;  /* [ui] bell: the terminal bell on a new rollback alarm (default true) */
	struct config_service *services;
	size_t n_services;
	struct config_source *sources;
	size_t n_sources;
	struct config_metric *metrics;
	size_t n_metrics;
	struct config_deploy *deploys;
	size_t n_deploys;
	struct config_deploy deploy_defaults; /* [deploy] without a name */
	struct config_rule *stage_rules;      /* in file order: the first match wins */
	size_t n_stage_rules;
	struct config_rule *branch_rules; /* [branches], in file order */
	size_t n_branch_rules;
	int64_t branch_stale;	   /* [branches] stale: seconds without a commit (default 30d) */
	struct config_bind *binds; /* in file order */
	size_t n_binds;
	char **problems; /* "FILE:LINE: message", one per problem found */
	size_t n_problems;
};

/* Where the config file is: explicit (--config), else $SITREP_CONFIG, else
 * $XDG_CONFIG_HOME/sitrep/config, else ~/.config/sitrep/config. New string. */
char *config_default_path(const char *explicit_path);

/* Loads path into cfg (initialised here). A missing file at a default location is an
 * empty config; a missing explicit file, or a syntax error, is an error. Semantic
 * problems (unknown type, bad duration, unknown key, a literal secret in a file others
 * can read) go into cfg->problems and loading continues. */
enum status_code config_load(struct config *cfg, const char *path, bool explicit_path);
void config_release(struct config *cfg);

/* The stage kinds [stages] may name. */
extern const char *const config_stage_kinds[];
extern const size_t config_n_stage_kinds;
/* The branch roles [branches] may name. */
extern const char *const config_branch_roles[];
extern const size_t config_n_branch_roles;

/* The first value of key in a source section, or NULL. Borrowed. */
const char *config_source_get(const struct config_source *src, const char *key);
const struct config_service *config_find_service(const struct config *cfg, const char *name);
const struct config_source *config_find_source(const struct config *cfg, const char *name);
/* [deploy "NAME"] ("checkout.production"), or NULL. */
const struct config_deploy *config_find_deploy(const struct config *cfg, const char *name);

/* Resolves a secret spec into *out (new; the caller wipes and frees it with
 * secret_free). origin names where the spec came from ("source prod-prom token"), for
 * messages; private_file says the spec came from a file only its owner can read.
 *   env:VAR        the variable's value (error if unset or empty)
 *   cmd:COMMAND    the first line COMMAND prints on stdout via /bin/sh -c (error on
 *                  non-zero exit)
 *   file:PATH      the first line of PATH (~ expands to $HOME)
 *   anything else  literal; refused unless private_file
 * Messages never contain the secret. */
enum status_code secret_resolve(const char *spec, const char *origin, bool private_file,
				char **out);
void secret_free(char **secret);

#endif
