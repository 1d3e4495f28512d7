/* secret.c - turns a secret spec from the config (env:VAR, cmd:COMMAND, file:PATH or a
 * literal) into the secret itself, at the moment a source needs it.
 *
 * It must never print, log or put into a message any part of a secret, of a command's
 * output or of the command itself (a command line may embed a credential): messages
 * name only the origin ("source sentry token") and the variable or path. Every buffer
 * that held secret bytes is wiped before it is freed; buffers have a fixed size so
 * that no realloc leaves copies behind. A command's stdin and stderr are /dev/null, so
 * it can neither read the console's keys nor scribble on its screen. */
#include "sitrep/sitrep.h"
#include "sitrep/config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The longest first line accepted (a JWT is a few kilobytes). */
#define SECRET_MAX 16384
/* A cmd: that has not finished by then is killed. */
#define SECRET_CMD_TIMEOUT_MS 30000

/* The first SECRET_MAX bytes of what a command or a file gave; the rest is dropped. */
struct capture {
	char *data; /* SECRET_MAX + 1 bytes, wiped before it is freed */
	size_t len;
	bool overflow;
};

static void
wipe(void *p, size_t n)
{
	explicit_bzero(p, n);
}

static void
capture_init(struct capture *cap)
{
	cap->data = xmalloc(SECRET_MAX + 1);
	cap->len = 0;
	cap->overflow = false;
}

static void
capture_release(struct capture *cap)
{
	wipe(cap->data, SECRET_MAX + 1);
	free(cap->data);
	cap->data = NULL;
}

static void
capture_add(struct capture *cap, const char *data, size_t len)
{
	size_t room = SECRET_MAX - cap->len;

	if (len > room) {
		cap->overflow = true;
		len = room;
	}
	memcpy(cap->data + cap->len, data, len);
	cap->len += len;
}

/* The first line, without its newline or CR; empty is an error. */
static enum status_code
take_first_line(const struct capture *cap, const char *origin, const char *what, char **out)
{
	const char *nl = memchr(cap->data, '\n', cap->len);
	size_t n = nl ? (size_t)(nl - cap->data) : cap->len;

	if (!nl && cap->overflow)
		return error("%s: %s gave a first line longer than %d bytes", origin, what,
			     SECRET_MAX);
	if (n > 0 && cap->data[n - 1] == '\r')
		n--;
	if (n == 0)
		return error("%s: %s gave an empty secret", origin, what);
	*out = xstrndup(cap->data, n);
	return SUCCESS;
}

/*
 * env:
 */

static enum status_code
resolve_env(const char *name, const char *origin, char **out)
{
	const char *value;

	if (!*name)
		return error("%s: env: needs a variable name", origin);
	value = getenv(name);
	if (!value)
		return error("%s: environment variable %s is not set", origin, name);
	if (!*value)
		return error("%s: environment variable %s is empty", origin, name);
	*out = xstrdup(value);
	return SUCCESS;
}

/*
 * cmd:
 */

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads fd to EOF into cap; false when the time runs out (or reading fails) first. */
static bool
read_until_eof(int fd, struct capture *cap, int64_t deadline)
{
	char chunk[1024];
	bool eof = false;

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int64_t left = deadline - now_ms();
		ssize_t n;
		int rc;

		if (left <= 0)
			break;
		rc = poll(&pfd, 1, (int)left);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0)
			break;
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			eof = n == 0;
			break;
		}
		capture_add(cap, chunk, (size_t)n);
	}
	wipe(chunk, sizeof(chunk));
	return eof;
}

static enum status_code
wait_status(pid_t pid, const char *origin, bool timed_out)
{
	int status;

	if (timed_out)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return error("%s: cmd: %s", origin, strerror(errno));
	}
	if (timed_out)
		return error("%s: cmd: did not finish within %d s and was killed", origin,
			     SECRET_CMD_TIMEOUT_MS / 1000);
	if (WIFSIGNALED(status))
		return error("%s: cmd: was killed by signal %d (run the command in a shell to see "
			     "why)",
			     origin, WTERMSIG(status));
	if (WEXITSTATUS(status) == 127)
		return error("%s: cmd: command not found (exit status 127)", origin);
	if (WEXITSTATUS(status) != 0)
		return error("%s: cmd: failed with exit status %d (run the command in a shell to "
			     "see why)",
			     origin, WEXITSTATUS(status));
	return SUCCESS;
}

/* Runs command through /bin/sh -c with stdout into cap. Only async-signal-safe calls
 * happen in the child: the sync worker may be running in another thread. */
static enum status_code
run_command(const char *command, const char *origin, struct capture *cap)
{
	int pipefd[2] = { -1, -1 }, devnull;
	enum status_code code = SUCCESS;
	bool finished;
	pid_t pid;

	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0)
		return error("%s: cmd: /dev/null: %s", origin, strerror(errno));
	if (pipe(pipefd) < 0 || fcntl(pipefd[0], F_SETFD, FD_CLOEXEC) < 0 ||
	    fcntl(pipefd[1], F_SETFD, FD_CLOEXEC) < 0) {
		code = error("%s: cmd: pipe: %s", origin, strerror(errno));
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		code = error("%s: cmd: fork: %s", origin, strerror(errno));
		goto out;
	}
	if (pid == 0) {
		/* dup2 clears close-on-exec on the copies */
		if (dup2(devnull, 0) < 0 || dup2(pipefd[1], 1) < 0 || dup2(devnull, 2) < 0)
			_exit(126);
		execl("/bin/sh", "sh", "-c", command, (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);
	pipefd[1] = -1;
	finished = read_until_eof(pipefd[0], cap, now_ms() + SECRET_CMD_TIMEOUT_MS);
	close(pipefd[0]);
	pipefd[0] = -1;
	code = wait_status(pid, origin, !finished);
out:
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	close(devnull);
	return code;
}

static enum status_code
resolve_cmd(const char *command, const char *origin, char **out)
{
	struct capture cap;
	enum status_code code;

	while (*command == ' ' || *command == '\t')
		command++;
	if (!*command)
		return error("%s: cmd: needs a command", origin);
	capture_init(&cap);
	code = run_command(command, origin, &cap);
	if (code == SUCCESS)
		code = take_first_line(&cap, origin, "cmd:", out);
	capture_release(&cap);
	return code;
}

/*
 * file:
 */

/* ~ and ~/... expand to $HOME. New string, or NULL when HOME is needed but unset. */
static char *
expand_home(const char *path)
{
	const char *home;

	if (path[0] != '~' || (path[1] != '\0' && path[1] != '/'))
		return xstrdup(path);
	home = getenv("HOME");
	if (!home || !*home)
		return NULL;
	return xasprintf("%s%s", home, path + 1);
}

static enum status_code
read_secret_file(const char *path, const char *origin, struct capture *cap)
{
	char chunk[1024];
	enum status_code code = SUCCESS;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return error("%s: file: %s: %s", origin, path, strerror(errno));
	/* the first line is all we need: stop once SECRET_MAX bytes are in */
	while (!cap->overflow && (n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			code = error("%s: file: %s: %s", origin, path, strerror(errno));
			break;
		}
		capture_add(cap, chunk, (size_t)n);
		if (memchr(cap->data, '\n', cap->len))
			break;
	}
	wipe(chunk, sizeof(chunk));
	close(fd);
	return code;
}

static enum status_code
resolve_file(const char *spec_path, const char *origin, char **out)
{
	struct capture cap;
	enum status_code code;
	char *path;

	if (!*spec_path)
		return error("%s: file: needs a path", origin);
	path = expand_home(spec_path);
	if (!path)
		return error("%s: file: HOME is not set, so ~ cannot be expanded", origin);
	capture_init(&cap);
	code = read_secret_file(path, origin, &cap);
	if (code == SUCCESS)
		code = take_first_line(&cap, origin, "file:", out);
	capture_release(&cap);
	free(path);
	return code;
}

/*
 * Public
 */

enum status_code
secret_resolve(const char *spec, const char *origin, bool private_file, char **out)
{
	*out = NULL;
	if (!origin)
		origin = "secret";
	if (!spec)
		return error("%s is not set", origin);
	if (!*spec)
		return error("%s is empty", origin);
	if (strncmp(spec, "env:", 4) == 0)
		return resolve_env(spec + 4, origin, out);
	if (strncmp(spec, "cmd:", 4) == 0)
		return resolve_cmd(spec + 4, origin, out);
	if (strncmp(spec, "file:", 5) == 0)
		return resolve_file(spec + 5, origin, out);
	if (!private_file)
		return error("%s is a literal secret in a file others can read: chmod 600 the "
			     "config file, or use env:VAR / cmd:COMMAND / file:PATH",
			     origin);
	*out = xstrdup(spec);
	return SUCCESS;
}

void
secret_free(char **secret)
{
	if (!secret || !*secret)
		return;
	wipe(*secret, strlen(*secret));
	free(*secret);
	*secret = NULL;
}
