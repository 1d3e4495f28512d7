/* gitlib.c - libgit2 started with sitrep's limits. By default libgit2 maps a pack
 * in windows of 1 GB and caches 256 MB of objects: reading the commits of a large
 * history then keeps most of the pack resident (190 MB for git's own history, as
 * much as tig holds). Smaller windows under a mapped limit, and a small object
 * cache, cost nothing measurable: a walk reads each commit once. */
#include "sitrep/sitrep.h"
#include "sitrep/gitlib.h"

#include <git2.h>

#define WINDOW_SIZE ((size_t)8 << 20)
#define MAPPED_LIMIT ((size_t)32 << 20)
#define CACHE_SIZE ((ssize_t)8 << 20)

bool
gitlib_init(void)
{
	int n = git_libgit2_init();

	if (n == 1) { /* the options hold for the process: set them once */
		git_libgit2_opts(GIT_OPT_SET_MWINDOW_SIZE, WINDOW_SIZE);
		git_libgit2_opts(GIT_OPT_SET_MWINDOW_MAPPED_LIMIT, MAPPED_LIMIT);
		git_libgit2_opts(GIT_OPT_SET_CACHE_MAX_SIZE, CACHE_SIZE);
	}
	return n > 0;
}

void
gitlib_shutdown(void)
{
	git_libgit2_shutdown();
}
