/* m2msec enrol: the Enrolee side of remote security provisioning (TS-0003 V3 8.3.1, 8.3.2;
 * DESIGN.md section 4). One TLS session to the MEF, authenticated by the Enrolee's
 * certificate or its Kpm; the Enrolment Exchange and its acknowledgement on that session;
 * Ke and KeID from the session's export, checked against the MEF's keId; Km and KmID for
 * each MAF; the result in the local credential store. --root-credential runs the PKI-based
 * bootstrap instead (SPEC.md section 6). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <m2msec/coap.h>
#include <m2msec/net.h>

#include "cli.h"
#include "enrol.h"

static const char USAGE[] =
    "usage: m2msec enrol --mef URL --mef-name FQDN --state DIR\n"
    "                    (--cert FILE --key FILE [--chain FILE] --mef-root PEM\n"
    "                     | --kpm-id ID (--kpm-hex HEX|- | --kpm-file FILE))\n"
    "                    [--mef-flavour fqdn] [--id ORIGIN] [--root-credential]\n"
    "                    [--no-maf] [--remote-management] [--cert-enrolment]\n"
    "                    [--coap] [--timeout SECONDS] [--reveal] [--json]\n"
    "       m2msec enrol --gba --usim FILE --bsf URL --mef-name FQDN --mef-root PEM\n"
    "                    --state DIR [--maf FQDN]... [--timeout SECONDS] [--reveal] [--json]\n"
    "\n"
    "Enrols with an M2M Enrolment Function over one TLS session and stores the resulting\n"
    "Ke, Km and KmID in DIR/credentials.json (mode 0600).\n"
    "\n"
    "  --mef URL            MEF base URL to connect to (https://host:port, or\n"
    "                       coaps://host:port for CoAP over DTLS)\n"
    "  --coap               require CoAP over DTLS (the URL must be coaps://)\n"
    "  --mef-name FQDN      the MEF's name: sent as SNI, checked in its certificate, and\n"
    "                       the domain of the KeID\n"
    "  --mef-root PEM       trust anchor(s) for the MEF's certificate (certificate mode)\n"
    "  --mef-flavour F      certificate flavour the MEF proves its name with (default fqdn)\n"
    "  --cert/--key/--chain this Enrolee's certificate credential\n"
    "  --kpm-id, --kpm-hex, --kpm-file   pre-provisioned KpmID and Kpm (hex; '-' reads\n"
    "                       one line of stdin; the file must not be readable by others)\n"
    "  --id ORIGIN          X-M2M-Origin (default: the certificate's identity, or KpmID)\n"
    "  --root-credential    PKI-based bootstrap: fetch and unwrap a root credential\n"
    "  --no-maf             do not offer MAF enrolment\n"
    "  --remote-management  offer remote management\n"
    "  --cert-enrolment     offer certificate enrolment\n"
    "  --gba                GBA framework (3GPP TS 33.220): bootstrap the USIM with the MEF\n"
    "                       acting as BSF; Ke = Ks, KeID = B-TID (docs/gba.md)\n"
    "  --usim FILE          the software USIM (JSON: impi, k, opc, sqn; mode 0600)\n"
    "  --bsf URL            the MEF's GBA (Ub) listener, https://host:port; --mef-name and\n"
    "                       --mef-root authenticate it\n"
    "  --maf FQDN           a MAF (NAF) to derive Km = Ks_NAF for (repeatable)\n"
    "  --timeout SECONDS    bound on connecting and on each request (default 10)\n"
    "  --reveal             also print keys\n"
    "  --json               one JSON object on stdout\n";

static int parse_opts(int argc, char **argv, struct enrol_opts *o)
{
    static const struct option longopts[] = {
        {"mef", required_argument, NULL, 'u'},
        {"mef-name", required_argument, NULL, 'n'},
        {"mef-root", required_argument, NULL, 'r'},
        {"mef-flavour", required_argument, NULL, 'f'},
        {"cert", required_argument, NULL, 'c'},
        {"key", required_argument, NULL, 'k'},
        {"chain", required_argument, NULL, 'C'},
        {"kpm-id", required_argument, NULL, 'i'},
        {"kpm-hex", required_argument, NULL, 'x'},
        {"kpm-file", required_argument, NULL, 'F'},
        {"id", required_argument, NULL, 'o'},
        {"state", required_argument, NULL, 's'},
        {"reveal", no_argument, NULL, 'R'},
        {"json", no_argument, NULL, 'j'},
        {"root-credential", no_argument, NULL, 'P'},
        {"no-maf", no_argument, NULL, 'M'},
        {"remote-management", no_argument, NULL, 'm'},
        {"cert-enrolment", no_argument, NULL, 'e'},
        {"timeout", required_argument, NULL, 't'},
        {"gba", no_argument, NULL, 'G'},
        {"usim", required_argument, NULL, 'U'},
        {"bsf", required_argument, NULL, 'B'},
        {"maf", required_argument, NULL, 'A'},
        {"coap", no_argument, NULL, 'O'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;

    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'u':
            o->mef = optarg;
            break;
        case 'n':
            o->mef_name = optarg;
            break;
        case 'r':
            o->mef_root = optarg;
            break;
        case 'f':
            o->mef_flavour = optarg;
            break;
        case 'c':
            o->cert = optarg;
            break;
        case 'k':
            o->key = optarg;
            break;
        case 'C':
            o->chain = optarg;
            break;
        case 'i':
            o->kpm_id = optarg;
            break;
        case 'x':
            o->kpm_hex = optarg;
            break;
        case 'F':
            o->kpm_file = optarg;
            break;
        case 'o':
            o->id = optarg;
            break;
        case 's':
            o->state = optarg;
            break;
        case 'R':
            o->reveal = 1;
            break;
        case 'j':
            o->json = 1;
            break;
        case 'P':
            o->root = 1;
            break;
        case 'M':
            o->no_maf = 1;
            break;
        case 'm':
            o->remote_mgmt = 1;
            break;
        case 'e':
            o->cert_enrol = 1;
            break;
        case 'O':
            o->coap = 1;
            break;
        case 't': {
            char *end = NULL;
            long v = strtol(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || v < 1 || v > 3600)
                return cli_usage_error("enrol", "--timeout takes 1 to 3600 seconds");
            o->timeout_s = (int)v;
            break;
        }
        case 'G':
            o->gba = 1;
            break;
        case 'U':
            o->usim = optarg;
            break;
        case 'B':
            o->bsf = optarg;
            break;
        case 'A':
            if (o->n_naf == ENROL_MAX_NAF)
                return cli_usage_error("enrol", "at most %d --maf", ENROL_MAX_NAF);
            o->naf[o->n_naf++] = optarg;
            break;
        case 'h':
            fputs(USAGE, stdout);
            return 1;
        default:
            return cli_usage_error("enrol", "unknown option");
        }
    }
    if (optind != argc)
        return cli_usage_error("enrol", "unexpected argument '%s'", argv[optind]);
    return 0;
}

static int check_opts(const struct enrol_opts *o)
{
    int cert = o->cert != NULL || o->key != NULL, psk = o->kpm_id != NULL;

    if (o->gba)
        return enrol_gba_check_opts(o);
    if (o->usim != NULL || o->bsf != NULL || o->n_naf > 0)
        return cli_usage_error("enrol", "--usim, --bsf and --maf need --gba");

    if (o->mef == NULL || o->mef_name == NULL || o->state == NULL)
        return cli_usage_error("enrol", "--mef, --mef-name and --state are required");
    if (cert == psk)
        return cli_usage_error("enrol", "give either --cert/--key or --kpm-id");
    if (cert && (o->cert == NULL || o->key == NULL || o->mef_root == NULL))
        return cli_usage_error("enrol", "certificate mode needs --cert, --key and --mef-root");
    if (psk && (o->kpm_hex != NULL) == (o->kpm_file != NULL))
        return cli_usage_error("enrol", "--kpm-id needs one of --kpm-hex or --kpm-file");
    if (psk && o->root)
        return cli_usage_error("enrol", "--root-credential needs certificate mode");
    if (o->coap && m2m_client_url_is_coap(o->mef) != 1)
        return cli_usage_error("enrol", "--coap needs a coaps://HOST:PORT MEF URL");
    return 0;
}

/* ---- TLS configuration ---- */

static int setup_cert(struct m2m_tls_config *cfg, const struct enrol_opts *o,
                      struct m2m_credential **cred, struct m2m_error *err)
{
    struct m2m_trust *trust = o->mef_trust;
    enum m2m_flavour fl = M2M_FLAVOUR_FQDN;
    int rc = -1;

    if (o->mef_flavour != NULL && m2m_flavour_parse(o->mef_flavour, &fl, err) != 0)
        return -1;
    if (trust != NULL)
        m2m_trust_up_ref(trust);
    if ((*cred = m2m_credential_load(o->key, o->cert, o->chain, err)) == NULL ||
        (trust == NULL && ((trust = m2m_trust_new(err)) == NULL ||
                           m2m_trust_add_anchors(trust, o->mef_root, err) != 0)))
        goto out;
    m2m_tls_config_set_credential(cfg, *cred);
    m2m_tls_config_set_trust(cfg, trust);
    /* TS-0003 V3 8.2.2.2: the MEF must prove the configured name. */
    rc = m2m_tls_config_set_peer(cfg, fl, o->mef_name, err);
out:
    m2m_trust_free(trust);
    return rc;
}

/* The PSK itself proves the MEF (only it holds Kpm), so no certificate suites are
 * offered that would let a server choose certificate authentication instead. */
static int setup_psk(struct m2m_tls_config *cfg, const struct enrol_opts *o, struct m2m_error *err)
{
    struct m2m_secret *kpm = enrol_read_secret(o->kpm_hex, o->kpm_file, err);
    int rc = -1;

    if (kpm != NULL)
        rc = m2m_tls_config_set_psk_client(cfg, o->kpm_id, kpm, err);
    m2m_secret_free(kpm);
    return rc;
}

/* X-M2M-Origin defaults to what the session proves about us. */
static int default_origin(const struct m2m_credential *cred, char *out, size_t outsz,
                          struct m2m_error *err)
{
    static const enum m2m_flavour order[] = {M2M_FLAVOUR_DEVICE, M2M_FLAVOUR_NODE_ID,
                                             M2M_FLAVOUR_CSE_ID, M2M_FLAVOUR_AE_ID,
                                             M2M_FLAVOUR_FQDN};

    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        char **ids = NULL;
        int n = m2m_cert_identities(m2m_credential_cert(cred), order[i], &ids, err);
        for (int k = 0; k < n; k++) {
            if (k == 0)
                snprintf(out, outsz, "%s", ids[0]);
            free(ids[k]);
        }
        free(ids);
        if (n > 0)
            return 0;
    }
    return m2m_error_set(err, M2M_E_INVALID_ARG,
                         "the certificate carries no oneM2M identity; "
                         "give --id");
}

/* ---- The exchange ---- */

/* A non-success answer becomes one line naming the status and the MEF's reason. */
static int expect_status(int got, int want, int rsc, const char *body, const char *what,
                         struct m2m_error *err)
{
    char reason[256];

    if (got == want)
        return 0;
    m2m_error_body_decode(body, strlen(body), reason, sizeof(reason));
    return m2m_error_set(err, M2M_E_BAD_MESSAGE, "the MEF refused %s: HTTP %d, RSC %d: %s", what,
                         got, rsc, reason[0] ? reason : "(no reason given)");
}

/* TS-0003 V3 10.3.1: Ke and KeID from the export of this very session; the MEF's keId
 * must be the one both ends computed, or the two ends do not share Ke. */
static int check_keid(struct m2m_client *c, struct enrol_result *r, struct m2m_error *err)
{
    unsigned char exp[M2M_EXPORT_LEN];
    char keid[M2M_KEYID_MAX];
    int rc = -1;

    if (m2m_client_export(c, M2M_EXPORTER_BOOTSTRAP, exp, sizeof(exp), err) != 0 ||
        m2m_export_split(exp, r->mef_name, &r->ke, keid, err) != 0)
        goto out;
    if (strcmp(keid, r->resp.keid) != 0) {
        m2m_error_set(err, M2M_E_BAD_MESSAGE,
                      "KeID mismatch: the MEF sent %s, this session "
                      "gives %s",
                      r->resp.keid, keid);
        goto out;
    }
    rc = 0;
out:
    m2m_wipe(exp, sizeof(exp));
    return rc;
}

/* TS-0003 V3 10.3.4 and DESIGN.md 3: Km from Ke and the MAF-ID, KmID from Km. */
static int derive_mafs(struct enrol_result *r, struct m2m_error *err)
{
    for (size_t i = 0; i < r->resp.n_instructions; i++) {
        const struct m2m_instruction *in = &r->resp.instructions[i];
        struct enrol_maf *m = &r->maf[r->n_maf];

        if (in->type != M2M_INSTR_MAF_ENROLMENT)
            continue;
        m->in = in;
        r->n_maf++;
        if (strcmp(in->credential_type, "certificate") == 0)
            continue;
        if ((m->km = m2m_derive_km(r->ke, in->maf_id, err)) == NULL ||
            m2m_derive_kmid(m->km, in->maf_id, m->kmid, err) != 0)
            return -1;
    }
    return 0;
}

/* Acknowledges the instructions this Enrolee said it was prepared for (TS-0003 8.3.2.1). */
static int acknowledge(struct m2m_client *c, const char *origin, const struct enrol_opts *o,
                       const struct enrol_result *r, struct m2m_error *err)
{
    struct m2m_enrol_complete ack = {0};
    char *req = NULL, *body = NULL;
    int status = 0, rsc = 0, rc = -1;

    snprintf(ack.keid, sizeof(ack.keid), "%s", r->resp.keid);
    for (size_t i = 0; i < r->resp.n_instructions; i++) {
        enum m2m_instruction_type t = r->resp.instructions[i].type;
        if ((t == M2M_INSTR_MAF_ENROLMENT && !o->no_maf) ||
            (t == M2M_INSTR_REMOTE_MANAGEMENT && o->remote_mgmt) ||
            (t == M2M_INSTR_CERT_ENROLMENT && o->cert_enrol))
            ack.acks[ack.n_acks++] = t;
    }
    if ((req = m2m_enrol_complete_encode(&ack, err)) == NULL ||
        m2m_client_request(c, "POST", "/enrolment/complete", origin, req, &status, &rsc, &body,
                           err) != 0 ||
        expect_status(status, 200, rsc, body, "the acknowledgement", err) != 0)
        goto out;
    rc = 0;
out:
    free(req);
    free(body);
    return rc;
}

static int run_enrolment(struct m2m_client *c, const char *origin, const struct enrol_opts *o,
                         struct enrol_result *r, struct m2m_error *err)
{
    struct m2m_enrol_request q = {.cert_enrolment = o->cert_enrol,
                                  .maf_enrolment = !o->no_maf,
                                  .remote_management = o->remote_mgmt};
    char *req = NULL, *body = NULL;
    int status = 0, rsc = 0, rc = -1;

    if ((req = m2m_enrol_request_encode(&q, err)) == NULL ||
        m2m_client_request(c, "POST", "/enrolment", origin, req, &status, &rsc, &body, err) != 0 ||
        expect_status(status, 201, rsc, body, "the enrolment", err) != 0 ||
        m2m_enrol_response_decode(body, strlen(body), &r->resp, err) != 0 ||
        check_keid(c, r, err) != 0 || derive_mafs(r, err) != 0 ||
        acknowledge(c, origin, o, r, err) != 0)
        goto out;
    rc = 0;
out:
    free(req);
    free(body);
    return rc;
}

/* PKI-based bootstrap (SPEC.md 6, DESIGN.md 3): the root credential arrives wrapped
 * (RFC 3394) under RootCredentialWrapKey, exported from this session. */
static int run_root_credential(struct m2m_client *c, const char *origin, struct enrol_result *r,
                               struct m2m_error *err)
{
    unsigned char wk[M2M_KEY_LEN];
    struct m2m_secret *kek = NULL;
    char *body = NULL;
    int status = 0, rsc = 0, rc = -1;

    r->root = 1;
    if (m2m_client_request(c, "POST", "/rootCredential", origin, "{}", &status, &rsc, &body, err) !=
            0 ||
        expect_status(status, 201, rsc, body, "the root credential request", err) != 0 ||
        m2m_root_credential_decode(body, strlen(body), &r->rootcred, err) != 0 ||
        m2m_client_export(c, M2M_EXPORTER_ROOT_WRAP, wk, sizeof(wk), err) != 0 ||
        (kek = m2m_secret_from(wk, sizeof(wk), err)) == NULL ||
        (r->root_secret =
             m2m_aes_unwrap(kek, 0, r->rootcred.wrapped, r->rootcred.wrapped_len, err)) == NULL)
        goto out;
    rc = 0;
out:
    m2m_wipe(wk, sizeof(wk));
    m2m_secret_free(kek);
    free(body);
    return rc;
}

int enrol_run(const struct enrol_opts *o, struct enrol_result *r, struct m2m_error *err)
{
    struct m2m_tls_config *cfg = m2m_tls_config_new(err);
    struct m2m_credential *cred = NULL;
    struct m2m_client *c = NULL;
    char origin[M2M_IDENTITY_MAX];
    int rc = -1;

    if (cfg == NULL)
        return -1;
    snprintf(origin, sizeof(origin), "%s",
             o->id != NULL       ? o->id
             : o->kpm_id != NULL ? o->kpm_id
                                 : "");
    if (o->kpm_id != NULL ? setup_psk(cfg, o, err) != 0 : setup_cert(cfg, o, &cred, err) != 0)
        goto out;
    if (o->id == NULL && cred != NULL && default_origin(cred, origin, sizeof(origin), err) != 0)
        goto out;
    if ((c = m2m_client_new(cfg, o->mef, o->mef_name, err)) == NULL)
        goto out;
    if (o->timeout_s > 0)
        m2m_client_set_timeout_ms(c, o->timeout_s * 1000);
    if ((o->root ? run_root_credential(c, origin, r, err) : run_enrolment(c, origin, o, r, err)) !=
        0)
        goto out;
    rc = 0;
out:
    m2m_client_free(c);
    m2m_credential_free(cred);
    m2m_tls_config_free(cfg);
    return rc;
}

int cmd_enrol(int argc, char **argv)
{
    struct enrol_opts o = {0};
    struct enrol_result r = {0};
    struct m2m_error err;
    json_t *store = NULL;
    int rc;

    if ((rc = parse_opts(argc, argv, &o)) != 0)
        return rc == 1 ? 0 : rc; /* 1: --help was printed */
    if ((rc = check_opts(&o)) != 0)
        return rc;
    r.mef_url = o.gba ? o.bsf : o.mef;
    r.mef_name = o.mef_name;
    /* The store is checked before any network traffic: an enrolment the device could not
     * keep would only leave an unused Ke at the MEF. */
    if (enrol_store_open(o.state, &store, &err) != 0 ||
        (o.gba ? enrol_gba_run(&o, &r, &err) : enrol_run(&o, &r, &err)) != 0 ||
        enrol_store_commit(o.state, store, &r, &err) != 0)
        rc = cli_fail("enrol", &err);
    else
        enrol_print(&r, o.reveal, o.json, o.state);
    if (store != NULL)
        enrol_json_wipe_keys(store);
    json_decref(store);
    enrol_result_clear(&r);
    return rc;
}
