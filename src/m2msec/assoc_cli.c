/* Option parsing and configuration shared by `m2msec connect` and `m2msec listen`, in the
 * manner of openssl s_client / s_server. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assoc_cli.h"
#include "cli.h"

enum {
    O_ID = 256,
    O_SP_ID,
    O_CERT,
    O_KEY,
    O_CHAIN,
    O_PSK_FILE,
    O_PSK_IDENTITY,
    O_PEER_ID,
    O_PEER_NAME,
    O_PEER_ROOT,
    O_PEER_CRL,
    O_PEER_FLAVOUR,
    O_PEER_CREDID,
    O_PEER_IN_CSE,
    O_SERVER_NAME,
    O_PEERS,
    O_HOST,
    O_PORT,
    O_DTLS,
    O_ONCE,
    O_ECHO,
    O_TIMEOUT,
    O_IDLE,
    O_MEF,
    O_MEF_ROOT,
    O_FETCH_SUID,
    O_STORE,
    O_KEK,
    O_FROM_ENROLMENT,
    O_HELP
};

static const struct option options[] = {
    {"id", required_argument, NULL, O_ID},
    {"sp-id", required_argument, NULL, O_SP_ID},
    {"cert", required_argument, NULL, O_CERT},
    {"key", required_argument, NULL, O_KEY},
    {"chain", required_argument, NULL, O_CHAIN},
    {"psk-file", required_argument, NULL, O_PSK_FILE},
    {"psk-identity", required_argument, NULL, O_PSK_IDENTITY},
    {"peer-id", required_argument, NULL, O_PEER_ID},
    {"peer-name", required_argument, NULL, O_PEER_NAME},
    {"peer-root", required_argument, NULL, O_PEER_ROOT},
    {"peer-crl", required_argument, NULL, O_PEER_CRL},
    {"peer-flavour", required_argument, NULL, O_PEER_FLAVOUR},
    {"peer-credential-id", required_argument, NULL, O_PEER_CREDID},
    {"peer-in-cse", required_argument, NULL, O_PEER_IN_CSE},
    {"server-name", required_argument, NULL, O_SERVER_NAME},
    {"peers", required_argument, NULL, O_PEERS},
    {"host", required_argument, NULL, O_HOST},
    {"port", required_argument, NULL, O_PORT},
    {"dtls", no_argument, NULL, O_DTLS},
    {"once", no_argument, NULL, O_ONCE},
    {"echo", no_argument, NULL, O_ECHO},
    {"timeout", required_argument, NULL, O_TIMEOUT},
    {"idle-timeout", required_argument, NULL, O_IDLE},
    {"mef", required_argument, NULL, O_MEF},
    {"mef-root", required_argument, NULL, O_MEF_ROOT},
    {"fetch-suid", required_argument, NULL, O_FETCH_SUID},
    {"store", required_argument, NULL, O_STORE},
    {"kek", required_argument, NULL, O_KEK},
    {"from-enrolment", required_argument, NULL, O_FROM_ENROLMENT},
    {"help", no_argument, NULL, O_HELP},
    {NULL, 0, NULL, 0},
};

static int parse_ms(const char *s, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);

    if (*s == '\0' || *end != '\0' || v <= 0 || v > 24L * 3600 * 1000)
        return -1;
    *out = (int)v;
    return 0;
}

static const char **string_slot(struct assoc_opts *o, int c)
{
    switch (c) {
    case O_ID:
        return &o->id;
    case O_SP_ID:
        return &o->sp_id;
    case O_CERT:
        return &o->cert;
    case O_KEY:
        return &o->key;
    case O_CHAIN:
        return &o->chain;
    case O_PSK_FILE:
        return &o->psk_file;
    case O_PSK_IDENTITY:
        return &o->psk_identity;
    case O_PEER_ID:
        return &o->peer_id;
    case O_PEER_NAME:
        return &o->peer_name;
    case O_PEER_ROOT:
        return &o->peer_root;
    case O_PEER_CRL:
        return &o->peer_crl;
    case O_PEER_FLAVOUR:
        return &o->peer_flavour;
    case O_PEER_CREDID:
        return &o->peer_credid;
    case O_PEER_IN_CSE:
        return &o->peer_in_cse;
    case O_SERVER_NAME:
        return &o->server_name;
    case O_PEERS:
        return &o->peers_file;
    case O_HOST:
        return &o->host;
    case O_PORT:
        return &o->port;
    case O_MEF_ROOT:
        return &o->mef_root;
    case O_STORE:
        return &o->store;
    case O_KEK:
        return &o->kek;
    case O_FROM_ENROLMENT:
        return &o->from_enrolment;
    default:
        return NULL;
    }
}

/* listen --mef: fetching needs the CSE's own certificate, id and a key cache. */
static int check_fetch_opts(const char *cmd, const struct assoc_opts *o)
{
    if (o->n_mefs == 0)
        return o->mef_root == NULL && o->store == NULL
                   ? ASSOC_CLI_RUN
                   : cli_usage_error(cmd, "--mef-root and --store go with --mef");
    if (o->cert == NULL || o->id == NULL || o->mef_root == NULL)
        return cli_usage_error(cmd, "--mef needs --cert/--key, --id and --mef-root");
    if (o->store == NULL || o->kek == NULL)
        return cli_usage_error(cmd, "--mef needs --store URL and --kek FILE (the key cache)");
    return ASSOC_CLI_RUN;
}

static int check_opts(const char *cmd, int listen, const struct assoc_opts *o)
{
    if (o->port == NULL)
        return cli_usage_error(cmd, "--port is required");
    if (listen && o->from_enrolment != NULL)
        return cli_usage_error(cmd, "--from-enrolment is for connect");
    if (!listen && (o->n_mefs > 0 || o->mef_root != NULL || o->store != NULL))
        return cli_usage_error(cmd, "--mef, --mef-root and --store are for listen");
    if (listen && check_fetch_opts(cmd, o) != ASSOC_CLI_RUN)
        return 2;
    if (o->from_enrolment != NULL) {
        if (o->cert != NULL || o->psk_file != NULL || o->psk_identity != NULL)
            return cli_usage_error(cmd, "--from-enrolment replaces --cert, --psk-file and "
                                        "--psk-identity");
        return o->peer_id != NULL ? ASSOC_CLI_RUN : cli_usage_error(cmd, "--peer-id is required");
    }
    if ((o->cert == NULL) != (o->key == NULL))
        return cli_usage_error(cmd, "--cert and --key go together");
    if (o->cert == NULL && o->psk_file == NULL && o->from_enrolment == NULL)
        return cli_usage_error(cmd, "a credential is required: --cert/--key or --psk-file");
    if (!listen && o->cert == NULL && o->psk_identity == NULL)
        return cli_usage_error(cmd, "--psk-file needs --psk-identity");
    if (!listen && o->peer_id == NULL)
        return cli_usage_error(cmd, "--peer-id is required");
    if (listen && o->peer_id == NULL && o->peers_file == NULL && o->n_mefs == 0)
        return cli_usage_error(cmd, "allowed peers are required: --peers FILE, --peer-id or --mef");
    if (o->peer_id != NULL && o->psk_identity == NULL && o->peer_root == NULL &&
        o->peer_credid == NULL)
        return cli_usage_error(cmd, "--peer-root (or --psk-identity) is required");
    return ASSOC_CLI_RUN;
}

int assoc_cli_parse(const char *cmd, const char *help, int listen, int argc, char **argv,
                    struct assoc_opts *o)
{
    int c;

    memset(o, 0, sizeof(*o));
    o->host = listen ? "127.0.0.1" : "localhost";
    optind = 1;
    while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
        const char **slot = string_slot(o, c);
        if (slot != NULL && (listen || c != O_PEERS)) {
            *slot = optarg;
        } else if (c == O_DTLS) {
            o->dtls = 1;
        } else if (c == O_ONCE) {
            o->once = 1;
        } else if (c == O_ECHO && listen) {
            o->echo = 1;
        } else if (c == O_TIMEOUT || c == O_IDLE) {
            if (parse_ms(optarg, c == O_TIMEOUT ? &o->timeout_ms : &o->idle_ms) != 0)
                return cli_usage_error(cmd, "bad milliseconds '%s'", optarg);
        } else if (c == O_MEF && listen) {
            if (o->n_mefs == ASSOC_CLI_MEFS_MAX)
                return cli_usage_error(cmd, "at most %d --mef", ASSOC_CLI_MEFS_MAX);
            o->mefs[o->n_mefs++] = optarg;
        } else if (c == O_FETCH_SUID && listen) {
            if (parse_ms(optarg, &o->fetch_suid) != 0)
                return cli_usage_error(cmd, "bad SUID '%s'", optarg);
        } else if (c == O_HELP) {
            fputs(help, stdout);
            return 0;
        } else {
            return cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc)
        return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    return check_opts(cmd, listen, o);
}

static int add_cli_peer(const struct assoc_opts *o, struct m2m_assoc_config *cfg,
                        struct m2m_error *err)
{
    struct m2m_assoc_peer p = {.id = o->peer_id,
                               .credential_id = o->peer_credid,
                               .cert_name = o->peer_name,
                               .in_cse_id = o->peer_in_cse,
                               .psk_identity = o->psk_identity,
                               .server_name = o->server_name};
    struct m2m_trust *t = NULL;
    int rc = -1;

    if (o->psk_identity == NULL && o->peer_credid == NULL) {
        p.flavour = M2M_FLAVOUR_CSE_ID;
        if (o->peer_flavour != NULL && m2m_flavour_parse(o->peer_flavour, &p.flavour, err) != 0)
            goto out;
    }
    if (o->peer_root != NULL) {
        if ((t = m2m_trust_new(err)) == NULL || m2m_trust_add_anchors(t, o->peer_root, err) != 0)
            goto out;
        if (o->peer_crl != NULL && m2m_trust_add_crls(t, o->peer_crl, err) != 0)
            goto out;
        p.root = t;
    }
    rc = m2m_assoc_config_add_peer(cfg, &p, err);
out:
    m2m_trust_free(t);
    return rc;
}

static int add_credentials(const struct assoc_opts *o, struct m2m_assoc_config *cfg,
                           struct m2m_error *err)
{
    struct m2m_credential *cred;
    struct m2m_psk_store *psk;

    if (o->cert != NULL) {
        if ((cred = m2m_credential_load(o->key, o->cert, o->chain, err)) == NULL)
            return -1;
        m2m_assoc_config_set_credential(cfg, cred);
        m2m_credential_free(cred);
    }
    if (o->psk_file != NULL) {
        if ((psk = m2m_psk_store_load(o->psk_file, err)) == NULL)
            return -1;
        m2m_assoc_config_set_psk_store(cfg, psk);
    }
    return 0;
}

int assoc_cli_config(const struct assoc_opts *o, int listen, struct m2m_assoc_config **out,
                     struct m2m_error *err)
{
    struct m2m_assoc_config *cfg = m2m_assoc_config_new(err);

    *out = NULL;
    if (cfg == NULL)
        return -1;
    if ((o->sp_id != NULL && m2m_assoc_config_set_sp_id(cfg, o->sp_id, err) != 0) ||
        (o->id != NULL && m2m_assoc_config_set_id(cfg, o->id, err) != 0) ||
        add_credentials(o, cfg, err) != 0 ||
        (listen && o->peers_file != NULL && m2m_assoc_config_load_peers(cfg, o->peers_file, err)) ||
        (o->from_enrolment != NULL && assoc_cli_enrolment_peer(o, cfg, err) != 0) ||
        (o->from_enrolment == NULL && o->peer_id != NULL && add_cli_peer(o, cfg, err) != 0) ||
        (listen && o->n_mefs > 0 && assoc_cli_keyfetch(o, cfg, err) != 0)) {
        m2m_assoc_config_free(cfg);
        return -1;
    }
    m2m_assoc_config_set_timeouts(cfg, o->timeout_ms, o->idle_ms);
    *out = cfg;
    return 0;
}

const char *assoc_cli_flavour(enum m2m_flavour f)
{
    return f == M2M_FLAVOUR_NONE ? "psk" : m2m_flavour_name(f);
}

int assoc_cli_fail(const char *cmd, const struct m2m_error *err)
{
    fprintf(stderr, "m2msec %s: %s: %s\n", cmd, m2m_errcode_name(err->code),
            err->msg[0] ? err->msg : "failed");
    return 1;
}
