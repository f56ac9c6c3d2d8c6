/* m2msec bootstrap: what the command's files share (cmd_bootstrap.c runs the phases,
 * bootstrap_plan.c maps an instruction onto an enrolment and registers with MAFs). */
#ifndef M2MSEC_CLI_BOOTSTRAP_H
#define M2MSEC_CLI_BOOTSTRAP_H

#include <m2msec/bbn.h>
#include <m2msec/pki.h>

#include "enrol.h"

#define MAX_MECHANISMS 4

struct boot_opts {
    char bbn[512], bbn_name[256], bbn_root[1024];
    char cert[1024], key[1024], chain[1024];
    char kpm_id[256], kpm_hex[130], kpm_file[1024], usim[1024];
    char site[128], state[1024], mechanisms[128], transports[64];
    char maf_uri[1024]; /* "FQDN=URL[,FQDN=URL...]": where a GBA NAF that is a MAF listens */
    double lat, lon;
    int has_location, json, reveal, timeout_s;
};

/* The Bootstrap Execution Instruction and its trust anchors, loaded. */
struct instruction {
    struct m2m_bbn_instruction msg;
    struct m2m_trust *anchors;
};

/* Maps the instruction's mechanism onto an enrolment (docs/briefing.md names them). */
int boot_plan(const struct boot_opts *o, const struct instruction *in, struct enrol_opts *eo,
              struct m2m_error *err);
/* The client registration with one MAF (TS-0003 V3 8.8.2.3) on TLS-PSK with KeID and Km. */
int boot_register_maf(const struct enrol_result *r, const struct enrol_maf *m, int timeout_s,
                      char *reg_id, size_t reg_sz, struct m2m_error *err);

/* The URL of the MAF fqdn: its entry in map ("FQDN=URL,..."), else https://FQDN:8444. */
int boot_maf_uri(const char *map, const char *fqdn, char *out, size_t outsz, struct m2m_error *err);
/* The client registration with a MAF of the GBA framework: identity B-TID, key Ks_NAF;
 * enrolee_id receives the Enrolee-ID the MAF names. */
int boot_register_gba(const struct enrol_result *r, const struct enrol_gba_naf *n, const char *uri,
                      int timeout_s, char *reg_id, size_t reg_sz, char *enrolee_id,
                      size_t enrolee_sz, struct m2m_error *err);

#endif
