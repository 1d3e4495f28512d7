/* rules.c - naming rules: what kind a name is (a pipeline stage's, a branch's) by
 * the config's globs first, in file order, then by built-in ones. */
#include "sitrep/sitrep.h"
#include "sitrep/config.h"

#include <ctype.h>
#include <fnmatch.h>

/* fnmatch() has no portable case-insensitive flag: both sides are lower-cased. */
static void
lowercase_copy(char *dst, size_t size, const char *src)
{
	size_t i;

	for (i = 0; src[i] && i + 1 < size; i++)
		dst[i] = (char)tolower((unsigned char)src[i]);
	dst[i] = '\0';
}

const char *
config_rule_kind(const struct config_rule *rules, size_t n_rules,
		 const struct config_rule_default *usual, size_t n_usual, const char *name)
{
	char lower[256], pattern[256];

	if (!name)
		return NULL;
	lowercase_copy(lower, sizeof(lower), name);
	for (size_t i = 0; i < n_rules; i++) {
		lowercase_copy(pattern, sizeof(pattern), rules[i].pattern);
		if (fnmatch(pattern, lower, 0) == 0)
			return rules[i].kind;
	}
	for (size_t i = 0; i < n_usual; i++)
		for (size_t j = 0; j < ARRAY_SIZE(usual[i].patterns) && usual[i].patterns[j]; j++)
			if (fnmatch(usual[i].patterns[j], lower, 0) == 0)
				return usual[i].kind;
	return NULL;
}
