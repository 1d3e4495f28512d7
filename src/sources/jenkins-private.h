/* jenkins-private.h - what the Jenkins source's files share (jenkins.c: requests,
 * streams, cursors and paging; jenkins_build.c: one build and its stages into
 * records). Nothing else includes it. */
#ifndef SITREP_JENKINS_PRIVATE_H
#define SITREP_JENKINS_PRIVATE_H

#include <jansson.h>

#define TYPE "jenkins"

/* What one build of the JSON API says, checked. Strings are borrowed from the
 * build's JSON; NULL when absent. */
struct jk_build {
	char where[32]; /* "build #12", or "build 3" before the number is known */
	int64_t number;
	const char *klass; /* _class: which kind of run (WorkflowRun, FreeStyleBuild) */
	const char *url;
	const char *result; /* SUCCESS, UNSTABLE, FAILURE, NOT_BUILT, ABORTED; NULL */
	bool building;
	int64_t timestamp_ms, duration_ms;
	const char *display_name;
	const char *sha, *branch, *remote; /* of the first git BuildData */
	const char *actor, *event;	   /* from the causes */
	const char *version, *environment; /* from the parameters */
	const json_t *changesets;
};

/* Reads build obj of stream into *b; errors name the stream, the build and the
 * field. index is its place in the list, for the message when it has no number. */
enum status_code jk_read_build(const char *stream, size_t index, const json_t *obj,
			       struct jk_build *b);

/* Whether the run is a Pipeline one, whose stages wfapi describes. A build that
 * does not say its class (Jenkins 1.x) may be one. */
bool jk_is_pipeline(const struct jk_build *b);

/* Whether the build has ended: it is no longer building and has a result. */
bool jk_is_final(const struct jk_build *b);

/* Adds the pipeline of build b of job (the configured path, "checkout/main") to
 * page, with its stages from run (the build's wfapi describe), or, for NULL, the
 * build as its one stage, and the deployments it made (see jenkins_build.c). */
enum status_code jk_add_build(const struct source_ctx *ctx, const char *stream, const char *job,
			      const struct jk_build *b, const json_t *run,
			      struct source_page *page);

/* The last part of a job path, percent-decoded: the name Jenkins shows ("main",
 * "feature/login" for the branch job "feature%2Flogin"). In page memory. */
const char *jk_job_name(struct source_page *page, const char *job);

#endif
