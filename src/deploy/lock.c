/* lock.c - one rollback per service and environment at a time, across the
 * processes and users of a host: a row in the cache's locks table (the cache is
 * what they share), named "rollback:SERVICE.ENV", holding user, host, pid and
 * since. A holder that died without dropping it (kill -9, a lost SSH session) is
 * recognised when its pid is gone on the same host, and taken over; a holder on
 * another host (a shared cache) is never guessed dead. */
#include "sitrep/sitrep.h"
#include "sitrep/rollback.h"

#include <errno.h>
#include <signal.h>
#include <unistd.h>

void
rollback_actor_init(struct rollback_actor *actor, const struct config *cfg)
{
	const char *user = cfg && cfg->user && *cfg->user ? cfg->user : getenv("USER");
	const char *ssh = getenv("SSH_CLIENT");

	memset(actor, 0, sizeof(*actor));
	string_copy(actor->user, user && *user ? user : "sitrep");
	if (gethostname(actor->hostname, sizeof(actor->hostname) - 1) != 0 || !*actor->hostname)
		string_copy(actor->hostname, "localhost");
	/* SSH_CLIENT is "ADDRESS PORT PORT": who is at the keyboard, not this box */
	if (ssh && *ssh)
		snprintf(actor->host, sizeof(actor->host), "%.*s", (int)strcspn(ssh, " "), ssh);
	else
		string_copy(actor->host, actor->hostname);
	actor->pid = (int64_t)getpid();
}

static char *
lock_name(const struct rollback_plan *plan)
{
	return xasprintf("rollback:%s", plan->name);
}

/* A holder on this host whose process is gone. */
static bool
stale(const struct store_lock *held, void *ctx)
{
	(void)ctx;
	if (held->pid <= 0 || held->pid > INT32_MAX)
		return true;
	return kill((pid_t)held->pid, 0) != 0 && errno == ESRCH;
}

enum status_code
rollback_lock_take(struct store *store, const struct rollback_plan *plan,
		   const struct rollback_actor *actor, int64_t now, bool *taken,
		   struct store_lock *held)
{
	struct store_lock want = { lock_name(plan), xstrdup(actor->user), xstrdup(actor->hostname),
				   actor->pid, now };
	enum status_code code = store_lock_take(store, &want, stale, NULL, taken, held);

	store_lock_release(&want);
	return code;
}

enum status_code
rollback_lock_drop(struct store *store, const struct rollback_plan *plan,
		   const struct rollback_actor *actor)
{
	struct store_lock mine = { lock_name(plan), xstrdup(actor->user), xstrdup(actor->hostname),
				   actor->pid, 0 };
	enum status_code code = store_lock_drop(store, &mine);

	store_lock_release(&mine);
	return code;
}
