/* m2msec bootstrap: the three bootstrap phases in one command (SPEC.md section 7).
 *   Bootstrap-Start     the pre-configured Briefing Node (flags or --config FILE)
 *   Bootstrap-Briefing  POST /briefing on a mutually authenticated session with the BBN,
 *                       which answers with the Bootstrap Execution Instruction
 *   Bootstrap-Execution the instructed mechanism at the instructed target (the MEF, verified
 *                       with the anchors the instruction carries), then for each MAF the
 *                       PSK handshake with KeID and Km and the client registration, whose
 *                       assignedSymmKeyId must be the KmID derived here. With mechanism
 *                       gba: Ub with the USIM at the MEF's Ub listener (docs/gba.md).
 * The credential store is written once, after every phase succeeded, so a failure leaves
 * the previous one untouched. */
#include <getopt.h>
#include <stdarg.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/pem.h>

#include <m2msec/bbn.h>
#include <m2msec/maf.h>
#include <m2msec/coap.h>
#include <m2msec/net.h>

#include "bootstrap.h"
#include "cli.h"
#include "enrol.h"

static const char USAGE[] =
    "usage: m2msec bootstrap [--config FILE] --bbn URL --bbn-name FQDN --bbn-root PEM\n"
    "                        --cert FILE --key FILE [--chain FILE] --state DIR\n"
    "                        [--kpm-id ID (--kpm-hex HEX|- | --kpm-file FILE)] [--usim FILE]\n"
    "                        [--site NAME] [--lat DEG --lon DEG]\n"
    "                        [--mechanisms LIST] [--timeout SECONDS] [--json] [--reveal]\n"
    "\n"
    "Bootstrap-Start, -Briefing and -Execution in one command: asks the Briefing Node where\n"
    "and how to bootstrap, enrols with the instructed MEF, registers with each MAF, and\n"
    "writes DIR/credentials.json only when every phase succeeded.\n"
    "\n"
    "  --config FILE     INI file with a [bootstrap] section holding the same keys as the\n"
    "                    long options (bbn, bbn-name, bbn-root, cert, key, chain, state,\n"
    "                    site, lat, lon, mechanisms, kpm-id, kpm-file, usim); flags\n"
    "                    override it\n"
    "  --bbn URL         the Briefing Node (https://host:port or coaps://host:port)\n"
    "  --bbn-name FQDN   the name its certificate must carry (sent as SNI)\n"
    "  --bbn-root PEM    trust anchor(s) for the Briefing Node\n"
    "  --cert/--key/--chain  this node's certificate (briefing and certificate enrolment)\n"
    "  --kpm-id/--kpm-hex/--kpm-file  a pre-provisioned key, for the psk mechanism\n"
    "  --usim FILE       the software USIM, for the gba mechanism (docs/gba.md)\n"
    "  --maf-uri FQDN=URL[,FQDN=URL...]\n"
    "                    where a GBA NAF that is a MAF listens (default https://FQDN:8444)\n"
    "  --site, --lat, --lon  what the node reports about where it is\n"
    "  --mechanisms LIST mechanisms this node supports, comma-separated\n"
    "                    (default: certificate,pki, plus psk when a Kpm is given and gba\n"
    "                    when a USIM is)\n";

/* ---- Bootstrap-Start: flags and the optional configuration file ---- */

static int set_opt(struct boot_opts *o, const char *name, const char *v)
{
    struct {
        const char *name;
        char *dst;
        size_t sz;
    } strs[] = {
        {"bbn", o->bbn, sizeof(o->bbn)},
        {"bbn-name", o->bbn_name, sizeof(o->bbn_name)},
        {"bbn-root", o->bbn_root, sizeof(o->bbn_root)},
        {"cert", o->cert, sizeof(o->cert)},
        {"key", o->key, sizeof(o->key)},
        {"chain", o->chain, sizeof(o->chain)},
        {"kpm-id", o->kpm_id, sizeof(o->kpm_id)},
        {"kpm-hex", o->kpm_hex, sizeof(o->kpm_hex)},
        {"kpm-file", o->kpm_file, sizeof(o->kpm_file)},
        {"usim", o->usim, sizeof(o->usim)},
        {"maf-uri", o->maf_uri, sizeof(o->maf_uri)},
        {"site", o->site, sizeof(o->site)},
        {"state", o->state, sizeof(o->state)},
        {"mechanisms", o->mechanisms, sizeof(o->mechanisms)},
    };
    char *end = NULL;

    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
        if (strcmp(name, strs[i].name) == 0) {
            if (strlen(v) >= strs[i].sz)
                return -1;
            memcpy(strs[i].dst, v, strlen(v) + 1);
            return 0;
        }
    if (strcmp(name, "lat") == 0 || strcmp(name, "lon") == 0) {
        double d = strtod(v, &end);
        if (end == v || *end != '\0')
            return -1;
        *(strcmp(name, "lat") == 0 ? &o->lat : &o->lon) = d;
        o->has_location = 1;
        return 0;
    }
    if (strcmp(name, "timeout") == 0) {
        long t = strtol(v, &end, 10);
        if (end == v || *end != '\0' || t < 1 || t > 600)
            return -1;
        o->timeout_s = (int)t;
        return 0;
    }
    return -1;
}

static int on_ini(void *user, const char *section, const char *name, const char *value)
{
    return strcmp(section, "bootstrap") == 0 && set_opt(user, name, value) == 0;
}

static int parse_opts(int argc, char **argv, struct boot_opts *o)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},   {"bbn", required_argument, NULL, 1},
        {"bbn-name", required_argument, NULL, 1},   {"bbn-root", required_argument, NULL, 1},
        {"cert", required_argument, NULL, 1},       {"key", required_argument, NULL, 1},
        {"chain", required_argument, NULL, 1},      {"kpm-id", required_argument, NULL, 1},
        {"kpm-hex", required_argument, NULL, 1},    {"kpm-file", required_argument, NULL, 1},
        {"site", required_argument, NULL, 1},       {"lat", required_argument, NULL, 1},
        {"lon", required_argument, NULL, 1},        {"state", required_argument, NULL, 1},
        {"mechanisms", required_argument, NULL, 1}, {"timeout", required_argument, NULL, 1},
        {"usim", required_argument, NULL, 1},       {"maf-uri", required_argument, NULL, 1},
        {"json", no_argument, NULL, 'j'},           {"reveal", no_argument, NULL, 'R'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
    };
    int c, idx, line;

    /* The configuration file first, so that flags override it. */
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], "--config") == 0 && (line = ini_parse(argv[i + 1], on_ini, o)) != 0)
            return cli_usage_error("bootstrap", "%s: %s %d", argv[i + 1],
                                   line < 0 ? "cannot read" : "bad entry on line", line);
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, &idx)) != -1) {
        if (c == 1 && set_opt(o, longopts[idx].name, optarg) != 0)
            return cli_usage_error("bootstrap", "bad value for --%s", longopts[idx].name);
        if (c == 'j')
            o->json = 1;
        else if (c == 'R')
            o->reveal = 1;
        else if (c == 'h')
            return fputs(USAGE, stdout), 1;
        else if (c == '?')
            return cli_usage_error("bootstrap", "unknown option");
    }
    if (optind != argc)
        return cli_usage_error("bootstrap", "unexpected argument '%s'", argv[optind]);
    if (!o->bbn[0] || !o->bbn_name[0] || !o->bbn_root[0] || !o->cert[0] || !o->key[0] ||
        !o->state[0])
        return cli_usage_error("bootstrap", "needs --bbn, --bbn-name, --bbn-root, --cert, --key "
                                            "and --state (flags or --config)");
    if (!o->mechanisms[0])
        snprintf(o->mechanisms, sizeof(o->mechanisms), "certificate,pki%s%s",
                 o->kpm_id[0] ? ",psk" : "", o->usim[0] ? ",gba" : "");
    return 0;
}

/* ---- progress: one line a phase, or one JSON object at the end ---- */

struct progress {
    int json;
    json_t *phases;
};

static void phase(struct progress *p, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void phase(struct progress *p, const char *name, const char *fmt, ...)
{
    char line[768];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (p->json)
        json_array_append_new(p->phases, json_pack("{s:s, s:s}", "phase", name, "detail", line));
    else
        printf("%-10s %s\n", name, line);
    fflush(stdout);
}

static int fail_in(const char *phase_name, const struct m2m_error *err)
{
    fprintf(stderr, "m2msec bootstrap: %s failed: %s\n", phase_name,
            err->msg[0] ? err->msg : "error");
    return 1;
}

/* ---- Bootstrap-Briefing ---- */

static struct m2m_tls_config *bbn_tls(const struct boot_opts *o, struct m2m_error *err)
{
    struct m2m_tls_config *cfg = m2m_tls_config_new(err);
    struct m2m_credential *cred = NULL;
    struct m2m_trust *trust = NULL;
    int ok = 0;

    if (cfg == NULL)
        return NULL;
    if ((cred = m2m_credential_load(o->key, o->cert, o->chain[0] ? o->chain : NULL, err)) &&
        (trust = m2m_trust_new(err)) && m2m_trust_add_anchors(trust, o->bbn_root, err) == 0) {
        m2m_tls_config_set_credential(cfg, cred);
        m2m_tls_config_set_trust(cfg, trust);
        /* The node must authenticate the BBN it was configured with (SPEC.md 7). */
        ok = m2m_tls_config_set_peer(cfg, M2M_FLAVOUR_FQDN, o->bbn_name, err) == 0;
    }
    m2m_credential_free(cred);
    m2m_trust_free(trust);
    if (!ok) {
        m2m_tls_config_free(cfg);
        return NULL;
    }
    return cfg;
}

static char *briefing_request(const struct boot_opts *o, struct m2m_error *err)
{
    struct m2m_bbn_request req;
    char buf[sizeof(o->mechanisms)], *save = NULL;

    memset(&req, 0, sizeof(req));
    snprintf(buf, sizeof(buf), "%s", o->mechanisms);
    for (char *t = strtok_r(buf, ",", &save); t && req.n_mechanisms < M2M_BBN_MAX_LIST;
         t = strtok_r(NULL, ",", &save))
        snprintf(req.mechanisms[req.n_mechanisms++], M2M_BBN_NAME_MAX, "%s", t);
    snprintf(req.transports[req.n_transports++], M2M_BBN_NAME_MAX, "https");
    snprintf(req.transports[req.n_transports++], M2M_BBN_NAME_MAX, "coaps");
    req.has_site = o->site[0] != '\0';
    snprintf(req.site, sizeof(req.site), "%s", o->site);
    req.has_location = o->has_location;
    req.lat = o->lat;
    req.lon = o->lon;
    return m2m_bbn_request_encode(&req, err);
}

/* The instruction's PEM anchors become the trust set the target must chain to. */
static int load_anchors(struct instruction *in, struct m2m_error *err)
{
    if ((in->anchors = m2m_trust_new(err)) == NULL)
        return -1;
    for (size_t i = 0; i < in->msg.n_anchors; i++) {
        BIO *bio = BIO_new_mem_buf(in->msg.trust_anchors[i], -1);
        X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
        int rc = x ? m2m_trust_add_anchor_cert(in->anchors, x, err)
                   : m2m_error_set(err, M2M_E_BAD_MESSAGE, "trust anchor %zu is not PEM", i);
        X509_free(x);
        BIO_free(bio);
        if (rc != 0)
            return -1;
    }
    if (in->msg.n_anchors == 0)
        return m2m_error_set(err, M2M_E_BAD_MESSAGE,
                             "the instruction carries no trust anchor for its target");
    return 0;
}

static int briefing(const struct boot_opts *o, struct instruction *in, struct m2m_error *err)
{
    struct m2m_tls_config *cfg = bbn_tls(o, err);
    struct m2m_client *c = NULL;
    char *req = NULL, *body = NULL, reason[256];
    int status = 0, rsc = 0, rc = -1;

    if (cfg == NULL || (req = briefing_request(o, err)) == NULL ||
        (c = m2m_client_new(cfg, o->bbn, o->bbn_name, err)) == NULL)
        goto out;
    if (o->timeout_s > 0)
        m2m_client_set_timeout_ms(c, o->timeout_s * 1000);
    if (m2m_client_request(c, "POST", "/briefing", NULL, req, &status, &rsc, &body, err) != 0)
        goto out;
    if (status != 200) {
        m2m_error_body_decode(body, strlen(body), reason, sizeof(reason));
        m2m_error_set(err, M2M_E_BAD_MESSAGE, "the Briefing Node answered HTTP %d: %s", status,
                      reason[0] ? reason : "(no reason given)");
        goto out;
    }
    if (m2m_bbn_instruction_decode(body, strlen(body), &in->msg, err) != 0 ||
        m2m_fqdn_validate(in->msg.target_id, err) != 0 || load_anchors(in, err) != 0)
        goto out;
    rc = 0;
out:
    free(req);
    free(body);
    m2m_client_free(c);
    m2m_tls_config_free(cfg);
    return rc;
}

/* ---- Bootstrap-Execution (the plan: bootstrap_plan.c) ---- */

/* GBA: the client registration with each NAF that is a MAF (SUID 21), at the URL --maf-uri
 * names for it, else https://FQDN:8444 (DESIGN.md section 3). */
static int register_gba_mafs(const struct boot_opts *o, struct enrol_result *r, struct progress *p,
                             struct m2m_error *err)
{
    for (size_t i = 0; i < r->n_naf; i++) {
        char uri[512], reg[256], enrolee[M2M_ID_MAX + 1];

        if (r->naf[i].suid != M2M_SUID_REMOTE_MAF)
            continue;
        if (boot_maf_uri(o->maf_uri, r->naf[i].fqdn, uri, sizeof(uri), err) != 0 ||
            boot_register_gba(r, &r->naf[i], uri, o->timeout_s, reg, sizeof(reg), enrolee,
                              sizeof(enrolee), err) != 0)
            return -1;
        phase(p, "execution", "registered with MAF %s: clientRegId %s, KmID %s, Enrolee-ID %s",
              r->naf[i].fqdn, reg, r->ub.btid, enrolee);
    }
    return 0;
}

static int execution(const struct boot_opts *o, const struct instruction *in,
                     struct enrol_result *r, struct progress *p, struct m2m_error *err)
{
    struct enrol_opts eo;

    if (boot_plan(o, in, &eo, err) != 0)
        return -1;
    r->mef_url = eo.gba ? eo.bsf : eo.mef;
    r->mef_name = eo.mef_name;
    if (eo.gba) {
        if (enrol_gba_run(&eo, r, err) != 0)
            return -1;
        phase(p, "execution", "bootstrapped at %s: B-TID %s, Ks_NAF for %zu NAF(s)",
              in->msg.target_id, r->ub.btid, r->n_naf);
        return register_gba_mafs(o, r, p, err);
    }
    if (enrol_run(&eo, r, err) != 0)
        return -1;
    if (r->root) {
        phase(p, "execution", "root credential %s from %s", r->rootcred.credential_id,
              in->msg.target_id);
        return 0;
    }
    phase(p, "execution", "enrolled at %s: KeID %s, Enrolee-ID %s", in->msg.target_id, r->resp.keid,
          r->resp.enrolee_id);
    for (size_t i = 0; i < r->n_maf; i++) {
        char reg[256];
        if (r->maf[i].km == NULL)
            continue;
        if (boot_register_maf(r, &r->maf[i], o->timeout_s, reg, sizeof(reg), err) != 0)
            return -1;
        phase(p, "execution", "registered with MAF %s: clientRegId %s, KmID %s",
              r->maf[i].in->maf_id, reg, r->maf[i].kmid);
    }
    return 0;
}

int cmd_bootstrap(int argc, char **argv)
{
    struct boot_opts o;
    struct instruction in;
    struct enrol_result r = {0};
    struct progress p = {0};
    struct m2m_error err;
    json_t *store = NULL;
    int rc;

    memset(&o, 0, sizeof(o));
    memset(&in, 0, sizeof(in));
    if ((rc = parse_opts(argc, argv, &o)) != 0)
        return rc == 1 ? 0 : rc;
    p.json = o.json;
    p.phases = json_array();
    rc = 1;
    if (enrol_store_open(o.state, &store, &err) != 0) {
        fail_in("start", &err);
        goto out;
    }
    phase(&p, "start", "briefing node %s (%s), mechanisms %s", o.bbn_name, o.bbn, o.mechanisms);
    if (briefing(&o, &in, &err) != 0) {
        fail_in("briefing", &err);
        goto out;
    }
    {
        char until[40] = "";
        if (in.msg.expires > 0 && m2m_time_format(in.msg.expires, until, sizeof(until)) != 0)
            until[0] = '\0';
        phase(&p, "briefing", "mechanism %s, target %s at %s, %zu trust anchor(s)%s%s",
              in.msg.mechanism, in.msg.target_id, in.msg.target_uri, in.msg.n_anchors,
              until[0] ? ", until " : "", until);
    }
    if (execution(&o, &in, &r, &p, &err) != 0) {
        fail_in("execution", &err);
        goto out;
    }
    if (enrol_store_commit(o.state, store, &r, &err) != 0) {
        fail_in("execution", &err);
        goto out;
    }
    phase(&p, "done", "credentials in %s/%s", o.state, ENROL_STORE_FILE);
    if (o.json) {
        json_t *sum = json_pack("{s:o, s:s, s:s}", "phases", json_incref(p.phases), "mechanism",
                                in.msg.mechanism, "target", in.msg.target_id);
        char *s;
        if (r.gba) {
            json_object_set_new(sum, "keId", json_string(r.ub.btid));
        } else if (!r.root) {
            json_object_set_new(sum, "keId", json_string(r.resp.keid));
            json_object_set_new(sum, "enroleeId", json_string(r.resp.enrolee_id));
        }
        s = json_dumps(sum, JSON_COMPACT);
        if (s != NULL)
            puts(s);
        free(s);
        json_decref(sum);
    }
    rc = 0;
out:
    if (store != NULL)
        enrol_json_wipe_keys(store);
    json_decref(store);
    json_decref(p.phases);
    enrol_result_clear(&r);
    m2m_trust_free(in.anchors);
    m2m_bbn_instruction_clear(&in.msg);
    m2m_wipe(o.kpm_hex, sizeof(o.kpm_hex));
    return rc;
}
