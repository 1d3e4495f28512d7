/* cmd_keys.c - `sitrep keys`: the console's actions and their keys, with the
 * config's [bind] applied; --format man gives the man page's KEYS section. */
#include "sitrep/sitrep.h"
#include "cli-private.h"
#include "sitrep/config.h"
#include "sitrep/tui.h"

#define KEYS_USAGE "sitrep keys [--format text|man]"

int
cmd_keys(int argc, char **argv, const struct global_opts *gopts)
{
	struct config cfg;
	char *path;
	enum status_code code;
	bool man = false;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (streq(argv[i], "--format") && i + 1 < argc &&
		    (streq(argv[i + 1], "text") || streq(argv[i + 1], "man"))) {
			man = streq(argv[++i], "man");
		} else if (streq(argv[i], "--help")) {
			printf("usage: %s\n", KEYS_USAGE);
			return EXIT_OK;
		} else {
			cli_error("unknown option '%s'\nusage: %s", argv[i], KEYS_USAGE);
			return EXIT_USAGE;
		}
	}
	path = config_default_path(gopts->config_path);
	code = config_load(&cfg, path, gopts->config_path != NULL);
	free(path);
	if (code != SUCCESS) {
		cli_error("%s", status_message(code));
		return EXIT_FAILURE_;
	}
	rc = tui_keys_print(&cfg, man, stdout);
	config_release(&cfg);
	return rc ? EXIT_FAILURE_ : EXIT_OK;
}
