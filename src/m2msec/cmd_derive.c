/* Placeholder until the derive subcommand lands. */
#include <stdio.h>

#include "cli.h"

int cmd_derive(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "m2msec derive: not built yet\n");
    return 1;
}
