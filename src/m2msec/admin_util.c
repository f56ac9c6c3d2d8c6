/* Option parsing, "<object> <action>" dispatch, help and listings of the store administration
 * commands. Every action declares the options it takes, so a misplaced option is a usage
 * error rather than silently ignored. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <m2msec/crypto.h>
#include <m2msec/proto.h>

#include "admin_util.h"
#include "cli.h"

#define ADMIN_LIFETIME_MAX (10LL * 365 * 86400) /* as the instruction decoder's bound */

enum {
    OPT_STORE = 256,
    OPT_KEK,
    OPT_SP_ID,
    OPT_JSON,
    OPT_ID,
    OPT_FLAVOUR,
    OPT_IDENTITY,
    OPT_TRUST_SET,
    OPT_LIFETIME,
    OPT_INSTRUCTIONS,
    OPT_MAF_ID,
    OPT_MAF_URI,
    OPT_MAF_ANCHOR,
    OPT_MAF_SUID,
    OPT_NAME,
    OPT_PREFIX,
    OPT_TEMPLATE,
    OPT_KPM_ID,
    OPT_ENROLEE,
    OPT_KPM_HEX,
    OPT_KPM_FILE,
    OPT_PSK_HEX,
    OPT_PSK_FILE,
    OPT_NO_PSK,
    OPT_SUID,
    OPT_KEYID,
    OPT_LIMIT,
    OPT_IMPI,
    OPT_K_FILE,
    OPT_OPC_FILE,
    OPT_OP_FILE,
    OPT_NAF,
    OPT_SQN,
    OPT_AMF,
};

static const struct option longopts[] = {
    {"store", required_argument, NULL, OPT_STORE},
    {"kek", required_argument, NULL, OPT_KEK},
    {"sp-id", required_argument, NULL, OPT_SP_ID},
    {"json", no_argument, NULL, OPT_JSON},
    {"help", no_argument, NULL, 'h'},
    {"id", required_argument, NULL, OPT_ID},
    {"flavour", required_argument, NULL, OPT_FLAVOUR},
    {"identity", required_argument, NULL, OPT_IDENTITY},
    {"trust-set", required_argument, NULL, OPT_TRUST_SET},
    {"lifetime", required_argument, NULL, OPT_LIFETIME},
    {"instructions", required_argument, NULL, OPT_INSTRUCTIONS},
    {"maf-id", required_argument, NULL, OPT_MAF_ID},
    {"maf-uri", required_argument, NULL, OPT_MAF_URI},
    {"maf-anchor", required_argument, NULL, OPT_MAF_ANCHOR},
    {"maf-suid", required_argument, NULL, OPT_MAF_SUID},
    {"name", required_argument, NULL, OPT_NAME},
    {"prefix", required_argument, NULL, OPT_PREFIX},
    {"template", required_argument, NULL, OPT_TEMPLATE},
    {"kpm-id", required_argument, NULL, OPT_KPM_ID},
    {"enrolee", required_argument, NULL, OPT_ENROLEE},
    {"enrolee-id", required_argument, NULL, OPT_ENROLEE},
    {"kpm-hex", required_argument, NULL, OPT_KPM_HEX},
    {"kpm-file", required_argument, NULL, OPT_KPM_FILE},
    {"psk-hex", required_argument, NULL, OPT_PSK_HEX},
    {"psk-file", required_argument, NULL, OPT_PSK_FILE},
    {"no-psk", no_argument, NULL, OPT_NO_PSK},
    {"suid", required_argument, NULL, OPT_SUID},
    {"keid", required_argument, NULL, OPT_KEYID},
    {"key-id", required_argument, NULL, OPT_KEYID},
    {"limit", required_argument, NULL, OPT_LIMIT},
    {"impi", required_argument, NULL, OPT_IMPI},
    {"k-file", required_argument, NULL, OPT_K_FILE},
    {"opc-file", required_argument, NULL, OPT_OPC_FILE},
    {"op-file", required_argument, NULL, OPT_OP_FILE},
    {"naf", required_argument, NULL, OPT_NAF},
    {"sqn", required_argument, NULL, OPT_SQN},
    {"amf", required_argument, NULL, OPT_AMF},
    {NULL, 0, NULL, 0},
};

/* Names of the option bits, for "needs --x" and "does not take --x". */
static const struct {
    unsigned bit;
    const char *name;
} opt_names[] = {
    {AO_ID, "--id"},
    {AO_FLAVOUR, "--flavour"},
    {AO_IDENTITY, "--identity"},
    {AO_TRUST_SET, "--trust-set"},
    {AO_LIFETIME, "--lifetime"},
    {AO_INSTR, "--instructions/--maf-*"},
    {AO_NAME, "--name"},
    {AO_PREFIX, "--prefix"},
    {AO_TEMPLATE, "--template"},
    {AO_KPM_ID, "--kpm-id"},
    {AO_ENROLEE, "--enrolee"},
    {AO_KPM, "--kpm-hex or --kpm-file"},
    {AO_PSK, "--psk-hex or --psk-file"},
    {AO_SUID, "--suid"},
    {AO_KEYID, "--keid (or --key-id)"},
    {AO_LIMIT, "--limit"},
    {AO_NO_PSK, "--no-psk"},
    {AO_IMPI, "--impi"},
    {AO_GBA_K, "--k-file"},
    {AO_GBA_OPC, "--opc-file or --op-file"},
    {AO_NAF, "--naf"},
    {AO_SQN, "--sqn"},
    {AO_AMF, "--amf"},
};

static const char *opt_name(unsigned bit)
{
    for (size_t i = 0; i < ADMIN_ARRAY_LEN(opt_names); i++)
        if (opt_names[i].bit == bit)
            return opt_names[i].name;
    return "?";
}

static int parse_num(const char *s, long long min, long long max, long long *out)
{
    char *end = NULL;
    long long v;

    errno = 0;
    v = strtoll(s, &end, 10);
    if (*s == '\0' || *end != '\0' || errno != 0 || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

/* Options that carry a number. */
static int opt_number(const char *cmd, int c, const char *arg, struct admin_opts *o)
{
    long long v = 0;

    switch (c) {
    case OPT_LIFETIME:
        if (parse_num(arg, 1, ADMIN_LIFETIME_MAX, &v) != 0)
            return cli_usage_error(cmd, "--lifetime takes seconds from 1 to %lld, not '%s'",
                                   ADMIN_LIFETIME_MAX, arg);
        o->lifetime = v;
        o->given |= AO_LIFETIME;
        return 0;
    case OPT_SUID:
    case OPT_MAF_SUID:
        if (parse_num(arg, 0, 255, &v) != 0)
            return cli_usage_error(cmd, "a SUID is a number from 0 to 255, not '%s'", arg);
        *(c == OPT_SUID ? &o->suid : &o->maf_suid) = (unsigned)v;
        o->given |= c == OPT_SUID ? AO_SUID : AO_INSTR;
        return 0;
    case OPT_SQN:
        if (parse_num(arg, 0, 0xffffffffffffLL, &v) != 0)
            return cli_usage_error(cmd, "--sqn takes a number from 0 to 2^48 - 1, not '%s'", arg);
        o->sqn = (unsigned long long)v;
        o->given |= AO_SQN;
        return 0;
    case OPT_NAF:
        if (o->n_naf == ADMIN_MAX_NAF)
            return cli_usage_error(cmd, "at most %d --naf", ADMIN_MAX_NAF);
        o->naf[o->n_naf++] = arg;
        o->given |= AO_NAF;
        return 0;
    default: /* OPT_LIMIT */
        if (parse_num(arg, 0, 1000000, &v) != 0)
            return cli_usage_error(cmd, "--limit takes a count, not '%s'", arg);
        o->limit = (unsigned)v;
        o->given |= AO_LIMIT;
        return 0;
    }
}

/* Options that carry a string: where it goes and which bit it sets. */
static int opt_string(int c, const char *arg, struct admin_opts *o)
{
    static const struct {
        int c;
        size_t off;
        unsigned bit;
    } map[] = {
        {OPT_STORE, offsetof(struct admin_opts, store_url), 0},
        {OPT_KEK, offsetof(struct admin_opts, kek_path), 0},
        {OPT_SP_ID, offsetof(struct admin_opts, sp_id), 0},
        {OPT_ID, offsetof(struct admin_opts, id), AO_ID},
        {OPT_FLAVOUR, offsetof(struct admin_opts, flavour), AO_FLAVOUR},
        {OPT_IDENTITY, offsetof(struct admin_opts, identity), AO_IDENTITY},
        {OPT_TRUST_SET, offsetof(struct admin_opts, trust_set), AO_TRUST_SET},
        {OPT_INSTRUCTIONS, offsetof(struct admin_opts, instructions_file), AO_INSTR},
        {OPT_MAF_ID, offsetof(struct admin_opts, maf_id), AO_INSTR},
        {OPT_MAF_URI, offsetof(struct admin_opts, maf_uri), AO_INSTR},
        {OPT_MAF_ANCHOR, offsetof(struct admin_opts, maf_anchor), AO_INSTR},
        {OPT_NAME, offsetof(struct admin_opts, name), AO_NAME},
        {OPT_PREFIX, offsetof(struct admin_opts, prefix), AO_PREFIX},
        {OPT_TEMPLATE, offsetof(struct admin_opts, tmpl), AO_TEMPLATE},
        {OPT_KPM_ID, offsetof(struct admin_opts, kpm_id), AO_KPM_ID},
        {OPT_ENROLEE, offsetof(struct admin_opts, enrolee), AO_ENROLEE},
        {OPT_KPM_HEX, offsetof(struct admin_opts, kpm_hex), AO_KPM},
        {OPT_KPM_FILE, offsetof(struct admin_opts, kpm_file), AO_KPM},
        {OPT_PSK_HEX, offsetof(struct admin_opts, psk_hex), AO_PSK},
        {OPT_PSK_FILE, offsetof(struct admin_opts, psk_file), AO_PSK},
        {OPT_KEYID, offsetof(struct admin_opts, keyid), AO_KEYID},
        {OPT_IMPI, offsetof(struct admin_opts, impi), AO_IMPI},
        {OPT_K_FILE, offsetof(struct admin_opts, k_file), AO_GBA_K},
        {OPT_OPC_FILE, offsetof(struct admin_opts, opc_file), AO_GBA_OPC},
        {OPT_OP_FILE, offsetof(struct admin_opts, op_file), AO_GBA_OPC},
        {OPT_AMF, offsetof(struct admin_opts, amf), AO_AMF},
    };

    for (size_t i = 0; i < ADMIN_ARRAY_LEN(map); i++) {
        if (map[i].c != c)
            continue;
        *(const char **)((char *)o + map[i].off) = arg;
        o->given |= map[i].bit;
        return 0;
    }
    return -1;
}

static int parse_opts(const char *cmd, int argc, char **argv, struct admin_opts *o,
                      const char **pos, size_t *npos)
{
    int c, rc;

    memset(o, 0, sizeof(*o));
    o->maf_suid = M2M_SUID_REMOTE_MAF;
    optind = 1;
    opterr = 0; /* one line of our own instead of getopt's */
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (c == 'h')
            o->help = 1;
        else if (c == OPT_JSON)
            o->json = 1;
        else if (c == OPT_NO_PSK)
            o->given |= AO_NO_PSK;
        else if (c == OPT_LIFETIME || c == OPT_SUID || c == OPT_MAF_SUID || c == OPT_LIMIT ||
                 c == OPT_SQN || c == OPT_NAF) {
            if ((rc = opt_number(cmd, c, optarg, o)) != 0)
                return rc;
        } else if (c == '?' || opt_string(c, optarg, o) != 0)
            return cli_usage_error(cmd, "unknown option or missing value in '%s'",
                                   argv[optind - 1]);
    }
    *npos = 0;
    for (; optind < argc; optind++) {
        if (*npos == 2)
            return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
        pos[(*npos)++] = argv[optind];
    }
    return 0;
}

/* ---- help ---- */

static void print_action(const struct admin_command *cmd, const struct admin_action *a, int detail)
{
    printf("  m2msec %s %s%s%s%s%s\n", cmd->name, a->object, a->action ? " " : "",
           a->action ? a->action : "", a->synopsis[0] ? " " : "", a->synopsis);
    if (detail)
        printf("\n%s\n", a->help);
}

static void print_help(const struct admin_command *cmd, const char *object,
                       const struct admin_action *one)
{
    printf("usage:\n");
    if (one != NULL) {
        print_action(cmd, one, 1);
    } else {
        for (size_t i = 0; i < cmd->n_actions; i++)
            if (object == NULL || strcmp(cmd->actions[i].object, object) == 0)
                print_action(cmd, &cmd->actions[i], object != NULL);
        if (object == NULL)
            printf("\n%s", cmd->intro);
    }
    printf("\ncommon options (anywhere on the line):\n"
           "  --store URL   the store, e.g. sqlite:/var/lib/m2msec/mef.db (or $M2MSEC_STORE)\n"
           "  --kek FILE    the 32-byte key-encryption key, a file of mode 0600 (or $M2MSEC_KEK)\n"
           "  --sp-id ID    completes SP-relative CSE-IDs and AE-IDs (//sp.example.com)\n"
           "  --json        listings as a JSON array\n"
           "  --help        this text; also after an object or an action\n");
}

/* ---- dispatch ---- */

static const struct admin_action *find_action(const struct admin_command *cmd, const char *object,
                                              const char *action, int *object_known)
{
    *object_known = 0;
    for (size_t i = 0; i < cmd->n_actions; i++) {
        const struct admin_action *a = &cmd->actions[i];
        if (strcmp(a->object, object) != 0)
            continue;
        *object_known = 1;
        if ((a->action == NULL && action == NULL) ||
            (a->action != NULL && action != NULL && strcmp(a->action, action) == 0))
            return a;
    }
    return NULL;
}

static int check_opts(const struct admin_command *cmd, const struct admin_action *a,
                      const struct admin_opts *o)
{
    const char *label = a->action ? a->action : a->object;

    for (unsigned bit = 1; bit != 0 && bit <= AO_LAST; bit <<= 1) {
        if ((o->given & bit) && !(a->allowed & bit))
            return cli_usage_error(cmd->name, "%s does not take %s", label, opt_name(bit));
        if (!(o->given & bit) && (a->required & bit))
            return cli_usage_error(cmd->name, "%s needs %s", label, opt_name(bit));
    }
    return 0;
}

static int run_action(const struct admin_command *cmd, const struct admin_action *a,
                      const struct admin_opts *o)
{
    struct admin_ctx c;
    struct m2m_secret *kek = NULL;
    const char *url = o->store_url ? o->store_url : getenv("M2MSEC_STORE");
    const char *kek_path = o->kek_path ? o->kek_path : getenv("M2MSEC_KEK");
    int rc;

    memset(&c, 0, sizeof(c));
    c.cmd = cmd->name;
    c.o = o;
    if (url == NULL || url[0] == '\0')
        return cli_usage_error(cmd->name, "no store: give --store URL or set M2MSEC_STORE");
    if ((a->needs_kek || (o->given & (AO_KPM | AO_PSK))) &&
        (kek_path == NULL || kek_path[0] == '\0'))
        return cli_usage_error(cmd->name, "this action needs --kek FILE (or M2MSEC_KEK)");
    /* A KEK that is given is always loaded, so a badly protected file is refused at once. */
    if (kek_path != NULL && kek_path[0] != '\0' && (kek = m2m_kek_load(kek_path, &c.err)) == NULL)
        return admin_fail(&c);
    c.store = m2m_store_open(url, kek, &c.err);
    m2m_secret_free(kek);
    if (c.store == NULL)
        return admin_fail(&c);
    rc = a->run(&c);
    m2m_store_close(c.store);
    return rc;
}

int admin_main(const struct admin_command *cmd, int argc, char **argv)
{
    struct admin_opts o;
    const char *pos[2] = {NULL, NULL};
    const struct admin_action *a;
    size_t npos = 0;
    int rc, known;

    if ((rc = parse_opts(cmd->name, argc, argv, &o, pos, &npos)) != 0)
        return rc;
    if (npos == 0) {
        if (o.help) {
            print_help(cmd, NULL, NULL);
            return 0;
        }
        return cli_usage_error(cmd->name, "expected an object and an action");
    }
    a = find_action(cmd, pos[0], pos[1], &known);
    if (a == NULL && o.help && known && pos[1] == NULL) {
        print_help(cmd, pos[0], NULL);
        return 0;
    }
    if (a == NULL && !known)
        return cli_usage_error(cmd->name, "unknown object '%s'", pos[0]);
    if (a == NULL)
        return cli_usage_error(cmd->name, "%s '%s'", pos[1] ? "unknown action" : "missing action",
                               pos[1] ? pos[1] : pos[0]);
    if (o.help) {
        print_help(cmd, pos[0], a);
        return 0;
    }
    if ((rc = check_opts(cmd, a, &o)) != 0)
        return rc;
    return run_action(cmd, a, &o);
}

/* ---- results ---- */

int admin_fail(struct admin_ctx *c)
{
    return cli_fail(c->cmd, &c->err);
}

int admin_failf(struct admin_ctx *c, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "m2msec %s: ", c->cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 1;
}

/* ---- listings ---- */

/* A cell as text: strings as they are, numbers in decimal, null as "-". */
static const char *cell(json_t *v, char *buf, size_t bufsz)
{
    if (json_is_string(v))
        return json_string_value(v)[0] ? json_string_value(v) : "-";
    if (json_is_integer(v)) {
        snprintf(buf, bufsz, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return buf;
    }
    if (json_is_boolean(v))
        return json_is_true(v) ? "yes" : "no";
    return "-";
}

static void print_columns(const struct admin_col *cols, size_t ncols, json_t *rows)
{
    size_t width[16] = {0}, i, k;
    json_t *row;
    char buf[32];

    for (k = 0; k < ncols && k < 16; k++)
        width[k] = strlen(cols[k].head);
    json_array_foreach(rows, i, row) for (k = 0; k < ncols && k < 16; k++)
    {
        size_t n = strlen(cell(json_object_get(row, cols[k].key), buf, sizeof(buf)));
        width[k] = n > width[k] ? n : width[k];
    }
    for (k = 0; k < ncols && k < 16; k++)
        printf("%-*s%s", k + 1 < ncols ? (int)width[k] : 0, cols[k].head,
               k + 1 < ncols ? "  " : "\n");
    json_array_foreach(rows, i, row) for (k = 0; k < ncols && k < 16; k++)
    {
        printf("%-*s%s", k + 1 < ncols ? (int)width[k] : 0,
               cell(json_object_get(row, cols[k].key), buf, sizeof(buf)),
               k + 1 < ncols ? "  " : "\n");
    }
}

void admin_print(const struct admin_ctx *c, const struct admin_col *cols, size_t ncols,
                 json_t *rows)
{
    if (rows == NULL)
        return;
    if (c->o->json) {
        char *s = json_dumps(rows, JSON_COMPACT | JSON_PRESERVE_ORDER);
        if (s != NULL)
            puts(s);
        free(s);
    } else {
        print_columns(cols, ncols, rows);
    }
    json_decref(rows);
}

json_t *admin_time(int64_t t)
{
    char buf[32];

    if (t == 0 || m2m_time_format((time_t)t, buf, sizeof(buf)) != 0)
        return json_null();
    return json_string(buf);
}

const char *admin_key_status(int revoked, int64_t expires, int64_t now)
{
    if (revoked)
        return "revoked";
    return now >= expires ? "expired" : "active";
}
