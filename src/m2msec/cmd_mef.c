/* m2msec mef: administration of an MEF's store. Who may enrol -- enrolees registered one by
 * one, policies admitting a class of certificates, PSK enrolees -- and with which
 * instructions (TS-0003 8.3.1.2 "Bootstrap Instruction Configuration"). Targets, keys and
 * the audit log are in cmd_mef_target.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <m2msec/id.h>
#include <m2msec/mef.h>
#include <m2msec/pki.h>

#include "admin_util.h"
#include "cli.h"

#define DEFAULT_KE_LIFETIME (30LL * 86400)

/* ---- values shared by the three kinds of registration ---- */

/* The certificate identity as m2m_verify_cert reports it for the flavour (m2msec/pki.h), so
 * the exact comparison at enrolment finds the registration. */
static int cert_identity(struct admin_ctx *c, enum m2m_flavour f, const char *in, char *out,
                         size_t outsz)
{
    struct m2m_id id;
    char ae[M2M_ID_MAX + 1];

    if (strchr(in, '*') != NULL)
        return m2m_error_set(&c->err, M2M_E_CERT_WILDCARD, "identity '%s'", in);
    if (f == M2M_FLAVOUR_CSE_ID || (f == M2M_FLAVOUR_FQDN && strstr(in, "://") == NULL))
        return m2m_fqdn_normalize(in, out, outsz, &c->err); /* a dNSName */
    if (f == M2M_FLAVOUR_AE_ID && strncasecmp(in, M2M_AE_URI_SCHEME ":", 7) == 0) {
        if (m2m_id_ae_uri_parse(in, &id, &c->err) != 0 ||
            m2m_id_format(&id, ae, sizeof(ae), &c->err) != 0)
            return -1;
        in = ae;
    }
    if (f == M2M_FLAVOUR_AE_ID) /* TS-0003 10.1.1.5: the URI of the Absolute AE-ID */
        return m2m_id_ae_uri(in, c->o->sp_id, out, outsz, &c->err);
    if (in[0] == '\0' || strpbrk(in, " \t\r\n") != NULL)
        return m2m_error_set(&c->err, M2M_E_INVALID_ARG, "identity '%s' is empty or has spaces",
                             in);
    snprintf(out, outsz, "%s", in);
    return 0;
}

static int flavour_arg(struct admin_ctx *c, int *out)
{
    enum m2m_flavour f;

    if (m2m_flavour_parse(c->o->flavour, &f, &c->err) != 0)
        return -1;
    *out = (int)f;
    return 0;
}

static int64_t lifetime_arg(const struct admin_ctx *c)
{
    return (c->o->given & AO_LIFETIME) ? c->o->lifetime : DEFAULT_KE_LIFETIME;
}

/* Instructions text as JSON for listings: the array itself, or its count in columns. */
static json_t *instructions_cell(const struct admin_ctx *c, const char *text)
{
    json_t *arr = text ? json_loads(text, 0, NULL) : NULL;

    if (arr == NULL)
        return c->o->json ? json_array() : json_integer(0);
    if (c->o->json)
        return arr;
    json_t *n = json_integer((json_int_t)json_array_size(arr));
    json_decref(arr);
    return n;
}

/* A policy template must yield a valid Enrolee-ID, so it is tried on a sample identity. */
static int check_template(struct admin_ctx *c, const char *tmpl, const char *prefix)
{
    char sample[M2M_STORE_ID_MAX], expanded[M2M_STORE_ID_MAX], canon[M2M_STORE_ID_MAX];
    const char *sp = c->o->sp_id ? c->o->sp_id : "//sp.example.com";
    struct m2m_id id;

    for (const char *p = strchr(tmpl, '{'); p != NULL; p = strchr(p + 1, '{'))
        if (strncmp(p, "{identity}", 10) != 0 && strncmp(p, "{suffix}", 8) != 0)
            return m2m_error_set(&c->err, M2M_E_INVALID_ARG,
                                 "template '%s': only {identity} and {suffix} may be used", tmpl);
    snprintf(sample, sizeof(sample), "%s1", prefix);
    if (m2m_mef_expand_template(tmpl, sample, prefix, expanded, sizeof(expanded), &c->err) != 0 ||
        m2m_id_canonical(expanded, sp, canon, sizeof(canon), &c->err) != 0 ||
        m2m_id_parse(canon, M2M_ID_ANY, &id, &c->err) != 0)
        return -1;
    if (id.kind == M2M_ID_SP)
        return m2m_error_set(&c->err, M2M_E_ID_SYNTAX, "template '%s' yields an SP-ID", tmpl);
    return 0;
}

/* ---- enrolee ---- */

static int enrolee_add(struct admin_ctx *c)
{
    struct m2m_store_enrolee rec;
    int rc = 1;

    memset(&rec, 0, sizeof(rec));
    if (admin_enrolee_id(c, c->o->id, rec.enrolee_id, sizeof(rec.enrolee_id)) != 0 ||
        flavour_arg(c, &rec.flavour) != 0 ||
        cert_identity(c, rec.flavour, c->o->identity, rec.identity, sizeof(rec.identity)) != 0 ||
        admin_instructions(c, &rec.instructions) != 0)
        goto out;
    snprintf(rec.trust_set, sizeof(rec.trust_set), "%s", c->o->trust_set);
    rec.ke_lifetime = lifetime_arg(c);
    if (m2m_store_enrolee_add(c->store, &rec, &c->err) != 0)
        goto out;
    printf("enrolee %s added\n", rec.enrolee_id);
    rc = 0;
out:
    m2m_store_enrolee_clear(&rec);
    return rc ? admin_fail(c) : 0;
}

static json_t *enrolee_row(const struct admin_ctx *c, const struct m2m_store_enrolee *r)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:I, s:o, s:o}", "enroleeId", r->enrolee_id, "flavour",
                     m2m_flavour_name(r->flavour), "identity", r->identity, "trustSet",
                     r->trust_set, "keLifetime", (json_int_t)r->ke_lifetime, "instructions",
                     instructions_cell(c, r->instructions), "created", admin_time(r->created));
}

struct list_arg {
    const struct admin_ctx *c;
    json_t *rows;
};

static int enrolee_cb(const struct m2m_store_enrolee *r, void *arg)
{
    struct list_arg *l = arg;

    json_array_append_new(l->rows, enrolee_row(l->c, r));
    return 0;
}

static const struct admin_col enrolee_cols[] = {
    {"enroleeId", "ENROLEE-ID"}, {"flavour", "FLAVOUR"},     {"identity", "IDENTITY"},
    {"trustSet", "TRUST-SET"},   {"keLifetime", "LIFETIME"}, {"instructions", "INSTR"},
    {"created", "CREATED"},
};

static int enrolee_list(struct admin_ctx *c)
{
    struct list_arg l = {c, json_array()};

    if (m2m_store_enrolee_list(c->store, enrolee_cb, &l, &c->err) != 0) {
        json_decref(l.rows);
        return admin_fail(c);
    }
    admin_print(c, enrolee_cols, ADMIN_ARRAY_LEN(enrolee_cols), l.rows);
    return 0;
}

static int enrolee_show(struct admin_ctx *c)
{
    struct m2m_store_enrolee rec;
    char id[M2M_STORE_ID_MAX];
    json_t *row;
    char *s;

    memset(&rec, 0, sizeof(rec));
    if (admin_enrolee_id(c, c->o->id, id, sizeof(id)) != 0 ||
        m2m_store_enrolee_get(c->store, id, &rec, &c->err) != 0)
        return admin_fail(c);
    /* One record: the full instructions, as JSON in both output forms. */
    struct admin_ctx jc = *c;
    struct admin_opts jo = *c->o;
    jo.json = 1;
    jc.o = &jo;
    row = enrolee_row(&jc, &rec);
    s = json_dumps(row, (c->o->json ? JSON_COMPACT : JSON_INDENT(2)) | JSON_PRESERVE_ORDER);
    if (s != NULL)
        puts(s);
    free(s);
    json_decref(row);
    m2m_store_enrolee_clear(&rec);
    return 0;
}

static int enrolee_remove(struct admin_ctx *c)
{
    char id[M2M_STORE_ID_MAX];

    if (admin_enrolee_id(c, c->o->id, id, sizeof(id)) != 0 ||
        m2m_store_enrolee_remove(c->store, id, &c->err) != 0)
        return admin_fail(c);
    printf("enrolee %s removed\n", id);
    return 0;
}

/* ---- policy ---- */

static int policy_add(struct admin_ctx *c)
{
    struct m2m_store_policy rec;
    int rc = 1;

    memset(&rec, 0, sizeof(rec));
    if (flavour_arg(c, &rec.flavour) != 0)
        goto out;
    if (strchr(c->o->prefix, '*') != NULL) {
        m2m_error_set(&c->err, M2M_E_INVALID_ARG, "prefix is a plain string, '*' is not a pattern");
        goto out;
    }
    snprintf(rec.name, sizeof(rec.name), "%s", c->o->name);
    snprintf(rec.trust_set, sizeof(rec.trust_set), "%s", c->o->trust_set);
    snprintf(rec.prefix, sizeof(rec.prefix), "%s", c->o->prefix);
    snprintf(rec.id_template, sizeof(rec.id_template), "%s", c->o->tmpl);
    rec.ke_lifetime = lifetime_arg(c);
    if (check_template(c, c->o->tmpl, c->o->prefix) != 0 ||
        admin_instructions(c, &rec.instructions) != 0 ||
        m2m_store_policy_add(c->store, &rec, &c->err) != 0)
        goto out;
    printf("policy %s added\n", rec.name);
    rc = 0;
out:
    m2m_store_policy_clear(&rec);
    return rc ? admin_fail(c) : 0;
}

static int policy_cb(const struct m2m_store_policy *r, void *arg)
{
    struct list_arg *l = arg;

    json_array_append_new(l->rows,
                          json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:o, s:o}", "name", r->name,
                                    "flavour", m2m_flavour_name(r->flavour), "trustSet",
                                    r->trust_set, "prefix", r->prefix, "template", r->id_template,
                                    "keLifetime", (json_int_t)r->ke_lifetime, "instructions",
                                    instructions_cell(l->c, r->instructions), "created",
                                    admin_time(r->created)));
    return 0;
}

static const struct admin_col policy_cols[] = {
    {"name", "NAME"},          {"flavour", "FLAVOUR"},   {"trustSet", "TRUST-SET"},
    {"prefix", "PREFIX"},      {"template", "TEMPLATE"}, {"keLifetime", "LIFETIME"},
    {"instructions", "INSTR"}, {"created", "CREATED"},
};

static int policy_list(struct admin_ctx *c)
{
    struct list_arg l = {c, json_array()};

    if (m2m_store_policy_list(c->store, policy_cb, &l, &c->err) != 0) {
        json_decref(l.rows);
        return admin_fail(c);
    }
    admin_print(c, policy_cols, ADMIN_ARRAY_LEN(policy_cols), l.rows);
    return 0;
}

static int policy_remove(struct admin_ctx *c)
{
    if (m2m_store_policy_remove(c->store, c->o->name, &c->err) != 0)
        return admin_fail(c);
    printf("policy %s removed\n", c->o->name);
    return 0;
}

/* ---- PSK enrolees (TS-0003 8.3.1: Kpm pre-provisioned, psk_identity = KpmID) ---- */

static int psk_add(struct admin_ctx *c)
{
    struct m2m_store_psk_enrolee rec;
    struct m2m_keyid k;
    struct m2m_secret *kpm = NULL;
    int rc = 1;

    memset(&rec, 0, sizeof(rec));
    /* The KpmID is the TLS psk_identity, matched byte for byte, so it is kept as typed. */
    if (m2m_keyid_parse(c->o->kpm_id, &k, &c->err) != 0 ||
        admin_enrolee_id(c, c->o->enrolee, rec.enrolee_id, sizeof(rec.enrolee_id)) != 0 ||
        admin_instructions(c, &rec.instructions) != 0 ||
        (kpm = admin_secret(c, c->o->kpm_hex, c->o->kpm_file, "Kpm")) == NULL)
        goto out;
    snprintf(rec.kpm_id, sizeof(rec.kpm_id), "%s", c->o->kpm_id);
    rec.ke_lifetime = lifetime_arg(c);
    if (m2m_store_psk_enrolee_add(c->store, &rec, kpm, &c->err) != 0)
        goto out;
    printf("PSK enrolee %s (%s) added\n", rec.kpm_id, rec.enrolee_id);
    rc = 0;
out:
    m2m_secret_free(kpm);
    m2m_store_psk_enrolee_clear(&rec);
    return rc ? admin_fail(c) : 0;
}

static int psk_cb(const struct m2m_store_psk_enrolee *r, void *arg)
{
    struct list_arg *l = arg;

    json_array_append_new(
        l->rows,
        json_pack("{s:s, s:s, s:s, s:I, s:o, s:o}", "kpmId", r->kpm_id, "enroleeId", r->enrolee_id,
                  "kpm", "(sealed)", "keLifetime", (json_int_t)r->ke_lifetime, "instructions",
                  instructions_cell(l->c, r->instructions), "created", admin_time(r->created)));
    return 0;
}

static const struct admin_col psk_cols[] = {
    {"kpmId", "KPM-ID"},        {"enroleeId", "ENROLEE-ID"}, {"kpm", "KPM"},
    {"keLifetime", "LIFETIME"}, {"instructions", "INSTR"},   {"created", "CREATED"},
};

static int psk_list(struct admin_ctx *c)
{
    struct list_arg l = {c, json_array()};

    if (m2m_store_psk_enrolee_list(c->store, psk_cb, &l, &c->err) != 0) {
        json_decref(l.rows);
        return admin_fail(c);
    }
    admin_print(c, psk_cols, ADMIN_ARRAY_LEN(psk_cols), l.rows);
    return 0;
}

static int psk_remove(struct admin_ctx *c)
{
    if (m2m_store_psk_enrolee_remove(c->store, c->o->kpm_id, &c->err) != 0)
        return admin_fail(c);
    printf("PSK enrolee %s removed\n", c->o->kpm_id);
    return 0;
}

/* ---- the command ---- */

#define INSTR_SYN "[--instructions FILE] [--maf-id FQDN [--maf-uri URI] [--maf-anchor PEM]]"
#define INSTR_HELP                                                                                 \
    "  --instructions FILE  a JSON array of instruction objects ('-': stdin), checked now as\n"    \
    "                       the MEF reads them at enrolment\n"                                     \
    "  --maf-id FQDN        adds a mafEnrolment instruction (symmetric) for this MAF, with\n"      \
    "  --maf-uri URI        its URI, --maf-anchor PEMFILE its trust anchors, and\n"                \
    "  --maf-suid N         its SUID (default 21)\n"                                               \
    "  --lifetime SECONDS   lifetime of each Ke (default 2592000, 30 days)\n"

static const struct admin_action mef_actions[] = {
    {"enrolee", "add", AO_ID | AO_FLAVOUR | AO_IDENTITY | AO_TRUST_SET | AO_LIFETIME | AO_INSTR,
     AO_ID | AO_FLAVOUR | AO_IDENTITY | AO_TRUST_SET, 0, enrolee_add,
     "--id ENROLEE-ID --flavour F --identity CERT-ID --trust-set NAME [--lifetime S] " INSTR_SYN,
     "Registers one enrolee of the certificate framework (TS-0003 8.3.1.2).\n"
     "  --id ENROLEE-ID   its CSE-ID or AE-ID (SP-relative ones need --sp-id)\n"
     "  --flavour F       device, node-id, cse-id, ae-id or fqdn\n"
     "  --identity ID     the identity its certificate carries for that flavour\n"
     "  --trust-set NAME  the trust anchor set its certificate must chain to\n" INSTR_HELP},
    {"enrolee", "list", 0, 0, 0, enrolee_list, "[--json]", "Lists registered enrolees."},
    {"enrolee", "show", AO_ID, AO_ID, 0, enrolee_show, "--id ENROLEE-ID [--json]",
     "Shows one enrolee with its instructions."},
    {"enrolee", "remove", AO_ID, AO_ID, 0, enrolee_remove, "--id ENROLEE-ID",
     "Removes an enrolee; its keys stay until they expire or are revoked."},
    {"policy", "add",
     AO_NAME | AO_FLAVOUR | AO_TRUST_SET | AO_PREFIX | AO_TEMPLATE | AO_LIFETIME | AO_INSTR,
     AO_NAME | AO_FLAVOUR | AO_TRUST_SET | AO_PREFIX | AO_TEMPLATE, 0, policy_add,
     "--name N --flavour F --trust-set NAME --prefix P --template T [--lifetime S] " INSTR_SYN,
     "Admits every certificate of a flavour, chaining to a trust set, whose identity starts\n"
     "with a prefix; the longest matching prefix wins.\n"
     "  --prefix P     a plain string prefix (end it with the separator, e.g. '0.2.481.1.100.')\n"
     "  --template T   the Enrolee-ID, with {identity} (the whole identity) and {suffix}\n"
     "                 (what follows the prefix), e.g. '/CSE1/C{suffix}'\n" INSTR_HELP},
    {"policy", "list", 0, 0, 0, policy_list, "[--json]", "Lists policies."},
    {"policy", "remove", AO_NAME, AO_NAME, 0, policy_remove, "--name N", "Removes a policy."},
    {"psk", "add", AO_KPM_ID | AO_ENROLEE | AO_KPM | AO_LIFETIME | AO_INSTR,
     AO_KPM_ID | AO_ENROLEE | AO_KPM, 1, psk_add,
     "--kpm-id ID --enrolee-id ID (--kpm-hex HEX|- | --kpm-file FILE) [--lifetime S] " INSTR_SYN,
     "Registers an enrolee with a pre-provisioned key Kpm (TS-0003 8.3.1), sealed under the\n"
     "KEK.\n"
     "  --kpm-id ID        the KpmID, its TLS PSK identity (rel@fqdn), kept as typed\n"
     "  --kpm-hex HEX      Kpm in hex, at least 16 bytes; '-' reads one line of stdin\n"
     "  --kpm-file FILE    a file holding Kpm in hex\n" INSTR_HELP},
    {"psk", "list", 0, 0, 0, psk_list, "[--json]", "Lists PSK enrolees; Kpm is never shown."},
    {"psk", "remove", AO_KPM_ID, AO_KPM_ID, 0, psk_remove, "--kpm-id ID", "Removes a PSK enrolee."},
    {"target", "add", AO_ID | AO_PSK, AO_ID, 0, mef_target_add,
     "--id TARGET [--psk-hex HEX|- | --psk-file FILE]",
     "Registers an Enrolment Target (a MAF by FQDN, or a CSE-ID / AE-ID). With a PSK it may\n"
     "also authenticate by PSK, its identity being the target id (needs --kek)."},
    {"target", "set-psk", AO_ID | AO_PSK | AO_NO_PSK, AO_ID, 0, mef_target_set_psk,
     "--id TARGET (--psk-hex HEX|- | --psk-file FILE | --no-psk)",
     "Replaces or removes a target's PSK."},
    {"target", "list", 0, 0, 0, mef_target_list, "[--json]",
     "Lists targets; PSKs are never shown."},
    {"target", "remove", AO_ID, AO_ID, 0, mef_target_remove, "--id TARGET",
     "Removes a target and all its authorisations."},
    {"target", "allow", AO_ID | AO_SUID | AO_ENROLEE, AO_ID | AO_SUID, 0, mef_target_allow,
     "--id TARGET --suid N [--enrolee ID|'*']",
     "Allows a target to fetch credentials of a SUID for an enrolee, or for any ('*', the\n"
     "default) (TS-0003 8.3.2.2)."},
    {"target", "deny", AO_ID | AO_SUID | AO_ENROLEE, AO_ID | AO_SUID, 0, mef_target_deny,
     "--id TARGET --suid N [--enrolee ID|'*']", "Removes one authorisation."},
    {"target", "rules", AO_ID, 0, 0, mef_target_rules, "[--id TARGET] [--json]",
     "Lists authorisations, of one target or all."},
    {"keys", "list", AO_ENROLEE, 0, 0, mef_keys_list, "[--enrolee ID] [--json]",
     "Lists enrolment keys (KeID, enrolee, expiry, status); Ke is never shown."},
    {"keys", "revoke", AO_KEYID, AO_KEYID, 0, mef_keys_revoke, "--keid KEID",
     "Revokes an enrolment key: no more credentials are derived from it."},
    {"keys", "purge", 0, 0, 0, mef_keys_purge, "", "Deletes every expired enrolment key."},
    {"audit", NULL, AO_LIMIT, 0, 0, mef_audit, "[--limit N] [--json]",
     "Shows the audit log of issuances and refusals, newest first."},
};

static const struct admin_command mef_command = {
    "mef",
    "Manages the store of an M2M Enrolment Function. Identifiers are stored in the canonical\n"
    "form the MEF compares: lowercase FQDNs, absolute CSE-IDs and AE-IDs.\n"
    "GBA subscribers (the MEF as BSF): m2msec mef gba --help.\n",
    mef_actions,
    ADMIN_ARRAY_LEN(mef_actions),
};

/* The index of the first argument that is not an option or an option's value, or -1. */
static int first_word(int argc, char **argv)
{
    static const char *const flags[] = {"--json", "--help", "-h", "--no-psk"};

    for (int i = 1; i < argc; i++) {
        int flag = argv[i][0] != '-' || strchr(argv[i], '=') != NULL;
        if (argv[i][0] != '-')
            return i;
        for (size_t k = 0; !flag && k < ADMIN_ARRAY_LEN(flags); k++)
            flag = strcmp(argv[i], flags[k]) == 0;
        if (!flag)
            i++; /* the option's value */
    }
    return -1;
}

int cmd_mef(int argc, char **argv)
{
    int w = first_word(argc, argv), rc;
    char **rest;

    /* "m2msec mef [options] gba <object> <action>": GBA subscribers (cmd_mef_gba.c). */
    if (w < 0 || strcmp(argv[w], "gba") != 0)
        return admin_main(&mef_command, argc, argv);
    if ((rest = calloc((size_t)argc, sizeof(*rest))) == NULL)
        return cli_usage_error("mef", "out of memory");
    for (int i = 0, n = 0; i < argc; i++)
        if (i != w)
            rest[n++] = argv[i];
    rc = cmd_mef_gba(argc - 1, rest);
    free(rest);
    return rc;
}
