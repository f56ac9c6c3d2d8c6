/* Shared machinery of the store administration commands (m2msec mef, m2msec maf): one option
 * table, "<object> <action>" dispatch with per-action help and option checks, opening the
 * store, canonical identifiers, and listings as aligned columns or JSON. */
#ifndef M2MSEC_ADMIN_UTIL_H
#define M2MSEC_ADMIN_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include <m2msec/error.h>
#include <m2msec/secret.h>
#include <m2msec/store.h>

/* One bit per option an action may take (--store, --kek, --sp-id, --json, --help are always
 * accepted). */
enum admin_opt {
    AO_ID = 1u << 0,        /* --id */
    AO_FLAVOUR = 1u << 1,   /* --flavour */
    AO_IDENTITY = 1u << 2,  /* --identity */
    AO_TRUST_SET = 1u << 3, /* --trust-set */
    AO_LIFETIME = 1u << 4,  /* --lifetime */
    AO_INSTR = 1u << 5,     /* --instructions, --maf-id, --maf-uri, --maf-anchor, --maf-suid */
    AO_NAME = 1u << 6,      /* --name */
    AO_PREFIX = 1u << 7,    /* --prefix */
    AO_TEMPLATE = 1u << 8,  /* --template */
    AO_KPM_ID = 1u << 9,    /* --kpm-id */
    AO_ENROLEE = 1u << 10,  /* --enrolee, --enrolee-id */
    AO_KPM = 1u << 11,      /* --kpm-hex, --kpm-file */
    AO_PSK = 1u << 12,      /* --psk-hex, --psk-file */
    AO_SUID = 1u << 13,     /* --suid */
    AO_KEYID = 1u << 14,    /* --keid, --key-id */
    AO_LIMIT = 1u << 15,    /* --limit */
    AO_NO_PSK = 1u << 16,   /* --no-psk */
    AO_IMPI = 1u << 17,     /* --impi */
    AO_GBA_K = 1u << 18,    /* --k-file */
    AO_GBA_OPC = 1u << 19,  /* --opc-file or --op-file */
    AO_NAF = 1u << 20,      /* --naf, repeatable */
    AO_SQN = 1u << 21,      /* --sqn */
    AO_AMF = 1u << 22,      /* --amf */
};
#define AO_LAST       AO_AMF
#define ADMIN_MAX_NAF 16

/* Everything given on the command line. String members point into argv. */
struct admin_opts {
    unsigned given; /* enum admin_opt bits seen */
    const char *store_url, *kek_path, *sp_id;
    int json, help;
    const char *id, *flavour, *identity, *trust_set, *name, *prefix, *tmpl;
    const char *kpm_id, *enrolee, *kpm_hex, *kpm_file, *psk_hex, *psk_file, *keyid;
    const char *instructions_file, *maf_id, *maf_uri, *maf_anchor;
    int64_t lifetime;
    unsigned suid, maf_suid, limit;
    const char *impi, *k_file, *opc_file, *op_file, *amf;
    const char *naf[ADMIN_MAX_NAF];
    size_t n_naf;
    unsigned long long sqn;
};

/* What an action runs with. */
struct admin_ctx {
    const char *cmd; /* "mef" or "maf", for messages */
    const struct admin_opts *o;
    struct m2m_store *store;
    struct m2m_error err;
};

struct admin_action {
    const char *object;
    const char *action; /* NULL: the object is itself the action (m2msec mef audit) */
    unsigned allowed;   /* enum admin_opt bits */
    unsigned required;
    int needs_kek; /* seals or opens a secret */
    int (*run)(struct admin_ctx *c);
    const char *synopsis; /* the options, after "<object> <action>" */
    const char *help;     /* what it does, one or more lines */
};

struct admin_command {
    const char *name; /* "mef" */
    const char *intro;
    const struct admin_action *actions;
    size_t n_actions;
};

/* Parses argv, prints help or runs the action; returns the exit status. */
int admin_main(const struct admin_command *cmd, int argc, char **argv);

/* Action results: failure prints one line "m2msec <cmd>: <message>" and returns 1. */
int admin_fail(struct admin_ctx *c);
int admin_failf(struct admin_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- identifiers, each in the canonical form the MEF compares (DESIGN.md section 3) ---- */
/* A CSE-ID or AE-ID (SP-relative ones completed with --sp-id); SP-IDs are refused. */
int admin_enrolee_id(struct admin_ctx *c, const char *in, char *out, size_t outsz);
/* As admin_enrolee_id, also accepting "*" (any enrolee). */
int admin_auth_enrolee(struct admin_ctx *c, const char *in, char *out, size_t outsz);
/* An Enrolment Target: an FQDN (a MAF), or a CSE-ID or AE-ID. */
int admin_target_id(struct admin_ctx *c, const char *in, char *out, size_t outsz);
/* A KeID or KmID (key identifier) or B-TID. */
int admin_keyid(struct admin_ctx *c, const char *in, char *out, size_t outsz);

/* ---- secrets ---- */
/* The key given as hex on the command line, as "-" (one line of stdin) or in a file holding
 * hex; NULL with c->err set on failure. */
struct m2m_secret *admin_secret(struct admin_ctx *c, const char *hex, const char *file,
                                const char *what);

/* ---- instructions (TS-0003 8.3.2.1: handed back to the enrolee at enrolment) ---- */
/* The instructions the options describe, validated with m2m_instructions_decode, as compact
 * JSON (malloc'd) in *out; *out is NULL when none were given. */
int admin_instructions(struct admin_ctx *c, char **out);

/* ---- listings ---- */
struct admin_col {
    const char *key;  /* member of each row object; also the JSON name */
    const char *head; /* column heading */
};
/* Prints rows (an array of objects) as a JSON array or aligned columns; steals rows. */
void admin_print(const struct admin_ctx *c, const struct admin_col *cols, size_t ncols,
                 json_t *rows);
/* RFC 3339 UTC text of t, "-" for 0. */
json_t *admin_time(int64_t t);
/* "active", "expired" or "revoked" for a key. */
const char *admin_key_status(int revoked, int64_t expires, int64_t now);

#define ADMIN_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Actions of m2msec mef on targets, keys and the audit log (cmd_mef_target.c). */
int mef_target_add(struct admin_ctx *c);
int mef_target_set_psk(struct admin_ctx *c);
int mef_target_list(struct admin_ctx *c);
int mef_target_remove(struct admin_ctx *c);
int mef_target_allow(struct admin_ctx *c);
int mef_target_deny(struct admin_ctx *c);
int mef_target_rules(struct admin_ctx *c);
int mef_keys_list(struct admin_ctx *c);
int mef_keys_revoke(struct admin_ctx *c);
int mef_keys_purge(struct admin_ctx *c);
int mef_audit(struct admin_ctx *c);

#endif
