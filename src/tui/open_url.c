/* open_url.c - a web page in the user's browser: $BROWSER run without a shell (its
 * words split on blanks; "%s" among them stands for the URL, else the URL comes
 * last), detached so the console never waits for it, with its output discarded so
 * it cannot scribble on the screen. Without $BROWSER (a server over SSH) the URL is
 * shown in the status bar for the terminal's own link handling or a copy. */
#include "tui.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#define BROWSER_MAX_WORDS 16

/* The words of browser with url put in: new argv (NULL-terminated) over *copy. */
static char **
browser_argv(const char *browser, char *url, char **copy)
{
	char **argv = xcalloc(BROWSER_MAX_WORDS + 2, sizeof(*argv));
	size_t n = 0;
	bool placed = false;
	char *p;

	*copy = xstrdup(browser);
	for (p = *copy; *p && n < BROWSER_MAX_WORDS;) {
		p += strspn(p, " \t");
		if (!*p)
			break;
		argv[n] = p;
		p += strcspn(p, " \t");
		if (*p)
			*p++ = '\0';
		if (streq(argv[n], "%s")) {
			argv[n] = url;
			placed = true;
		}
		n++;
	}
	if (!placed)
		argv[n++] = url;
	argv[n] = NULL;
	return argv;
}

/* Runs argv detached: a child forks the browser and leaves at once, so the browser
 * is nobody's zombie and the console waits only for that first child. Everything
 * the grandchild needs is made before the fork (the sync worker is another thread:
 * no malloc after fork). */
static bool
spawn_detached(char **argv)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	pid_t pid;
	int status;

	if (null < 0)
		return false;
	pid = fork();
	if (pid == 0) {
		if (fork() == 0) {
			setsid();
			dup2(null, STDIN_FILENO);
			dup2(null, STDOUT_FILENO);
			dup2(null, STDERR_FILENO);
			execvp(argv[0], argv);
			_exit(127);
		}
		_exit(0);
	}
	close(null);
	if (pid < 0)
		return false;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return true;
}

void
tui_open_url(struct tui *tui, const char *url)
{
	const char *browser = getenv("BROWSER");
	char *copy = NULL, *url_copy, **argv;

	if (!browser || !browser[strspn(browser, " \t")]) {
		tui_message(tui, false, "%s", url);
		return;
	}
	url_copy = xstrdup(url);
	argv = browser_argv(browser, url_copy, &copy);
	if (spawn_detached(argv))
		tui_message(tui, false, "Opening %s", url);
	else
		tui_message(tui, true, "Could not start $BROWSER: %s", strerror(errno));
	free(argv);
	free(copy);
	free(url_copy);
}
