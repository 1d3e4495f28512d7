/* gitlib.h - libgit2 for sitrep (src/git/gitlib.c): started once per user with the
 * limits that keep a walk of a large history small. */
#ifndef SITREP_GITLIB_H
#define SITREP_GITLIB_H

#include <stdbool.h>

/* Starts libgit2 (counted, as git_libgit2_init is); true when it must be paired
 * with gitlib_shutdown. */
bool gitlib_init(void);
void gitlib_shutdown(void);

#endif
