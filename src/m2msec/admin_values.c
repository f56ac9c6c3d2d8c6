/* Values the operator types, brought to the form the MEF compares: identifiers canonicalised
 * (DESIGN.md section 3), keys read without touching argv when asked, instructions validated
 * by the same decoder the MEF uses at enrolment. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include <m2msec/encoding.h>
#include <m2msec/id.h>
#include <m2msec/pki.h>
#include <m2msec/proto.h>

#include "admin_util.h"

/* ---- identifiers ---- */

int admin_enrolee_id(struct admin_ctx *c, const char *in, char *out, size_t outsz)
{
    struct m2m_id id;

    /* TS-0003 8.3.1.2: the Enrolee-ID is the CSE-ID or AE-ID the enrolee is known by. */
    if (m2m_id_canonical(in, c->o->sp_id, out, outsz, &c->err) != 0)
        return -1;
    if (m2m_id_parse(out, M2M_ID_ANY, &id, &c->err) != 0)
        return -1;
    if (id.kind == M2M_ID_SP)
        return m2m_error_set(&c->err, M2M_E_ID_SYNTAX,
                             "'%s' is an SP-ID; an Enrolee-ID is a CSE-ID or AE-ID", in);
    return 0;
}

int admin_auth_enrolee(struct admin_ctx *c, const char *in, char *out, size_t outsz)
{
    if (strcmp(in, M2M_STORE_ANY_ENROLEE) == 0) {
        snprintf(out, outsz, "%s", in);
        return 0;
    }
    return admin_enrolee_id(c, in, out, outsz);
}

int admin_target_id(struct admin_ctx *c, const char *in, char *out, size_t outsz)
{
    /* As the MEF resolves an originator: a name without a leading '/' is an FQDN (a MAF),
     * anything else a CSE-ID or AE-ID. */
    if (in[0] != '/')
        return m2m_fqdn_canonical(in, out, outsz, &c->err);
    return admin_enrolee_id(c, in, out, outsz);
}

int admin_keyid(struct admin_ctx *c, const char *in, char *out, size_t outsz)
{
    struct m2m_btid btid;

    if (m2m_keyid_canonical(in, out, outsz, NULL) == 0)
        return 0;
    /* GBA framework: KeID = B-TID (TS-0003 Annex A), kept in its one canonical spelling. */
    if (m2m_keyid_btid_parse(in, &btid, NULL) == 0 &&
        m2m_keyid_btid_format(btid.rand, btid.fqdn, out, outsz, NULL) == 0)
        return 0;
    return m2m_keyid_canonical(in, out, outsz, &c->err);
}

/* ---- secrets ---- */

/* One line of text from path or stdin into buf, without its newline. */
static int read_line(struct admin_ctx *c, const char *path, char *buf, size_t bufsz)
{
    FILE *f = path ? fopen(path, "r") : stdin;
    int rc = -1;

    if (f == NULL)
        return m2m_error_set_errno(&c->err, M2M_E_IO, "%s", path);
    if (fgets(buf, (int)bufsz, f) == NULL)
        m2m_error_set(&c->err, M2M_E_IO, "no key in %s", path ? path : "standard input");
    else
        rc = 0;
    if (path != NULL)
        fclose(f);
    buf[strcspn(buf, "\r\n")] = '\0';
    return rc;
}

struct m2m_secret *admin_secret(struct admin_ctx *c, const char *hex, const char *file,
                                const char *what)
{
    char line[1024];
    struct m2m_secret *s = NULL;

    line[0] = '\0';
    if (file != NULL || strcmp(hex, "-") == 0) {
        if (read_line(c, file, line, sizeof(line)) != 0)
            goto out;
        hex = line;
    }
    s = m2m_secret_from_hex(hex, &c->err);
    if (s != NULL && m2m_secret_len(s) < 16) {
        /* Shorter keys are guessable; TS-0003 PSKs and Kpm are 16 bytes or more. */
        m2m_error_set(&c->err, M2M_E_INVALID_ARG, "%s must be at least 16 bytes", what);
        m2m_secret_free(s);
        s = NULL;
    }
out:
    m2m_wipe(line, sizeof(line));
    return s;
}

/* ---- instructions ---- */

static json_t *load_json_file(struct admin_ctx *c, const char *path)
{
    json_error_t jerr;
    json_t *v = strcmp(path, "-") == 0 ? json_loadf(stdin, JSON_REJECT_DUPLICATES, &jerr)
                                       : json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);

    if (v == NULL)
        m2m_error_set(&c->err, M2M_E_BAD_MESSAGE, "%s: line %d: %s", path, jerr.line, jerr.text);
    else if (!json_is_array(v)) {
        m2m_error_set(&c->err, M2M_E_BAD_MESSAGE, "%s: instructions must be a JSON array", path);
        json_decref(v);
        v = NULL;
    }
    return v;
}

/* Each certificate of a PEM file as its own PEM string, the form trustAnchors carries. */
static int add_anchors(struct admin_ctx *c, const char *path, json_t *arr)
{
    STACK_OF(X509) *certs = m2m_pki_load_certs(path, &c->err);
    int rc = -1;

    if (certs == NULL)
        return -1;
    for (int i = 0; i < sk_X509_num(certs); i++) {
        BIO *b = BIO_new(BIO_s_mem());
        char *pem = NULL;
        long n;
        if (b == NULL || !PEM_write_bio_X509(b, sk_X509_value(certs, i)) ||
            (n = BIO_get_mem_data(b, &pem)) <= 0) {
            BIO_free(b);
            m2m_error_set(&c->err, M2M_E_PEM, "%s: cannot encode certificate %d", path, i);
            goto out;
        }
        json_array_append_new(arr, json_stringn(pem, (size_t)n));
        BIO_free(b);
    }
    rc = 0;
out:
    sk_X509_pop_free(certs, X509_free);
    return rc;
}

/* The mafEnrolment instruction of --maf-id, --maf-uri, --maf-anchor, --maf-suid
 * (TS-0003 8.3.2.1; DESIGN.md section 4). */
static json_t *maf_instruction(struct admin_ctx *c)
{
    const struct admin_opts *o = c->o;
    char fqdn[M2M_FQDN_MAX + 1];
    json_t *obj = NULL, *anchors = NULL;

    if (o->maf_id == NULL) {
        m2m_error_set(&c->err, M2M_E_INVALID_ARG, "--maf-uri and --maf-anchor need --maf-id");
        return NULL;
    }
    if (m2m_fqdn_normalize(o->maf_id, fqdn, sizeof(fqdn), &c->err) != 0)
        return NULL;
    anchors = json_array();
    if (o->maf_anchor != NULL && add_anchors(c, o->maf_anchor, anchors) != 0) {
        json_decref(anchors);
        return NULL;
    }
    obj = json_pack("{s:s, s:s, s:s, s:I, s:o}", "type", "mafEnrolment", "credentialType",
                    "symmetric", "mafId", fqdn, "suid", (json_int_t)o->maf_suid, "trustAnchors",
                    anchors);
    if (obj != NULL && o->maf_uri != NULL)
        json_object_set_new(obj, "mafUri", json_string(o->maf_uri));
    if (obj == NULL)
        m2m_error_set(&c->err, M2M_E_NOMEM, "instruction");
    return obj;
}

int admin_instructions(struct admin_ctx *c, char **out)
{
    const struct admin_opts *o = c->o;
    struct m2m_enrol_response check;
    json_t *arr = NULL, *maf;
    char *text = NULL;
    int rc = -1;

    *out = NULL;
    memset(&check, 0, sizeof(check));
    if (!(o->given & AO_INSTR))
        return 0;
    arr = o->instructions_file ? load_json_file(c, o->instructions_file) : json_array();
    if (arr == NULL)
        goto out;
    if (o->maf_id != NULL || o->maf_uri != NULL || o->maf_anchor != NULL) {
        if ((maf = maf_instruction(c)) == NULL)
            goto out;
        json_array_append_new(arr, maf);
    }
    text = json_dumps(arr, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (text == NULL) {
        m2m_error_set(&c->err, M2M_E_NOMEM, "instructions");
        goto out;
    }
    /* Exactly what the MEF will decode at enrolment, so a bad one is refused now. */
    if (m2m_instructions_decode(text, strlen(text), &check, &c->err) != 0)
        goto out;
    m2m_enrol_response_clear(&check);
    *out = text;
    text = NULL;
    rc = 0;
out:
    free(text);
    json_decref(arr);
    return rc;
}
