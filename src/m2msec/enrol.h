/* m2msec enrol: what an enrolment produced, and the local credential store it is written
 * to (docs/enrolment.md). */
#ifndef M2MSEC_CLI_ENROL_H
#define M2MSEC_CLI_ENROL_H

#include <time.h>

#include <jansson.h>

#include <m2msec/crypto.h>
#include <m2msec/proto.h>
#include <m2msec/secret.h>

#define ENROL_STORE_FILE "credentials.json"

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
};

void enrol_result_clear(struct enrol_result *r);

/* The whole exchange with the MEF on one session (or the root-credential variant); fills
 * r and writes nothing: the caller commits the store once everything it needs succeeded. */
int enrol_run(const struct enrol_opts *o, struct enrol_result *r, struct m2m_error *err);

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
