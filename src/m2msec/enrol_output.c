/* m2msec enrol: reading Kpm, printing the summary, releasing a result. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "enrol.h"

#define KPM_HEX_MAX 256 /* 128-byte keys; TS-0003 Kpm are 16 or 32 bytes */

static struct m2m_secret *from_text(char *text, struct m2m_error *err)
{
    struct m2m_secret *s;

    text[strcspn(text, " \t\r\n")] = '\0';
    s = m2m_secret_from_hex(text, err);
    m2m_wipe(text, strlen(text));
    return s;
}

/* Kpm is a long-term secret: refuse a file others could read, as for the KEK. */
static struct m2m_secret *from_file(const char *path, struct m2m_error *err)
{
    char buf[KPM_HEX_MAX + 2];
    struct stat st;
    ssize_t n;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0) {
        m2m_error_set_errno(err, M2M_E_IO, "%s", path);
        return NULL;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077) != 0) {
        close(fd);
        m2m_error_set(err, M2M_E_FILE_MODE, "%s must be a regular file of mode 0600 or 0400", path);
        return NULL;
    }
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n < 0 || n > KPM_HEX_MAX) {
        m2m_wipe(buf, sizeof(buf));
        m2m_error_set(err, M2M_E_INVALID_ARG, "%s: expected at most %d hex digits", path,
                      KPM_HEX_MAX);
        return NULL;
    }
    buf[n] = '\0';
    return from_text(buf, err);
}

struct m2m_secret *enrol_read_secret(const char *hex, const char *path, struct m2m_error *err)
{
    char line[KPM_HEX_MAX + 2];

    if (path != NULL)
        return from_file(path, err);
    if (strcmp(hex, "-") != 0) {
        snprintf(line, sizeof(line), "%s", hex);
        return from_text(line, err);
    }
    if (fgets(line, sizeof(line), stdin) == NULL) {
        m2m_error_set(err, M2M_E_INVALID_ARG, "no Kpm on standard input");
        return NULL;
    }
    return from_text(line, err);
}

/* ---- Summary ---- */

static json_t *summary_json(const struct enrol_result *r, int reveal, const char *state_dir)
{
    char t[32] = "";
    json_t *o, *a;

    if (r->gba)
        return enrol_gba_summary(r, reveal, state_dir);
    a = json_array();
    if (r->root) {
        if (m2m_time_format(r->rootcred.expires, t, sizeof(t)) != 0)
            t[0] = '\0';
        o = json_pack("{s:s, s:s, s:s}", "credentialId", r->rootcred.credential_id, "expires", t,
                      "state", state_dir);
        if (o != NULL && reveal)
            json_object_set_new(o, "credential", enrol_json_secret(r->root_secret));
        json_decref(a);
        return o;
    }
    if (m2m_time_format(r->resp.expires, t, sizeof(t)) != 0)
        t[0] = '\0';
    for (size_t i = 0; a != NULL && i < r->resp.n_instructions; i++) {
        const struct m2m_instruction *in = &r->resp.instructions[i];
        json_t *e = json_pack("{s:s}", "type", m2m_instruction_type_name(in->type));
        if (in->type != M2M_INSTR_MAF_ENROLMENT)
            json_object_set_new(e, "uri", json_string(in->uri));
        json_array_append_new(a, e);
    }
    for (size_t i = 0; i < r->n_maf; i++) {
        json_t *e = json_array_get(a, (size_t)(r->maf[i].in - r->resp.instructions));
        json_object_set_new(e, "mafId", json_string(r->maf[i].in->maf_id));
        json_object_set_new(e, "suid", json_integer(r->maf[i].in->suid));
        if (r->maf[i].km != NULL) {
            json_object_set_new(e, "kmId", json_string(r->maf[i].kmid));
            if (reveal)
                json_object_set_new(e, "km", enrol_json_secret(r->maf[i].km));
        }
    }
    o = json_pack("{s:s, s:s, s:s, s:s, s:o}", "keId", r->resp.keid, "enroleeId",
                  r->resp.enrolee_id, "expires", t, "state", state_dir, "instructions", a);
    if (o != NULL && reveal)
        json_object_set_new(o, "ke", enrol_json_secret(r->ke));
    return o;
}

static void print_text(json_t *o)
{
    const char *k;
    json_t *v;
    size_t i;

    json_object_foreach(o, k, v)
    {
        if (json_is_string(v))
            printf("%-12s %s\n", k, json_string_value(v));
    }
    json_array_foreach(json_object_get(o, "nafs"), i, v)
    {
        printf("%-12s %s suid=%lld uaSuite=%s%s%s\n", "km",
               json_string_value(json_object_get(v, "naf")),
               (long long)json_integer_value(json_object_get(v, "suid")),
               json_string_value(json_object_get(v, "uaSuite")),
               json_object_get(v, "ksNaf") ? " ksNaf=" : "",
               json_object_get(v, "ksNaf") ? json_string_value(json_object_get(v, "ksNaf")) : "");
    }
    json_array_foreach(json_object_get(o, "instructions"), i, v)
    {
        const char *ik;
        json_t *iv;
        printf("%-12s %s", "instruction", json_string_value(json_object_get(v, "type")));
        json_object_foreach(v, ik, iv)
        {
            if (strcmp(ik, "type") == 0)
                continue;
            if (json_is_integer(iv))
                printf(" %s=%lld", ik, (long long)json_integer_value(iv));
            else
                printf(" %s=%s", ik, json_string_value(iv));
        }
        printf("\n");
    }
}

void enrol_print(const struct enrol_result *r, int reveal, int json, const char *state_dir)
{
    json_t *o = summary_json(r, reveal, state_dir);
    char *s;

    if (o == NULL)
        return;
    if (json) {
        s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS | JSON_PRESERVE_ORDER);
        if (s != NULL) {
            puts(s);
            m2m_wipe(s, strlen(s));
        }
        free(s);
    } else {
        print_text(o);
        if (!reveal)
            fprintf(stderr, "m2msec enrol: keys are printed only with --reveal\n");
    }
    enrol_json_wipe_keys(o);
    json_decref(o);
}

void enrol_result_clear(struct enrol_result *r)
{
    m2m_enrol_response_clear(&r->resp);
    m2m_secret_free(r->ke);
    for (size_t i = 0; i < r->n_maf; i++)
        m2m_secret_free(r->maf[i].km);
    m2m_root_credential_clear(&r->rootcred);
    m2m_secret_free(r->root_secret);
    m2m_ub_result_clear(&r->ub);
    for (size_t i = 0; i < r->n_naf; i++)
        m2m_secret_free(r->naf[i].ks_naf);
    memset(r, 0, sizeof(*r));
}
