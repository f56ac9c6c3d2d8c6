/* m2msec enrol: what an enrolment produced, and the local credential store it is written
 * to (docs/enrolment.md). */
#ifndef M2MSEC_CLI_ENROL_H
#define M2MSEC_CLI_ENROL_H

#include <time.h>

#include <jansson.h>

#include <m2msec/crypto.h>
#include <m2msec/net.h>
#include <m2msec/proto.h>
#include <m2msec/secret.h>

#define ENROL_STORE_FILE "credentials.json"
#define ENROL_MAX_NAF    8

struct m2m_trust;

/* What to enrol with and where. */
struct enrol_opts {
    const char *mef, *mef_name, *mef_root, *mef_flavour;
    struct m2m_trust *mef_trust; /* instead of mef_root: anchors already loaded */
    const char *cert, *key, *chain;
    const char *kpm_id, *kpm_hex, *kpm_file;
    const char *id, *state;
    int reveal, json, root, no_maf, remote_mgmt, cert_enrol;
    int coap; /* --coap: the MEF URL must be coaps:// */
    int timeout_s;
    /* GBA framework (--gba): the USIM, the BSF (the MEF's Ub listener), the NAFs to derive
     * Ks_NAF for and the SUID each is for. */
    int gba;
    const char *usim, *bsf;
    size_t n_naf;
    const char *naf[ENROL_MAX_NAF];
    unsigned naf_suid[ENROL_MAX_NAF];
};

/* The TLS-PSK suite a GBA node's Ks_NAF is bound to (Ua id 01 00 01 00 AE, TS 33.220
 * Annex H): TLS_PSK_WITH_AES_128_CBC_SHA256, the PSK suite TS-0003 V3 10.2 requires over
 * TLS. The node offers only this suite with a B-TID. */
#define ENROL_GBA_SUITE 0x00AE

/* Ks_NAF for one NAF (3GPP TS 33.220 B.3): the Km (or Kpsa) of the GBA framework. */
struct enrol_gba_naf {
    char fqdn[M2M_FQDN_MAX + 1];
    unsigned suid;
    struct m2m_secret *ks_naf;
};

/* Km and KmID derived for one mafEnrolment instruction (TS-0003 V3 8.3.1.2). */
struct enrol_maf {
    const struct m2m_instruction *in;
    struct m2m_secret *km; /* NULL for credentialType "certificate" */
    char kmid[M2M_KEYID_MAX];
};

struct enrol_result {
    const char *mef_url;
    const char *mef_name;
    /* Enrolment exchange */
    struct m2m_enrol_response resp;
    struct m2m_secret *ke;
    size_t n_maf;
    struct enrol_maf maf[M2M_MAX_INSTRUCTIONS];
    /* PKI-based variant (--root-credential) */
    int root;
    struct m2m_root_credential rootcred;
    struct m2m_secret *root_secret;
    /* GBA framework (--gba) */
    int gba;
    struct m2m_ub_result ub;
    size_t n_naf;
    struct enrol_gba_naf naf[ENROL_MAX_NAF];
};

void enrol_result_clear(struct enrol_result *r);

/* The whole exchange with the MEF on one session (or the root-credential variant); fills
 * r and writes nothing: the caller commits the store once everything it needs succeeded. */
int enrol_run(const struct enrol_opts *o, struct enrol_result *r, struct m2m_error *err);

/* The options --gba takes and excludes; a usage error (2) otherwise (enrol_gba.c). */
int enrol_gba_check_opts(const struct enrol_opts *o);
/* The GBA bootstrap (enrol_gba.c): Ub with the USIM against the BSF, then Ks_NAF for each
 * NAF with the TLS-PSK Ua id of TLS_PSK_WITH_AES_128_CBC_SHA256 (TS-0003 10.2). */
int enrol_gba_run(const struct enrol_opts *o, struct enrol_result *r, struct m2m_error *err);
/* The credential store entries of a GBA result, added to keys (docs/gba.md). */
int enrol_gba_entries(json_t *keys, const struct enrol_result *r, struct m2m_error *err);
/* The summary of a GBA result. */
json_t *enrol_gba_summary(const struct enrol_result *r, int reveal, const char *state_dir);
/* Adds one entry to the store's keys, replacing an entry with the same id and peer and
 * dropping expired ones; takes e (NULL: out of memory). */
int enrol_store_add_entry(json_t *keys, json_t *e, struct m2m_error *err);

/* Overwrites, in place, the hex key strings of a JSON tree (members "key", "ke", "km",
 * "credential"), before the tree is released. */
void enrol_json_wipe_keys(json_t *j);

/* Creates dir (0700) if missing, checks it is a writable directory, and loads the current
 * store (an empty one if there is none). A store that cannot be read is an error: it is
 * never silently replaced. */
int enrol_store_open(const char *dir, json_t **store, struct m2m_error *err);
/* Adds the result's entries to store (replacing entries with the same id, dropping expired
 * ones) and writes DIR/credentials.json atomically: a temporary file in dir, mode 0600,
 * fsync, rename, fsync of dir. The old file stays as it was on any failure. */
int enrol_store_commit(const char *dir, json_t *store, const struct enrol_result *r,
                       struct m2m_error *err);
/* Kpm from hex text ("-": one line of stdin) or from a file holding hex that must not be
 * readable or writable by group or others. Exactly one of hex and path is set. */
struct m2m_secret *enrol_read_secret(const char *hex, const char *path, struct m2m_error *err);
/* The summary on stdout: text, or one JSON object; keys only when reveal is set. */
void enrol_print(const struct enrol_result *r, int reveal, int json, const char *state_dir);

/* Hex of a secret as a JSON string. */
json_t *enrol_json_secret(const struct m2m_secret *s);

#endif
