/* m2msec: the command-line tool. Uses only the public API. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct cli_command commands[] = {
    {"connect", "Entity A: associate with a peer over TLS/DTLS (certificate or PSK)", cmd_connect},
    {"listen", "Entity B: accept associations from the allowed peers over TLS/DTLS", cmd_listen},
    {"derive", "compute KeID, Km, Kpsa, KmID and GBA keys from their inputs", cmd_derive},
    {"bootstrap", "Bootstrap-Start, -Briefing and -Execution in one command", cmd_bootstrap},
    {"enrol", "enrol with an MEF and store Ke, Km and KmID locally", cmd_enrol},
    {"pki", "create CAs, certificates of every oneM2M flavour, and CRLs", cmd_pki},
    {"mef", "manage an MEF store: enrolees, policies, PSKs, targets, keys, audit", cmd_mef},
    {"maf", "manage a MAF store: list, revoke and purge cached keys", cmd_maf},
    {"bbn", "check Briefing Node rule files", cmd_bbn},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: m2msec <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nRun 'm2msec <command> --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "m2msec: unknown command '%s' (see m2msec --help)\n", argv[1]);
    return 2;
}
