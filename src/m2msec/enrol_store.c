/* The Enrolee's local credential store, DIR/credentials.json (docs/enrolment.md): one
 * entry per key id, written atomically so a crash leaves either the old or the new file,
 * never a torn one. A device has no key-encryption key to seal with, so keys are stored
 * as hex and the file's protection is its mode (0600 in a 0700 directory). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <m2msec/encoding.h>
#include <m2msec/file.h>

#include "enrol.h"

/* ---- Key material inside JSON trees ---- */

static int is_key_member(const char *name)
{
    static const char *const names[] = {"key", "ke", "km", "credential", "ks", "ksNaf"};

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(name, names[i]) == 0)
            return 1;
    return 0;
}

/* jansson frees its strings without wiping them; hex keys are overwritten in place first.
 * (An allocator that wipes cannot be installed: the library returns jansson-allocated
 * text that callers release with free().) */
void enrol_json_wipe_keys(json_t *j)
{
    const char *k;
    json_t *v;
    size_t i;

    if (json_is_array(j)) {
        json_array_foreach(j, i, v) enrol_json_wipe_keys(v);
        return;
    }
    json_object_foreach(j, k, v)
    {
        if (json_is_string(v) && is_key_member(k))
            m2m_wipe((char *)json_string_value(v), json_string_length(v));
        else
            enrol_json_wipe_keys(v);
    }
}

json_t *enrol_json_secret(const struct m2m_secret *s)
{
    char hex[2 * 64 + 1];
    struct m2m_error err;
    json_t *j = NULL;

    if (m2m_secret_len(s) <= 64 &&
        m2m_hex_encode(m2m_secret_cdata(s), m2m_secret_len(s), hex, sizeof(hex), &err) == 0)
        j = json_string(hex);
    m2m_wipe(hex, sizeof(hex));
    return j;
}

/* ---- Opening ---- */

static int ensure_dir(const char *dir, struct m2m_error *err)
{
    struct stat st;

    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return m2m_error_set_errno(err, M2M_E_IO, "cannot create state directory %s", dir);
    if (stat(dir, &st) != 0)
        return m2m_error_set_errno(err, M2M_E_IO, "state directory %s", dir);
    if (!S_ISDIR(st.st_mode))
        return m2m_error_set(err, M2M_E_IO, "%s is not a directory", dir);
    if (access(dir, W_OK | X_OK) != 0)
        return m2m_error_set_errno(err, M2M_E_IO, "state directory %s is not writable", dir);
    return 0;
}

int enrol_store_open(const char *dir, json_t **store, struct m2m_error *err)
{
    char path[4096];
    json_error_t je;
    json_t *s;

    *store = NULL;
    if (ensure_dir(dir, err) != 0)
        return -1;
    snprintf(path, sizeof(path), "%s/%s", dir, ENROL_STORE_FILE);
    if (access(path, F_OK) != 0) {
        *store = json_pack("{s:i, s:[]}", "version", 1, "keys");
        return *store != NULL ? 0 : m2m_error_set(err, M2M_E_NOMEM, "store");
    }
    s = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (s == NULL || !json_is_array(json_object_get(s, "keys"))) {
        json_decref(s);
        return m2m_error_set(err, M2M_E_BAD_MESSAGE, "%s is not a credential store (%s)", path,
                             s == NULL ? je.text : "no \"keys\" array");
    }
    *store = s;
    return 0;
}

/* ---- Entries ---- */

static json_t *time_json(time_t t)
{
    char buf[32];

    return m2m_time_format(t, buf, sizeof(buf)) == 0 ? json_string(buf) : json_null();
}

static json_t *anchors_json(const struct m2m_instruction *in)
{
    json_t *a = json_array();

    for (size_t i = 0; a != NULL && i < in->n_anchors; i++)
        json_array_append_new(a, json_string(in->trust_anchors[i]));
    return a;
}

/* Instructions that carry no key (remoteManagement, certificateEnrolment) stay with Ke. */
static json_t *other_instructions(const struct enrol_result *r)
{
    json_t *a = json_array();

    for (size_t i = 0; a != NULL && i < r->resp.n_instructions; i++) {
        const struct m2m_instruction *in = &r->resp.instructions[i];
        if (in->type != M2M_INSTR_MAF_ENROLMENT)
            json_array_append_new(a,
                                  json_pack("{s:s, s:s}", "type",
                                            m2m_instruction_type_name(in->type), "uri", in->uri));
    }
    return a;
}

static json_t *ke_entry(const struct enrol_result *r)
{
    return json_pack("{s:s, s:s, s:o, s:s, s:s, s:o, s:s, s:o}", "id", r->resp.keid, "type", "Ke",
                     "key", enrol_json_secret(r->ke), "peer", r->mef_name, "enroleeId",
                     r->resp.enrolee_id, "expires", time_json(r->resp.expires), "mef", r->mef_url,
                     "instructions", other_instructions(r));
}

/* A Km never outlives Ke (TS-0003 V3 10.3); an instruction lifetime can only shorten it. */
static time_t maf_expiry(const struct enrol_result *r, const struct m2m_instruction *in)
{
    time_t t = r->resp.expires;

    if (in->lifetime > 0 && time(NULL) + in->lifetime < t)
        t = time(NULL) + in->lifetime;
    return t;
}

static json_t *maf_entry(const struct enrol_result *r, const struct enrol_maf *m)
{
    const struct m2m_instruction *in = m->in;
    json_t *e = json_pack(
        "{s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:o}", "id",
        m->km != NULL ? m->kmid : r->resp.keid, "type", m->km != NULL ? "Km" : "mafCertificate",
        "peer", in->maf_id, "enroleeId", r->resp.enrolee_id, "expires",
        time_json(maf_expiry(r, in)), "keId", r->resp.keid, "mafUri", in->maf_uri, "credentialType",
        in->credential_type, "suid", (int)in->suid, "keyRegistrationUri", in->key_registration_uri,
        "keyRetrievalUri", in->key_retrieval_uri, "clientRegistrationUri",
        in->client_registration_uri, "mef", r->mef_url, "trustAnchors", anchors_json(in));

    if (e != NULL && m->km != NULL)
        json_object_set_new(e, "key", enrol_json_secret(m->km));
    return e;
}

static json_t *root_entry(const struct enrol_result *r)
{
    json_t *params = NULL;

    if (r->rootcred.parameters_json != NULL)
        params = json_loads(r->rootcred.parameters_json, 0, NULL);
    return json_pack("{s:s, s:s, s:o, s:s, s:o, s:s, s:o}", "id", r->rootcred.credential_id, "type",
                     "rootCredential", "key", enrol_json_secret(r->root_secret), "peer",
                     r->mef_name, "expires", time_json(r->rootcred.expires), "mef", r->mef_url,
                     "parameters", params != NULL ? params : json_object());
}

/* Drops the entry for (id, peer) and entries that have expired. One id may name keys shared
 * with several peers: a GBA B-TID names Ks (with the BSF) and each Ks_NAF (with a NAF), and
 * a KeID names Ke and the mafCertificate entries. */
static void prune(json_t *keys, const char *id, const char *peer, time_t now)
{
    size_t i = 0;

    while (i < json_array_size(keys)) {
        json_t *e = json_array_get(keys, i);
        const char *eid = json_string_value(json_object_get(e, "id"));
        const char *epeer = json_string_value(json_object_get(e, "peer"));
        const char *exp = json_string_value(json_object_get(e, "expires"));
        time_t t;
        struct m2m_error err;
        int expired = exp != NULL && m2m_time_parse(exp, &t, &err) == 0 && t <= now;
        int same = eid != NULL && strcmp(eid, id) == 0 &&
                   (peer == NULL || epeer == NULL || strcmp(epeer, peer) == 0);

        if (same || expired)
            json_array_remove(keys, i);
        else
            i++;
    }
}

int enrol_store_add_entry(json_t *keys, json_t *e, struct m2m_error *err)
{
    if (e == NULL)
        return m2m_error_set(err, M2M_E_NOMEM, "credential entry");
    prune(keys, json_string_value(json_object_get(e, "id")),
          json_string_value(json_object_get(e, "peer")), time(NULL));
    return json_array_append_new(keys, e) == 0 ? 0 : m2m_error_set(err, M2M_E_NOMEM, "entry");
}

static int add_entries(json_t *keys, const struct enrol_result *r, struct m2m_error *err)
{
    if (r->gba)
        return enrol_gba_entries(keys, r, err);
    if (r->root)
        return enrol_store_add_entry(keys, root_entry(r), err);
    if (enrol_store_add_entry(keys, ke_entry(r), err) != 0)
        return -1;
    for (size_t i = 0; i < r->n_maf; i++)
        if (enrol_store_add_entry(keys, maf_entry(r, &r->maf[i]), err) != 0)
            return -1;
    return 0;
}

static int write_atomic(const char *dir, const char *text, struct m2m_error *err)
{
    char path[4096];

    if (snprintf(path, sizeof(path), "%s/%s", dir, ENROL_STORE_FILE) >= (int)sizeof(path))
        return m2m_error_set(err, M2M_E_INVALID_ARG, "state directory path too long");
    return m2m_file_replace_private(path, text, strlen(text), err);
}

int enrol_store_commit(const char *dir, json_t *store, const struct enrol_result *r,
                       struct m2m_error *err)
{
    char *text;
    int rc;

    if (add_entries(json_object_get(store, "keys"), r, err) != 0)
        return -1;
    text = json_dumps(store, JSON_INDENT(2) | JSON_SORT_KEYS);
    if (text == NULL)
        return m2m_error_set(err, M2M_E_NOMEM, "store text");
    rc = write_atomic(dir, text, err);
    m2m_wipe(text, strlen(text));
    free(text);
    return rc;
}
