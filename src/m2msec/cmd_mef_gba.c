/* m2msec mef gba: the subscribers of the MEF acting as GBA BSF (SPEC.md section 8; 3GPP TS
 * 33.220 4.3, 4.4.1, 4.4.6). Each stands in for what the HSS would hold: the USIM's K and OPc
 * (read from a file or standard input, never from argv), the home environment's SQN, the AMF,
 * the Enrolee-ID the Ke is bound to, the Ke lifetime, and the GBA user security settings (the
 * NAFs that may receive Ks_NAF). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <m2msec/crypto.h>
#include <m2msec/encoding.h>
#include <m2msec/id.h>

#include "admin_util.h"
#include "cli.h"

#define DEFAULT_KE_LIFETIME (30LL * 86400)
#define KEY_TEXT_MAX        128

/* ---- keys: a file of mode 0600/0400 holding hex, or one line of stdin ("-") ---- */

static int read_text(struct admin_ctx *c, const char *path, char *buf, size_t bufsz)
{
    struct stat st;
    ssize_t n;
    int fd;

    if (strcmp(path, "-") == 0) {
        if (fgets(buf, (int)bufsz, stdin) == NULL)
            return m2m_error_set(&c->err, M2M_E_IO, "no key on standard input");
        return 0;
    }
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return m2m_error_set_errno(&c->err, M2M_E_IO, "%s", path);
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077) != 0) {
        close(fd);
        return m2m_error_set(&c->err, M2M_E_FILE_MODE,
                             "%s must be a regular file of mode 0600 or 0400", path);
    }
    n = read(fd, buf, bufsz - 1);
    close(fd);
    if (n < 0)
        return m2m_error_set_errno(&c->err, M2M_E_IO, "%s", path);
    buf[n] = '\0';
    return 0;
}

/* A 16-byte key (K, OPc or OP) in hex. */
static int read_key(struct admin_ctx *c, const char *path, const char *what, unsigned char out[16])
{
    char text[KEY_TEXT_MAX + 2];
    size_t n = 0;
    int rc = -1;

    if (read_text(c, path, text, sizeof(text)) == 0) {
        text[strcspn(text, " \t\r\n")] = '\0';
        if (m2m_hex_decode(text, out, 16, &n, NULL) != 0 || n != 16)
            m2m_error_set(&c->err, M2M_E_HEX, "%s must be 32 hex digits (16 bytes)", what);
        else
            rc = 0;
    }
    m2m_wipe(text, sizeof(text));
    return rc;
}

/* K, and OPc given or computed from OP (TS 35.206 4.1: OPc = E_K(OP) xor OP). */
static int read_keys(struct admin_ctx *c, struct m2m_secret **k, struct m2m_secret **opc)
{
    const struct admin_opts *o = c->o;
    unsigned char kb[16], ob[16], opcb[16];
    int rc = -1;

    if ((o->opc_file != NULL) == (o->op_file != NULL))
        return m2m_error_set(&c->err, M2M_E_INVALID_ARG, "give one of --opc-file and --op-file");
    if (read_key(c, o->k_file, "K", kb) != 0 ||
        read_key(c, o->opc_file ? o->opc_file : o->op_file, o->opc_file ? "OPc" : "OP", ob) != 0)
        goto out;
    if (o->op_file != NULL) {
        if (m2m_milenage_opc(kb, ob, opcb, &c->err) != 0)
            goto out;
    } else {
        memcpy(opcb, ob, sizeof(opcb));
    }
    if ((*k = m2m_secret_from(kb, sizeof(kb), &c->err)) == NULL ||
        (*opc = m2m_secret_from(opcb, sizeof(opcb), &c->err)) == NULL)
        goto out;
    rc = 0;
out:
    m2m_wipe(kb, sizeof(kb));
    m2m_wipe(ob, sizeof(ob));
    m2m_wipe(opcb, sizeof(opcb));
    return rc;
}

/* ---- the record's other values ---- */

static int fill_record(struct admin_ctx *c, struct m2m_store_gba_subscriber *rec)
{
    const struct admin_opts *o = c->o;
    size_t n = 0;

    if (m2m_impi_validate(o->impi, &c->err) != 0 ||
        admin_enrolee_id(c, o->enrolee, rec->enrolee_id, sizeof(rec->enrolee_id)) != 0)
        return -1;
    snprintf(rec->impi, sizeof(rec->impi), "%s", o->impi);
    rec->sqn = o->sqn;
    rec->ke_lifetime = (o->given & AO_LIFETIME) ? o->lifetime : DEFAULT_KE_LIFETIME;
    if (o->amf != NULL &&
        (m2m_hex_decode(o->amf, rec->amf, sizeof(rec->amf), &n, NULL) != 0 || n != 2))
        return m2m_error_set(&c->err, M2M_E_HEX, "--amf takes 4 hex digits, not '%s'", o->amf);
    /* The NAF_Id of Ks_NAF is the canonical FQDN (DESIGN.md section 3). */
    for (size_t i = 0; i < o->n_naf; i++)
        if (m2m_fqdn_canonical(o->naf[i], rec->naf[i], sizeof(rec->naf[i]), &c->err) != 0)
            return -1;
    rec->n_naf = o->n_naf;
    return 0;
}

static int subscriber_add(struct admin_ctx *c)
{
    struct m2m_store_gba_subscriber *rec = calloc(1, sizeof(*rec));
    struct m2m_secret *k = NULL, *opc = NULL;
    int rc = 1;

    if (rec == NULL)
        return admin_failf(c, "out of memory");
    if (fill_record(c, rec) != 0 || read_keys(c, &k, &opc) != 0 ||
        m2m_store_gba_subscriber_add(c->store, rec, k, opc, &c->err) != 0)
        goto out;
    printf("GBA subscriber %s added (Enrolee-ID %s, %zu NAF%s)\n", rec->impi, rec->enrolee_id,
           rec->n_naf, rec->n_naf == 1 ? "" : "s");
    rc = 0;
out:
    m2m_secret_free(k);
    m2m_secret_free(opc);
    free(rec);
    return rc ? admin_fail(c) : 0;
}

struct rows_arg {
    json_t *rows;
};

static int subscriber_cb(const struct m2m_store_gba_subscriber *r, void *arg)
{
    struct rows_arg *l = arg;
    char amf[5];
    json_t *nafs = json_array();

    for (size_t i = 0; i < r->n_naf; i++)
        json_array_append_new(nafs, json_string(r->naf[i]));
    snprintf(amf, sizeof(amf), "%02x%02x", r->amf[0], r->amf[1]);
    json_array_append_new(l->rows,
                          json_pack("{s:s, s:s, s:I, s:s, s:I, s:o, s:s, s:o}", "impi", r->impi,
                                    "enroleeId", r->enrolee_id, "sqn", (json_int_t)r->sqn, "amf",
                                    amf, "keLifetime", (json_int_t)r->ke_lifetime, "nafs", nafs,
                                    "keys", "(sealed)", "created", admin_time(r->created)));
    return 0;
}

/* In columns the NAF list is one cell. */
static void join_nafs(json_t *rows)
{
    size_t i, k;
    json_t *row, *naf;

    json_array_foreach(rows, i, row)
    {
        char buf[ADMIN_MAX_NAF * 256] = "";
        size_t n = 0;
        json_array_foreach(json_object_get(row, "nafs"), k, naf) n += (size_t)snprintf(
            buf + n, sizeof(buf) - n, "%s%s", k ? "," : "", json_string_value(naf));
        json_object_set_new(row, "nafs", json_string(buf));
    }
}

static int subscriber_list(struct admin_ctx *c)
{
    static const struct admin_col cols[] = {
        {"impi", "IMPI"},  {"enroleeId", "ENROLEE-ID"}, {"sqn", "SQN"},
        {"amf", "AMF"},    {"keLifetime", "LIFETIME"},  {"nafs", "NAFS"},
        {"keys", "K/OPC"}, {"created", "CREATED"},
    };
    struct rows_arg l = {json_array()};

    if (m2m_store_gba_subscriber_list(c->store, subscriber_cb, &l, &c->err) != 0) {
        json_decref(l.rows);
        return admin_fail(c);
    }
    if (!c->o->json)
        join_nafs(l.rows);
    admin_print(c, cols, ADMIN_ARRAY_LEN(cols), l.rows);
    return 0;
}

static int subscriber_remove(struct admin_ctx *c)
{
    if (m2m_store_gba_subscriber_remove(c->store, c->o->impi, &c->err) != 0)
        return admin_fail(c);
    printf("GBA subscriber %s removed\n", c->o->impi);
    return 0;
}

static const struct admin_action gba_actions[] = {
    {"subscriber", "add",
     AO_IMPI | AO_GBA_K | AO_GBA_OPC | AO_ENROLEE | AO_NAF | AO_SQN | AO_AMF | AO_LIFETIME,
     AO_IMPI | AO_GBA_K | AO_GBA_OPC | AO_ENROLEE, 1, subscriber_add,
     "--impi IMPI --k-file FILE|- (--opc-file FILE|- | --op-file FILE|-) --enrolee-id ID\n"
     "      [--naf FQDN]... [--sqn N] [--amf HEX] [--lifetime S]",
     "Registers a USIM subscriber (3GPP TS 33.220 4.3): K and OPc sealed under the KEK.\n"
     "  --impi IMPI        the IMS private identity, user@realm (TS 23.003 13.3)\n"
     "  --k-file FILE      K, 32 hex digits, in a file of mode 0600 or 0400; '-' reads one\n"
     "                     line of standard input (K first when both keys come from it)\n"
     "  --opc-file FILE    OPc the same way, or\n"
     "  --op-file FILE     OP, from which OPc = E_K(OP) xor OP is computed (TS 35.206)\n"
     "  --enrolee-id ID    the CSE-ID or AE-ID its Ke is bound to (SP-relative: --sp-id)\n"
     "  --naf FQDN         a NAF (MAF FQDN, CSE public domain name) allowed to receive\n"
     "                     Ks_NAF: the GBA user security settings; repeat it; none: no NAF\n"
     "  --sqn N            the home environment's SQN to start from (default 0)\n"
     "  --amf HEX          the AMF of every AUTN, 4 hex digits (default 0000)\n"
     "  --lifetime S       lifetime of each Ke (Ks), seconds (default 2592000, 30 days)"},
    {"subscriber", "list", 0, 0, 0, subscriber_list, "[--json]",
     "Lists subscribers with their SQN and NAFs; K and OPc are never shown."},
    {"subscriber", "remove", AO_IMPI, AO_IMPI, 0, subscriber_remove, "--impi IMPI",
     "Removes a subscriber and its pending challenges; its keys stay until they expire."},
};

static const struct admin_command gba_command = {
    "mef gba",
    "Manages the GBA subscribers of an MEF acting as Bootstrapping Server Function\n"
    "(docs/gba.md).\n",
    gba_actions,
    ADMIN_ARRAY_LEN(gba_actions),
};

int cmd_mef_gba(int argc, char **argv)
{
    return admin_main(&gba_command, argc, argv);
}
