/* main.c - command line: global options and subcommand dispatch only. */
#include "sitrep/sitrep.h"

int
main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return 0;
}
