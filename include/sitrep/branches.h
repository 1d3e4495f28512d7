/* branches.h - a repository's branches and their part in its branching strategy
 * (src/git/branches.c): trunk, develop (git-flow's integration branch), release,
 * hotfix, environment, feature, fork; ahead/behind against the branch each is
 * measured from; stale when nothing was committed for a while. */
#ifndef SITREP_BRANCHES_H
#define SITREP_BRANCHES_H

#include "sitrep/sitrep.h"
#include "sitrep/config.h"
#include "sitrep/graph.h"

struct branch_info {
	char *name;	  /* "main", "origin/feature/x": sanitized */
	const char *role; /* trunk develop release hotfix environment feature fork
			     (static, or the config's: keep the config until done) */
	const char *base; /* the branch it is measured from (borrowed), or NULL */
	size_t ahead;	  /* commits on it and not on base */
	size_t behind;	  /* commits on base and not on it */
	int64_t last_commit;
	struct graph_id tip;
	bool remote, head, stale;
};

struct branch_list {
	struct branch_info *items; /* by role, then name */
	size_t n;
	const char *trunk;    /* the trunk's name, or NULL */
	const char *develop;  /* git-flow's integration branch, or NULL */
	const char *strategy; /* git-flow, environment branching, release branching,
				 trunk-based */
};

/* The role of a branch by its name (without the remote's prefix): the config's
 * [branches] rules first, then the usual names; anything else is a feature branch. */
const char *branch_role(const struct config *cfg, const char *name);

/* Reads the branches of the repository at path (NULL: the current directory): local
 * ones, and remote ones no local branch of the same name stands for. now decides
 * staleness (cfg->branch_stale). */
enum status_code branches_read(struct branch_list *out, const char *path, const struct config *cfg,
			       int64_t now);
void branches_release(struct branch_list *list);

#endif
