/* Subcommands of the m2msec CLI. Each gets argv with argv[0] = its own name, returns the
 * process exit status (0 success, 1 failure, 2 usage), and reports failures as one line
 * on stderr via cli_fail. */
#ifndef M2MSEC_CLI_H
#define M2MSEC_CLI_H

#include <m2msec/error.h>

struct cli_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
};

int cmd_connect(int argc, char **argv);
int cmd_derive(int argc, char **argv);
int cmd_listen(int argc, char **argv);
int cmd_enrol(int argc, char **argv);
int cmd_bootstrap(int argc, char **argv);
int cmd_pki(int argc, char **argv);
int cmd_mef(int argc, char **argv);
int cmd_mef_gba(int argc, char **argv);
int cmd_maf(int argc, char **argv);
int cmd_bbn(int argc, char **argv);

/* "m2msec <cmd>: <message>" on stderr; returns 1. */
int cli_fail(const char *cmd, const struct m2m_error *err);
/* Usage error: "m2msec <cmd>: <formatted>" on stderr; returns 2. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
