/* services.c - the services table: lookup by name, creation on first mention, and
 * objectives (SLO, period, tier) from the import format or the config. */
#include "sitrep/sitrep.h"
#include "sitrep/store.h"
#include "store-private.h"

/* ---- the name -> id cache ---- */

static size_t
name_hash(const char *s)
{
	uint64_t h = UINT64_C(14695981039346656037); /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * UINT64_C(1099511628211);
	return (size_t)h;
}

/* The slot of name: where it is, or the empty slot where it would go. */
static size_t
cache_slot(const struct service_cache *c, const char *name)
{
	size_t i = name_hash(name) & (c->n_slots - 1);

	while (c->names[i] && !streq(c->names[i], name))
		i = (i + 1) & (c->n_slots - 1);
	return i;
}

static bool
cache_get(const struct service_cache *c, const char *name, int64_t *id)
{
	size_t i;

	if (!c->n_slots)
		return false;
	i = cache_slot(c, name);
	if (!c->names[i])
		return false;
	*id = c->ids[i];
	return true;
}

static void cache_put(struct service_cache *c, const char *name, int64_t id);

static void
cache_grow(struct service_cache *c)
{
	struct service_cache old = *c;

	c->n_slots = old.n_slots ? old.n_slots * 2 : 64;
	c->names = xcalloc(c->n_slots, sizeof(*c->names));
	c->ids = xcalloc(c->n_slots, sizeof(*c->ids));
	c->n = 0;
	for (size_t i = 0; i < old.n_slots; i++) {
		if (old.names[i]) {
			cache_put(c, old.names[i], old.ids[i]);
			free(old.names[i]);
		}
	}
	free(old.names);
	free(old.ids);
}

static void
cache_put(struct service_cache *c, const char *name, int64_t id)
{
	size_t i;

	if ((c->n + 1) * 2 > c->n_slots)
		cache_grow(c);
	i = cache_slot(c, name);
	if (!c->names[i]) {
		c->names[i] = xstrdup(name);
		c->n++;
	}
	c->ids[i] = id;
}

void
store_service_cache_clear(struct service_cache *c)
{
	for (size_t i = 0; i < c->n_slots; i++)
		free(c->names[i]);
	free(c->names);
	free(c->ids);
	memset(c, 0, sizeof(*c));
}

static enum status_code service_id_lookup(struct store *store, const char *name, bool create,
					  int64_t *id);

enum status_code
store_service_id(struct store *store, const char *name, bool create, int64_t *id)
{
	if (cache_get(&store->services, name, id))
		return SUCCESS;
	if (service_id_lookup(store, name, create, id) != SUCCESS)
		return ERROR_CUSTOM_MESSAGE;
	cache_put(&store->services, name, *id);
	return SUCCESS;
}

static enum status_code
service_id_lookup(struct store *store, const char *name, bool create, int64_t *id)
{
	sqlite3_stmt *stmt =
		store_stmt(store, STMT_SERVICE_ID, "SELECT id FROM services WHERE name = ?");
	int rc;

	if (!stmt)
		return ERROR_CUSTOM_MESSAGE;
	store_bind_text(stmt, 1, name);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(stmt, 0);
		sqlite3_reset(stmt);
		return SUCCESS;
	}
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE)
		return store_error(store, "looking up a service");
	if (!create)
		return error("no service named \"%s\"", name);
	stmt = store_stmt(store, STMT_SERVICE_INSERT, "INSERT INTO services(name) VALUES (?)");
	if (!stmt)
		return ERROR_CUSTOM_MESSAGE;
	store_bind_text(stmt, 1, name);
	if (store_step_done(store, stmt, "adding a service") != SUCCESS)
		return ERROR_CUSTOM_MESSAGE;
	*id = sqlite3_last_insert_rowid(store->db);
	return SUCCESS;
}

enum status_code
store_upsert_service(struct store *store, const struct store_service *service)
{
	sqlite3_stmt *stmt = store_stmt(
		store, STMT_SERVICE_UPSERT,
		"INSERT INTO services(name, tier, slo, slo_period_days) "
		"VALUES (?1, NULLIF(?2, 0), NULLIF(?3, 0.0), IFNULL(NULLIF(?4, 0), 28)) "
		"ON CONFLICT(name) DO UPDATE SET "
		"tier = IFNULL(NULLIF(?2, 0), tier), slo = IFNULL(NULLIF(?3, 0.0), slo), "
		"slo_period_days = IFNULL(NULLIF(?4, 0), slo_period_days)");

	if (!stmt)
		return ERROR_CUSTOM_MESSAGE;
	store_bind_text(stmt, 1, service->name);
	sqlite3_bind_int(stmt, 2, service->tier);
	sqlite3_bind_double(stmt, 3, service->slo);
	sqlite3_bind_int(stmt, 4, service->slo_period_days);
	return store_step_done(store, stmt, "saving a service");
}

enum status_code
store_list_services(struct store *store, struct store_service **out, size_t *n)
{
	sqlite3_stmt *stmt =
		store_stmt(store, STMT_SERVICE_LIST,
			   "SELECT id, name, IFNULL(tier, 0), IFNULL(slo, 0), slo_period_days "
			   "FROM services ORDER BY name");
	struct store_service *services = NULL;
	size_t count = 0, alloc = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (!stmt)
		return ERROR_CUSTOM_MESSAGE;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct store_service *s;

		services = xgrow(services, &alloc, count + 1, sizeof(*services));
		s = &services[count++];
		s->id = sqlite3_column_int64(stmt, 0);
		s->name = xstrdup(store_column_text(stmt, 1));
		s->tier = sqlite3_column_int(stmt, 2);
		s->slo = sqlite3_column_double(stmt, 3);
		s->slo_period_days = sqlite3_column_int(stmt, 4);
	}
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE) {
		store_services_free(services, count);
		return store_error(store, "listing services");
	}
	*out = services;
	*n = count;
	return SUCCESS;
}

void
store_services_free(struct store_service *services, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(services[i].name);
	free(services);
}
