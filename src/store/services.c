/* services.c - the services table: lookup by name, creation on first mention, and
 * objectives (SLO, period, tier) from the import format or the config. */
#include "sitrep/sitrep.h"
#include "sitrep/store.h"
#include "store-private.h"

enum status_code
store_service_id(struct store *store, const char *name, bool create, int64_t *id)
{
	sqlite3_stmt *stmt = store_stmt(store, STMT_SERVICE_ID, "SELECT id FROM services WHERE name = ?");
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
	sqlite3_stmt *stmt = store_stmt(store, STMT_SERVICE_UPSERT,
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
	sqlite3_stmt *stmt = store_stmt(store, STMT_SERVICE_LIST,
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
