/* Options shared by `m2msec connect` (Entity A) and `m2msec listen` (Entity B). */
#ifndef M2MSEC_ASSOC_CLI_H
#define M2MSEC_ASSOC_CLI_H

#include <m2msec/assoc.h>

#define ASSOC_CLI_MEFS_MAX 16

struct assoc_opts {
    const char *id, *sp_id;
    const char *cert, *key, *chain;
    const char *psk_file, *psk_identity;
    const char *peer_id, *peer_name, *peer_root, *peer_crl, *peer_flavour, *peer_credid;
    const char *peer_in_cse, *server_name;
    const char *peers_file;
    const char *host, *port;
    int dtls, once, echo;
    int timeout_ms, idle_ms;
    /* listen: fetch-on-unknown-KeID (assoc_cli_keys.c) */
    const char *mefs[ASSOC_CLI_MEFS_MAX]; /* "FQDN=URL" */
    int n_mefs;
    const char *mef_root, *store, *kek;
    int fetch_suid;
    /* connect: Kpsa derived from the Ke of an enrolment directory */
    const char *from_enrolment;
};

enum { ASSOC_CLI_RUN = -1 }; /* assoc_cli_parse: go on; otherwise the exit status */

/* Parses argv; prints help for --help. listen enables --peers and --echo. */
int assoc_cli_parse(const char *cmd, const char *help, int listen, int argc, char **argv,
                    struct assoc_opts *o);
/* Builds the entity's configuration from the options. */
int assoc_cli_config(const struct assoc_opts *o, int listen, struct m2m_assoc_config **out,
                     struct m2m_error *err);
/* assoc_cli_keys.c: Entity B's key fetch from the --mef options (listen). */
int assoc_cli_keyfetch(const struct assoc_opts *o, struct m2m_assoc_config *cfg,
                       struct m2m_error *err);
/* assoc_cli_keys.c: Entity A's PSK peer from --from-enrolment and --peer-id (connect). */
int assoc_cli_enrolment_peer(const struct assoc_opts *o, struct m2m_assoc_config *cfg,
                             struct m2m_error *err);
/* "cse-id", "ae-id", ... or "psk". */
const char *assoc_cli_flavour(enum m2m_flavour f);
/* "m2msec <cmd>: <check>: <message>", naming the failed check by its code; returns 1. */
int assoc_cli_fail(const char *cmd, const struct m2m_error *err);

#endif
