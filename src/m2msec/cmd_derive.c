/* m2msec derive: the TS-0003 key derivations from their inputs, for operators and scripts.
 * Key material is printed only with --reveal; hex secrets can be read from stdin ("-") so
 * they need not appear on the command line. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <m2msec/crypto.h>
#include <m2msec/encoding.h>
#include <m2msec/secret.h>

#include "cli.h"

struct derive_opts {
    const char *action;
    const char *export_hex, *ke_hex, *km_hex, *ck_hex, *ik_hex, *rand_hex;
    const char *fqdn, *id, *impi;
    unsigned suid;
    unsigned suite;
    int reveal, json;
};

struct out_field {
    const char *name;
    const char *value;
};

static const char USAGE[] =
    "usage: m2msec derive <action> [options]\n"
    "\n"
    "actions:\n"
    "  keid    --export HEX --fqdn MEF-FQDN      RelativeKeID, KeID and Ke (TS-0003 10.3.1)\n"
    "  kc      --export HEX --fqdn MAF-FQDN      KcID and Kc from an EXPORTER-oneM2M-Connection\n"
    "  km      --ke HEX --id MAF-ID [--fqdn MAF-FQDN]   Km (10.3.4) and, with --fqdn, KmID\n"
    "  kpsa    --ke HEX --id ENROLEE-B-ID        Kpsa (10.3.5)\n"
    "  usage   --ke HEX --suid N --id TARGET-FQDN   usage-constrained key (10.3.7)\n"
    "  kmid    --km HEX --fqdn MAF-FQDN          KmID of a Km\n"
    "  ks-naf  --ck HEX --ik HEX --rand HEX --impi IMPI --fqdn NAF-FQDN [--suite 0x00ae]\n"
    "                                            GBA Ks_NAF (3GPP TS 33.220 B.3)\n"
    "\n"
    "options:\n"
    "  --reveal   print key material (otherwise only identifiers are printed)\n"
    "  --json     one JSON object on stdout\n"
    "  A HEX argument given as '-' is read from one line of standard input.\n";

static char stdin_line[1024];

/* "-" reads the value from stdin, so secrets stay out of argv and the process table. */
static const char *hex_arg(const char *arg)
{
    size_t n;

    if (strcmp(arg, "-") != 0)
        return arg;
    if (fgets(stdin_line, sizeof(stdin_line), stdin) == NULL)
        return "";
    n = strcspn(stdin_line, "\r\n");
    stdin_line[n] = '\0';
    return stdin_line;
}

static int parse_uint(const char *s, unsigned max, unsigned *out)
{
    char *end = NULL;
    unsigned long v = strtoul(s, &end, 0);

    if (*s == '\0' || *s == '-' || *end != '\0' || v > max)
        return -1;
    *out = (unsigned)v;
    return 0;
}

static int parse_opts(int argc, char **argv, struct derive_opts *o)
{
    static const struct option longopts[] = {
        {"export", required_argument, NULL, 'e'},
        {"ke", required_argument, NULL, 'k'},
        {"km", required_argument, NULL, 'm'},
        {"ck", required_argument, NULL, 'c'},
        {"ik", required_argument, NULL, 'i'},
        {"rand", required_argument, NULL, 'r'},
        {"fqdn", required_argument, NULL, 'f'},
        {"id", required_argument, NULL, 'd'},
        {"impi", required_argument, NULL, 'p'},
        {"suid", required_argument, NULL, 's'},
        {"suite", required_argument, NULL, 'S'},
        {"reveal", no_argument, NULL, 'R'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;

    o->suite = 0x00ae; /* TLS_PSK_WITH_AES_128_CBC_SHA256, the TS-0003 PSK suite over TLS */
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'e':
            o->export_hex = hex_arg(optarg);
            break;
        case 'k':
            o->ke_hex = hex_arg(optarg);
            break;
        case 'm':
            o->km_hex = hex_arg(optarg);
            break;
        case 'c':
            o->ck_hex = hex_arg(optarg);
            break;
        case 'i':
            o->ik_hex = hex_arg(optarg);
            break;
        case 'r':
            o->rand_hex = optarg;
            break;
        case 'f':
            o->fqdn = optarg;
            break;
        case 'd':
            o->id = optarg;
            break;
        case 'p':
            o->impi = optarg;
            break;
        case 's':
            if (parse_uint(optarg, 255, &o->suid) != 0)
                return cli_usage_error("derive", "--suid takes a number, not '%s'", optarg);
            break;
        case 'S':
            if (parse_uint(optarg, 0xffff, &o->suite) != 0)
                return cli_usage_error("derive", "--suite takes a 16-bit number");
            break;
        case 'R':
            o->reveal = 1;
            break;
        case 'j':
            o->json = 1;
            break;
        case 'h':
            fputs(USAGE, stdout);
            return 1;
        default:
            return cli_usage_error("derive", "unknown option");
        }
    }
    if (optind != argc - 1)
        return cli_usage_error("derive", "expected one action");
    o->action = argv[optind];
    return 0;
}

static int need(const char *v, const char *flag, const char *action)
{
    if (v != NULL)
        return 0;
    return cli_usage_error("derive", "%s needs %s", action, flag);
}

static void print_fields(const struct derive_opts *o, const struct out_field *f, size_t n)
{
    if (o->json) {
        json_t *obj = json_object();
        char *s;
        for (size_t i = 0; i < n; i++)
            if (f[i].value != NULL)
                json_object_set_new(obj, f[i].name, json_string(f[i].value));
        s = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
        if (s != NULL)
            puts(s);
        free(s);
        json_decref(obj);
        return;
    }
    for (size_t i = 0; i < n; i++)
        if (f[i].value != NULL)
            printf("%-14s %s\n", f[i].name, f[i].value);
}

/* Hex of a secret when revealing, NULL otherwise; buf must hold 2*len+1. */
static const char *show_secret(const struct derive_opts *o, const struct m2m_secret *s, char *buf,
                               size_t bufsz)
{
    struct m2m_error err;

    if (!o->reveal || s == NULL)
        return NULL;
    if (m2m_hex_encode(m2m_secret_cdata(s), m2m_secret_len(s), buf, bufsz, &err) != 0)
        return NULL;
    return buf;
}

/* Hex of exactly len bytes. */
static int decode_exact(const char *hex, const char *flag, unsigned char *out, size_t len,
                        struct m2m_error *err)
{
    size_t n = 0;

    if (m2m_hex_decode(hex, out, len, &n, err) != 0)
        return -1;
    if (n != len)
        return m2m_error_set(err, M2M_E_INVALID_ARG, "%s must be %zu bytes of hex", flag, len);
    return 0;
}

static struct m2m_secret *secret_arg(const char *hex, const char *flag, size_t len,
                                     struct m2m_error *err)
{
    struct m2m_secret *s = m2m_secret_from_hex(hex, err);

    if (s != NULL && len != 0 && m2m_secret_len(s) != len) {
        m2m_error_set(err, M2M_E_INVALID_ARG, "%s must be %zu bytes of hex", flag, len);
        m2m_secret_free(s);
        return NULL;
    }
    return s;
}

static int do_split(const struct derive_opts *o, const char *key_name, const char *id_name)
{
    unsigned char exp[M2M_EXPORT_LEN];
    char keyid[M2M_KEYID_MAX], rel[2 * M2M_RELID_LEN + 1], keyhex[2 * M2M_KEY_LEN + 1];
    struct m2m_secret *key = NULL;
    struct m2m_error err;
    int rc = 1;

    if (need(o->export_hex, "--export", o->action) || need(o->fqdn, "--fqdn", o->action))
        return 2;
    if (decode_exact(o->export_hex, "--export", exp, sizeof(exp), &err) != 0 ||
        m2m_export_split(exp, o->fqdn, &key, keyid, &err) != 0) {
        rc = cli_fail("derive", &err);
        goto out;
    }
    memcpy(rel, keyid, 2 * M2M_RELID_LEN);
    rel[2 * M2M_RELID_LEN] = '\0';
    {
        const struct out_field f[] = {
            {"relativeKeyId", rel},
            {id_name, keyid},
            {key_name, show_secret(o, key, keyhex, sizeof(keyhex))},
        };
        print_fields(o, f, 3);
    }
    rc = 0;
out:
    m2m_wipe(exp, sizeof(exp));
    m2m_wipe(keyhex, sizeof(keyhex));
    m2m_secret_free(key);
    return rc;
}

/* km, kpsa, usage: a key from Ke and an identifier. */
static int do_from_ke(const struct derive_opts *o)
{
    char hex[2 * M2M_KEY_LEN + 1], kmid[M2M_KEYID_MAX];
    struct m2m_secret *ke = NULL, *k = NULL;
    struct m2m_error err;
    int is_km = strcmp(o->action, "km") == 0;
    int is_usage = strcmp(o->action, "usage") == 0;
    int rc = 1;

    if (need(o->ke_hex, "--ke", o->action) || need(o->id, "--id", o->action))
        return 2;
    if (is_usage && o->suid == 0)
        return cli_usage_error("derive", "usage needs --suid");
    if ((ke = secret_arg(o->ke_hex, "--ke", M2M_KEY_LEN, &err)) == NULL)
        goto fail;
    if (is_km)
        k = m2m_derive_km(ke, o->id, &err);
    else if (is_usage)
        k = m2m_derive_usage_key(ke, o->suid, o->id, &err);
    else
        k = m2m_derive_kpsa(ke, o->id, &err);
    if (k == NULL)
        goto fail;
    if (is_km && o->fqdn != NULL && m2m_derive_kmid(k, o->fqdn, kmid, &err) != 0)
        goto fail;
    {
        const struct out_field f[] = {
            {is_km      ? "km"
             : is_usage ? "usageKey"
                        : "kpsa",
             show_secret(o, k, hex, sizeof(hex))},
            {"kmId", is_km && o->fqdn ? kmid : NULL},
        };
        if (!o->reveal && !(is_km && o->fqdn))
            fprintf(stderr, "m2msec derive: key material is printed only with --reveal\n");
        print_fields(o, f, 2);
    }
    rc = 0;
    goto out;
fail:
    rc = cli_fail("derive", &err);
out:
    m2m_wipe(hex, sizeof(hex));
    m2m_secret_free(ke);
    m2m_secret_free(k);
    return rc;
}

static int do_kmid(const struct derive_opts *o)
{
    char kmid[M2M_KEYID_MAX];
    struct m2m_secret *km = NULL;
    struct m2m_error err;
    int rc = 1;

    if (need(o->km_hex, "--km", o->action) || need(o->fqdn, "--fqdn", o->action))
        return 2;
    if ((km = secret_arg(o->km_hex, "--km", M2M_KEY_LEN, &err)) == NULL ||
        m2m_derive_kmid(km, o->fqdn, kmid, &err) != 0) {
        rc = cli_fail("derive", &err);
    } else {
        const struct out_field f[] = {{"kmId", kmid}};
        print_fields(o, f, 1);
        rc = 0;
    }
    m2m_secret_free(km);
    return rc;
}

static int do_ks_naf(const struct derive_opts *o)
{
    unsigned char ks[32], rnd[16], ua[M2M_GBA_UA_ID_LEN];
    char hex[2 * M2M_KEY_LEN + 1];
    struct m2m_secret *ksec = NULL, *naf = NULL;
    struct m2m_error err;
    int rc = 1;

    if (need(o->ck_hex, "--ck", o->action) || need(o->ik_hex, "--ik", o->action) ||
        need(o->rand_hex, "--rand", o->action) || need(o->impi, "--impi", o->action) ||
        need(o->fqdn, "--fqdn", o->action))
        return 2;
    /* Ks = CK || IK (3GPP TS 33.220 4.5.2) */
    if (decode_exact(o->ck_hex, "--ck", ks, 16, &err) != 0 ||
        decode_exact(o->ik_hex, "--ik", ks + 16, 16, &err) != 0 ||
        decode_exact(o->rand_hex, "--rand", rnd, 16, &err) != 0 ||
        (ksec = m2m_secret_from(ks, sizeof(ks), &err)) == NULL)
        goto fail;
    m2m_gba_ua_tls_psk((uint16_t)o->suite, ua);
    if ((naf = m2m_gba_ks_naf(ksec, rnd, o->impi, o->fqdn, ua, &err)) == NULL)
        goto fail;
    {
        const struct out_field f[] = {{"ksNaf", show_secret(o, naf, hex, sizeof(hex))}};
        if (!o->reveal)
            fprintf(stderr, "m2msec derive: key material is printed only with --reveal\n");
        print_fields(o, f, 1);
    }
    rc = 0;
    goto out;
fail:
    rc = cli_fail("derive", &err);
out:
    m2m_wipe(ks, sizeof(ks));
    m2m_wipe(hex, sizeof(hex));
    m2m_secret_free(ksec);
    m2m_secret_free(naf);
    return rc;
}

int cmd_derive(int argc, char **argv)
{
    struct derive_opts o;
    int rc;

    memset(&o, 0, sizeof(o));
    if ((rc = parse_opts(argc, argv, &o)) != 0)
        return rc == 1 ? 0 : rc; /* 1 from parse_opts means --help was printed */
    if (strcmp(o.action, "keid") == 0)
        rc = do_split(&o, "ke", "keId");
    else if (strcmp(o.action, "kc") == 0)
        rc = do_split(&o, "kc", "kcId");
    else if (strcmp(o.action, "km") == 0 || strcmp(o.action, "kpsa") == 0 ||
             strcmp(o.action, "usage") == 0)
        rc = do_from_ke(&o);
    else if (strcmp(o.action, "kmid") == 0)
        rc = do_kmid(&o);
    else if (strcmp(o.action, "ks-naf") == 0)
        rc = do_ks_naf(&o);
    else
        rc = cli_usage_error("derive", "unknown action '%s'", o.action);
    m2m_wipe(stdin_line, sizeof(stdin_line));
    return rc;
}
