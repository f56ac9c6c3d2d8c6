/* Placeholder until the pki subcommand lands. */
#include <stdio.h>

#include "cli.h"

int cmd_pki(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "m2msec pki: not built yet\n");
    return 1;
}
