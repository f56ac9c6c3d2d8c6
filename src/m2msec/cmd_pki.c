/* m2msec pki: create CAs, certificates of every oneM2M flavour (TS-0003 V3 10.1.1), and
 * CRLs. Files: NAME.key.pem (0600), NAME.cert.pem, and beside a CA NAME.revoked (the
 * certificates it revoked) and NAME.crl.pem. Uses only the public API. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <m2msec/pki.h>

#include "cli.h"

#define DAY          86400
#define PATH_MAX_LEN 4096

struct validity {
    time_t not_before, not_after;
    long days;
};

/* RFC 3339 UTC ("2030-01-02T03:04:05Z") or relative days ("+30d", "-2d"). */
static int parse_time(const char *s, time_t *out)
{
    struct tm tm = {0};
    char *end = NULL;

    if ((s[0] == '+' || s[0] == '-') && s[1] != '\0') {
        long d = strtol(s, &end, 10);
        if (end == NULL || (*end != 'd' && *end != '\0') || (*end == 'd' && end[1] != '\0'))
            return -1;
        *out = time(NULL) + (time_t)d * DAY;
        return 0;
    }
    end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (end == NULL || (strcmp(end, "Z") != 0 && strcmp(end, "+00:00") != 0))
        return -1;
    *out = timegm(&tm);
    return 0;
}

static int parse_long(const char *s, long min, long max, long *out)
{
    char *end = NULL;
    long v = strtol(s, &end, 10);

    if (*s == '\0' || end == NULL || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

static void apply_validity(const struct validity *v, struct m2m_cert_spec *spec)
{
    time_t now = time(NULL);

    spec->not_before = v->not_before != 0 ? v->not_before : now;
    spec->not_after = v->not_after != 0 ? v->not_after : spec->not_before + v->days * DAY;
}

static int pathf(char *buf, const char *base, const char *suffix)
{
    return snprintf(buf, PATH_MAX_LEN, "%s%s", base, suffix) < PATH_MAX_LEN ? 0 : -1;
}

static struct m2m_credential *load_issuer(const char *base, struct m2m_error *err)
{
    char key[PATH_MAX_LEN], cert[PATH_MAX_LEN];

    if (pathf(key, base, ".key.pem") != 0 || pathf(cert, base, ".cert.pem") != 0) {
        m2m_error_set(err, M2M_E_INVALID_ARG, "issuer path too long");
        return NULL;
    }
    return m2m_credential_load(key, cert, NULL, err);
}

/* Issues spec under issuer_base (NULL = self-signed) and writes out_base.{key,cert}.pem. */
static int issue_to(const char *cmd, const struct m2m_cert_spec *spec, const char *issuer_base,
                    const char *out_base)
{
    struct m2m_error err = {0};
    struct m2m_credential *issuer = NULL;
    EVP_PKEY *key = NULL;
    X509 *cert = NULL;
    char kpath[PATH_MAX_LEN], cpath[PATH_MAX_LEN];
    int status = 1;

    if (pathf(kpath, out_base, ".key.pem") != 0 || pathf(cpath, out_base, ".cert.pem") != 0) {
        m2m_error_set(&err, M2M_E_INVALID_ARG, "output path too long");
        goto out;
    }
    if (issuer_base != NULL && (issuer = load_issuer(issuer_base, &err)) == NULL)
        goto out;
    if (m2m_pki_issue(spec, issuer, &key, &cert, &err) != 0 ||
        m2m_pki_write_key(kpath, key, &err) != 0 || m2m_pki_write_cert(cpath, cert, &err) != 0)
        goto out;
    printf("%s\n%s\n", kpath, cpath);
    status = 0;
out:
    EVP_PKEY_free(key);
    X509_free(cert);
    m2m_credential_free(issuer);
    return status == 0 ? 0 : cli_fail(cmd, &err);
}

/* Options both ca and cert take. Returns 1 when handled, 0 when not, -1 on a bad value. */
static int validity_opt(int c, const char *arg, struct validity *v)
{
    switch (c) {
    case 'd':
        return parse_long(arg, 1, 36500, &v->days) == 0 ? 1 : -1;
    case 'b':
        return parse_time(arg, &v->not_before) == 0 ? 1 : -1;
    case 'a':
        return parse_time(arg, &v->not_after) == 0 ? 1 : -1;
    default:
        return 0;
    }
}

static const char ca_help[] =
    "usage: m2msec pki ca --out DIR/NAME [--issuer DIR/PARENT] [--cn CN]\n"
    "                     [--permit-dns HOST]... [--pathlen N]\n"
    "                     [--days N | --not-before T --not-after T]\n"
    "Creates a root CA (no --issuer) or an intermediate CA: NAME.key.pem (0600) and\n"
    "NAME.cert.pem. --permit-dns adds nameConstraints permitting HOST and the names below\n"
    "it as dNSName and URI host. T is RFC 3339 UTC (2030-01-02T00:00:00Z) or +Nd / -Nd.\n";

static int cmd_ca(int argc, char **argv)
{
    static const struct option opts[] = {
        {"out", required_argument, NULL, 'o'},
        {"issuer", required_argument, NULL, 'i'},
        {"cn", required_argument, NULL, 'c'},
        {"permit-dns", required_argument, NULL, 'p'},
        {"pathlen", required_argument, NULL, 'l'},
        {"days", required_argument, NULL, 'd'},
        {"not-before", required_argument, NULL, 'b'},
        {"not-after", required_argument, NULL, 'a'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct m2m_cert_spec spec = {.path_len = -1, .common_name = "m2msec CA"};
    struct validity v = {.days = 3650};
    const char *out = NULL, *issuer = NULL;
    size_t n_permit = 0;
    long pathlen = -1;
    int c, r;

    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if ((r = validity_opt(c, optarg, &v)) != 0) {
            if (r < 0)
                return cli_usage_error("pki ca", "bad value '%s'", optarg);
            continue;
        }
        switch (c) {
        case 'o':
            out = optarg;
            break;
        case 'i':
            issuer = optarg;
            break;
        case 'c':
            spec.common_name = optarg;
            break;
        case 'p':
            if (n_permit == M2M_MAX_CONSTRAINTS)
                return cli_usage_error("pki ca", "at most %d --permit-dns", M2M_MAX_CONSTRAINTS);
            spec.permitted_dns[n_permit++] = optarg;
            break;
        case 'l':
            if (parse_long(optarg, 0, 16, &pathlen) != 0)
                return cli_usage_error("pki ca", "bad --pathlen '%s'", optarg);
            break;
        case 'h':
            fputs(ca_help, stdout);
            return 0;
        default:
            return cli_usage_error("pki ca", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (out == NULL || optind != argc)
        return cli_usage_error("pki ca", "--out is required, and no other arguments");
    spec.kind = issuer != NULL ? M2M_CERT_INTERMEDIATE_CA : M2M_CERT_ROOT_CA;
    spec.path_len = (int)pathlen;
    apply_validity(&v, &spec);
    return issue_to("pki ca", &spec, issuer, out);
}

static const char cert_help[] =
    "usage: m2msec pki cert --flavour device|node-id|cse-id|ae-id|fqdn --id IDENTITY\n"
    "                       --issuer DIR/CA --out DIR/NAME [--cn CN] [--key-type p256]\n"
    "                       [--days N | --not-before T --not-after T]\n"
    "                       [--expired] [--not-yet-valid]\n"
    "Creates an end-entity certificate carrying IDENTITY in the subjectAltName entry of\n"
    "its flavour: device 0.2.481.1.<arcs> (otherName) or urn:dev:...; node-id the same\n"
    "OID form or a URI; cse-id a domain name; ae-id onem2m://sp/CSE/AE; fqdn a domain\n"
    "name or a URI. --expired / --not-yet-valid make certificates for negative tests.\n";

static int parse_key_type(const char *s, enum m2m_key_type *out)
{
    if (strcmp(s, "p256") == 0)
        *out = M2M_KEY_P256;
    else if (strcmp(s, "p384") == 0)
        *out = M2M_KEY_P384;
    else if (strcmp(s, "rsa2048") == 0)
        *out = M2M_KEY_RSA2048;
    else
        return -1;
    return 0;
}

static int cmd_cert(int argc, char **argv)
{
    static const struct option opts[] = {
        {"flavour", required_argument, NULL, 'f'},
        {"id", required_argument, NULL, 'I'},
        {"issuer", required_argument, NULL, 'i'},
        {"out", required_argument, NULL, 'o'},
        {"cn", required_argument, NULL, 'c'},
        {"key-type", required_argument, NULL, 'k'},
        {"days", required_argument, NULL, 'd'},
        {"not-before", required_argument, NULL, 'b'},
        {"not-after", required_argument, NULL, 'a'},
        {"expired", no_argument, NULL, 'E'},
        {"not-yet-valid", no_argument, NULL, 'N'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct m2m_cert_spec spec = {.kind = M2M_CERT_END_ENTITY, .path_len = -1};
    struct validity v = {.days = 365};
    struct m2m_error err = {0};
    const char *out = NULL, *issuer = NULL, *flavour = NULL;
    int c, r, expired = 0, notyet = 0;

    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if ((r = validity_opt(c, optarg, &v)) != 0) {
            if (r < 0)
                return cli_usage_error("pki cert", "bad value '%s'", optarg);
            continue;
        }
        switch (c) {
        case 'f':
            flavour = optarg;
            break;
        case 'I':
            spec.identity = optarg;
            break;
        case 'i':
            issuer = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        case 'c':
            spec.common_name = optarg;
            break;
        case 'k':
            if (parse_key_type(optarg, &spec.key_type) != 0)
                return cli_usage_error("pki cert", "bad --key-type '%s'", optarg);
            break;
        case 'E':
            expired = 1;
            break;
        case 'N':
            notyet = 1;
            break;
        case 'h':
            fputs(cert_help, stdout);
            return 0;
        default:
            return cli_usage_error("pki cert", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (flavour == NULL || spec.identity == NULL || issuer == NULL || out == NULL || optind != argc)
        return cli_usage_error("pki cert", "--flavour, --id, --issuer and --out are required");
    if (m2m_flavour_parse(flavour, &spec.flavour, &err) != 0)
        return cli_usage_error("pki cert", "unknown flavour '%s'", flavour);
    if (expired && notyet)
        return cli_usage_error("pki cert", "--expired and --not-yet-valid exclude each other");
    if (expired) {
        v.not_before = time(NULL) - 30 * DAY;
        v.not_after = time(NULL) - DAY;
    } else if (notyet) {
        v.not_before = time(NULL) + DAY;
        v.not_after = time(NULL) + 30 * DAY;
    }
    apply_validity(&v, &spec);
    return issue_to("pki cert", &spec, issuer, out);
}

/* The certificates a CA revoked so far (ISSUER.revoked), or an empty list. */
static STACK_OF(X509) *load_revoked(const char *path, struct m2m_error *err)
{
    if (access(path, F_OK) != 0)
        return sk_X509_new_null();
    return m2m_pki_load_certs(path, err);
}

/* Rewrites ISSUER.revoked (temp file + rename, so a crash keeps the old list). */
static int save_revoked(const char *path, STACK_OF(X509) *revoked, struct m2m_error *err)
{
    char tmp[PATH_MAX_LEN];
    FILE *f;
    int ok = 1;

    if (pathf(tmp, path, ".tmp") != 0 || (f = fopen(tmp, "w")) == NULL)
        return m2m_error_set_errno(err, M2M_E_IO, "%s", path);
    for (int i = 0; i < sk_X509_num(revoked); i++)
        ok &= PEM_write_X509(f, sk_X509_value(revoked, i));
    ok &= fflush(f) == 0 && fsync(fileno(f)) == 0;
    ok &= fclose(f) == 0;
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return m2m_error_set_errno(err, M2M_E_IO, "%s", path);
    }
    return 0;
}

/* Signs a CRL over every certificate in ISSUER.revoked and writes it to out. */
static int write_crl(const struct m2m_credential *ca, const char *revoked_path,
                     STACK_OF(X509) *extra, const char *out, struct m2m_error *err)
{
    int rc = -1;
    STACK_OF(X509) *revoked = load_revoked(revoked_path, err);
    X509_CRL *crl = NULL;
    X509 **list = NULL;

    if (revoked == NULL)
        return -1;
    for (int i = 0; extra != NULL && i < sk_X509_num(extra); i++) {
        X509_up_ref(sk_X509_value(extra, i));
        sk_X509_push(revoked, sk_X509_value(extra, i));
    }
    list = calloc((size_t)sk_X509_num(revoked) + 1, sizeof(*list));
    if (list == NULL) {
        m2m_error_set(err, M2M_E_NOMEM, "revoked list");
        goto out;
    }
    for (int i = 0; i < sk_X509_num(revoked); i++)
        list[i] = sk_X509_value(revoked, i);
    if (m2m_pki_make_crl(ca, list, (size_t)sk_X509_num(revoked), 30, &crl, err) != 0 ||
        (extra != NULL && save_revoked(revoked_path, revoked, err) != 0) ||
        m2m_pki_write_crl(out, crl, err) != 0)
        goto out;
    printf("%s\n", out);
    rc = 0;
out:
    free(list);
    X509_CRL_free(crl);
    sk_X509_pop_free(revoked, X509_free);
    return rc;
}

static const char revoke_help[] =
    "usage: m2msec pki revoke --issuer DIR/CA --cert FILE [--crl-out FILE]\n"
    "Adds FILE to the CA's revoked list (DIR/CA.revoked) and writes a new CRL over the\n"
    "whole list to FILE (default DIR/CA.crl.pem), valid for 30 days.\n";
static const char crl_help[] =
    "usage: m2msec pki crl --issuer DIR/CA [--out FILE]\n"
    "Writes a CRL over the CA's revoked list (DIR/CA.revoked; empty if none) to FILE\n"
    "(default DIR/CA.crl.pem), valid for 30 days.\n";

/* pki revoke (with_cert) and pki crl share everything but the added certificate. */
static int crl_command(const char *cmd, const char *help, int with_cert, int argc, char **argv)
{
    static const struct option opts[] = {
        {"issuer", required_argument, NULL, 'i'},  {"cert", required_argument, NULL, 'c'},
        {"crl-out", required_argument, NULL, 'o'}, {"out", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    struct m2m_error err = {0};
    const char *issuer = NULL, *cert = NULL, *out = NULL;
    char rpath[PATH_MAX_LEN], opath[PATH_MAX_LEN];
    struct m2m_credential *ca = NULL;
    STACK_OF(X509) *extra = NULL;
    int c, rc = -1;

    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'i':
            issuer = optarg;
            break;
        case 'c':
            cert = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        case 'h':
            fputs(help, stdout);
            return 0;
        default:
            return cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (issuer == NULL || optind != argc || (with_cert != (cert != NULL)))
        return cli_usage_error(cmd, with_cert ? "--issuer and --cert are required"
                                              : "--issuer is required (and no --cert)");
    if (pathf(rpath, issuer, ".revoked") != 0 || pathf(opath, issuer, ".crl.pem") != 0)
        return cli_usage_error(cmd, "issuer path too long");
    if ((ca = load_issuer(issuer, &err)) == NULL)
        goto out;
    if (cert != NULL && (extra = m2m_pki_load_certs(cert, &err)) == NULL)
        goto out;
    rc = write_crl(ca, rpath, extra, out != NULL ? out : opath, &err);
out:
    sk_X509_pop_free(extra, X509_free);
    m2m_credential_free(ca);
    return rc == 0 ? 0 : cli_fail(cmd, &err);
}

static void print_time(const char *label, const ASN1_TIME *t)
{
    struct tm tm;
    char buf[32] = "?";

    if (ASN1_TIME_to_tm(t, &tm) == 1)
        strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
    printf("%-11s %s\n", label, buf);
}

static void print_cert(X509 *x)
{
    char name[512];
    struct m2m_error err = {0};

    X509_NAME_oneline(X509_get_subject_name(x), name, sizeof(name));
    printf("subject     %s\n", name);
    X509_NAME_oneline(X509_get_issuer_name(x), name, sizeof(name));
    printf("issuer      %s\n", name);
    print_time("not-before", X509_get0_notBefore(x));
    print_time("not-after", X509_get0_notAfter(x));
    printf("ca          %s\n", X509_check_ca(x) ? "yes" : "no");
    for (int f = M2M_FLAVOUR_DEVICE; f < M2M_FLAVOUR__COUNT; f++) {
        char **ids = NULL;
        int n = m2m_cert_identities(x, (enum m2m_flavour)f, &ids, &err);

        for (int i = 0; i < n; i++) {
            printf("%-11s %s\n", m2m_flavour_name((enum m2m_flavour)f), ids[i]);
            free(ids[i]);
        }
        free(ids);
    }
}

static int cmd_show(int argc, char **argv)
{
    struct m2m_error err = {0};
    STACK_OF(X509) *certs;

    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        puts("usage: m2msec pki show FILE\n"
             "Prints subject, issuer, validity and the identities of every flavour found in\n"
             "each certificate of FILE (PEM or DER).");
        return 0;
    }
    if (argc != 2 || argv[1][0] == '-')
        return cli_usage_error("pki show", "exactly one FILE is required");
    if ((certs = m2m_pki_load_certs(argv[1], &err)) == NULL)
        return cli_fail("pki show", &err);
    for (int i = 0; i < sk_X509_num(certs); i++) {
        if (i > 0)
            putchar('\n');
        print_cert(sk_X509_value(certs, i));
    }
    sk_X509_pop_free(certs, X509_free);
    return 0;
}

static int cmd_revoke(int argc, char **argv)
{
    return crl_command("pki revoke", revoke_help, 1, argc, argv);
}

static int cmd_crl(int argc, char **argv)
{
    return crl_command("pki crl", crl_help, 0, argc, argv);
}

static const struct cli_command actions[] = {
    {"ca", "create a root or intermediate CA", cmd_ca},
    {"cert", "create an end-entity certificate of a oneM2M flavour", cmd_cert},
    {"revoke", "revoke a certificate and write the CA's CRL", cmd_revoke},
    {"crl", "write the CA's CRL", cmd_crl},
    {"show", "print a certificate's identities, issuer and validity", cmd_show},
};

static void pki_usage(FILE *f)
{
    fprintf(f, "usage: m2msec pki <action> [options]\n\nactions:\n");
    for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
        fprintf(f, "  %-8s %s\n", actions[i].name, actions[i].summary);
    fprintf(f, "\nRun 'm2msec pki <action> --help' for an action's options.\n");
}

int cmd_pki(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error("pki", "an action is required");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        pki_usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
        if (strcmp(argv[1], actions[i].name) == 0) {
            opterr = 0; /* one line of our own instead of getopt's message */
            optind = 1;
            return actions[i].run(argc - 1, argv + 1);
        }
    }
    return cli_usage_error("pki", "unknown action '%s'", argv[1]);
}
