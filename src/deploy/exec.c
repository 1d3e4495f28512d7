/* exec.c - the exec: executor: a command run without a shell, its output read
 * line by line as it comes (for the console's dialog to stream) and kept as an
 * excerpt for the audit log, stopped after a timeout.
 *
 * The child gets its own process group, so a timeout stops what it started too
 * (kubectl, helm, a script's children): SIGTERM to the group, then SIGKILL two
 * seconds later. stdin is /dev/null: a rollback never waits for a prompt. */
#include "sitrep/sitrep.h"
#include "sitrep/rollback.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define EXCERPT_MAX 2048 /* the audit row keeps the end of the output */
#define LINE_MAX_ 1024
#define KILL_GRACE_MS 2000

static int64_t
monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Output so far: the partial line, and the last EXCERPT_MAX bytes of whole ones. */
struct output {
	rollback_output_fn fn;
	void *ctx;
	char line[LINE_MAX_ + 1];
	size_t len;
	char tail[EXCERPT_MAX + 1];
	size_t tail_len;
};

static void
keep(struct output *o, const char *s, size_t len)
{
	if (len >= EXCERPT_MAX) {
		s += len - (EXCERPT_MAX - 1);
		len = EXCERPT_MAX - 1;
	}
	if (o->tail_len + len > EXCERPT_MAX) {
		size_t drop = o->tail_len + len - EXCERPT_MAX;

		memmove(o->tail, o->tail + drop, o->tail_len - drop);
		o->tail_len -= drop;
	}
	memcpy(o->tail + o->tail_len, s, len);
	o->tail_len += len;
	o->tail[o->tail_len] = '\0';
}

static void
flush_line(struct output *o)
{
	o->line[o->len] = '\0';
	rollback_redact(o->line); /* a token a command prints reaches neither screen nor log */
	o->len = strlen(o->line);
	if (o->fn)
		o->fn(o->ctx, o->line);
	keep(o, o->line, o->len);
	keep(o, "\n", 1);
	o->len = 0;
}

static void
take(struct output *o, const char *data, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (data[i] == '\n' || o->len == LINE_MAX_)
			flush_line(o);
		if (data[i] != '\n')
			o->line[o->len++] = data[i];
	}
}

/* In the child: never returns. */
static void NORETURN
child(char *const *argv, int out)
{
	int null = open("/dev/null", O_RDONLY);

	setpgid(0, 0);
	if (null >= 0)
		dup2(null, STDIN_FILENO);
	dup2(out, STDOUT_FILENO);
	dup2(out, STDERR_FILENO);
	if (out > STDERR_FILENO)
		close(out);
	execvp(argv[0], argv);
	dprintf(STDERR_FILENO, "cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

static void
stop_group(pid_t pid, int64_t *kill_at, bool *termed)
{
	if (!*termed) {
		kill(-pid, SIGTERM);
		*termed = true;
		*kill_at = monotonic_ms() + KILL_GRACE_MS;
	} else {
		kill(-pid, SIGKILL);
		*kill_at = INT64_MAX;
	}
}

/* Reads the child's output until it closes, the deadline passing. */
static bool
read_output(int fd, pid_t pid, int64_t deadline, struct output *o)
{
	bool timed_out = false, termed = false;
	int64_t kill_at = INT64_MAX;
	char chunk[4096];

	for (;;) {
		int64_t now = monotonic_ms(), until = timed_out ? kill_at : deadline;
		struct pollfd p = { fd, POLLIN, 0 };
		int wait_ms = until == INT64_MAX ? -1 : until <= now ? 0 : (int)(until - now);
		ssize_t n;
		int rc = poll(&p, 1, wait_ms);

		if (rc < 0 && errno == EINTR)
			continue;
		if (rc == 0) {
			timed_out = true;
			stop_group(pid, &kill_at, &termed);
			continue;
		}
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		take(o, chunk, (size_t)n);
	}
	if (o->len)
		flush_line(o);
	return timed_out;
}

/* Waits for pid until deadline, then kills its group: true when it had to. */
static bool
reap(pid_t pid, int64_t deadline, int *status)
{
	struct timespec pause = { 0, 20 * 1000000L };
	pid_t r;

	while ((r = waitpid(pid, status, WNOHANG)) != pid) {
		if (r < 0 && errno != EINTR) {
			*status = 0;
			return false;
		}
		if (monotonic_ms() >= deadline) {
			kill(-pid, SIGKILL);
			while (waitpid(pid, status, 0) < 0 && errno == EINTR)
				;
			return true;
		}
		nanosleep(&pause, NULL);
	}
	return false;
}

enum rollback_outcome
rollback_exec_run(char *const *argv, int64_t timeout, rollback_output_fn fn, void *ctx,
		  char **excerpt, char **why)
{
	struct output *o;
	int fds[2], status = 0;
	enum rollback_outcome outcome;
	int64_t deadline;
	bool timed_out;
	pid_t pid;

	if (timeout <= 0)
		timeout = ROLLBACK_DEFAULT_TIMEOUT;
	deadline = monotonic_ms() + timeout * 1000;
	*excerpt = NULL;
	if (pipe(fds) != 0) {
		*why = xasprintf("cannot make a pipe: %s", strerror(errno));
		return ROLLBACK_FAILED;
	}
	fflush(NULL);
	if ((pid = fork()) < 0) {
		*why = xasprintf("cannot start %s: %s", argv[0], strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return ROLLBACK_FAILED;
	}
	if (pid == 0) {
		close(fds[0]);
		child(argv, fds[1]);
	}
	setpgid(pid, pid); /* as the child does: whichever runs first */
	close(fds[1]);
	/* Allocated after the fork: a child whose exec fails leaves through _exit with
	 * nothing of its own (valgrind checks a child's leaks too). */
	o = xcalloc(1, sizeof(*o));
	o->fn = fn;
	o->ctx = ctx;
	timed_out = read_output(fds[0], pid, deadline, o);
	close(fds[0]);
	/* The output closed: the child ended, or it lives on without it until its
	 * deadline (or, stopped already, for the grace period). */
	if (reap(pid, timed_out ? monotonic_ms() + KILL_GRACE_MS : deadline, &status))
		timed_out = true;
	if (timed_out) {
		outcome = ROLLBACK_TIMED_OUT;
		*why = xasprintf("stopped after %llds", (long long)timeout);
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		outcome = ROLLBACK_SUCCEEDED;
		*why = xstrdup("exit 0");
	} else if (WIFEXITED(status)) {
		outcome = ROLLBACK_FAILED;
		*why = xasprintf("exit %d", WEXITSTATUS(status));
	} else {
		outcome = ROLLBACK_FAILED;
		*why = xasprintf("killed by signal %d", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	}
	*excerpt = xstrdup(o->tail);
	free(o);
	return outcome;
}

/* ---- redaction ---- */

/* Where the value of a credential starting at p is, or NULL: "token=x", "token: x",
 * "Authorization: Bearer x", "Bearer x", "--password x", case ignored. */
static char *
credential_value(char *p)
{
	static const char *const keys[] = { "private-token", "authorization", "password", "passwd",
					    "secret",	     "api-key",	      "api_key",  "apikey",
					    "token",	     "bearer",	      "basic" };
	size_t i, len = 0;
	char *v;

	for (i = 0; i < ARRAY_SIZE(keys) && !len; i++)
		if (strncasecmp(p, keys[i], strlen(keys[i])) == 0)
			len = strlen(keys[i]);
	if (!len || isalnum((unsigned char)p[len]))
		return NULL; /* "tokens", "secretary" */
	v = p + len;
	v += strspn(v, "\"'");
	if (*v == ':' || *v == '=')
		v++;
	else if (*v != ' ')
		return NULL;
	v += strspn(v, " \t\"'");
	if (strncasecmp(v, "bearer ", 7) == 0 || strncasecmp(v, "basic ", 6) == 0)
		v += strcspn(v, " ") + 1;
	return v;
}

void
rollback_redact(char *text)
{
	static const char mark[] = "[redacted]";
	char *p = text;

	while (p && *p) {
		char *v =
			(p == text || !isalnum((unsigned char)p[-1])) ? credential_value(p) : NULL;
		size_t len;

		if (!v) {
			p++;
			continue;
		}
		len = strcspn(v, " \t\n\"',;&");
		if (len >= sizeof(mark) - 1) {
			memcpy(v, mark, sizeof(mark) - 1);
			memmove(v + sizeof(mark) - 1, v + len, strlen(v + len) + 1);
			len = sizeof(mark) - 1;
		} else {
			memset(v, '*', len);
		}
		p = v + len;
	}
}
