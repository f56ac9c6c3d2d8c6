/* The software USIM of m2msec/usim.h: K, OPc, the IMPI and SQN_MS in a JSON file of mode
 * 0600, rewritten atomically each time an SQN is accepted. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <m2msec/encoding.h>
#include <m2msec/file.h>
#include <m2msec/id.h>
#include <m2msec/usim.h>

#include "core/safety.h"
#include "proto/json.h"

#define USIM_FILE_MAX 4096

struct usim_file {
    char path[4096];
    char impi[M2M_IMPI_MAX + 1];
    unsigned char k[16], opc[16], amf[2];
    uint64_t sqn_ms;
};

/* ---- reading ---- */

static int read_text(const char *path, char *buf, size_t bufsz, struct m2m_error *err)
{
    struct stat st;
    ssize_t n;
    int fd = open(path, O_RDONLY | O_CLOEXEC), rc = -1;

    if (fd < 0)
        return m2m_error_set_errno(err, M2M_E_IO, "USIM file %s", path);
    M2M_ENSURE(fstat(fd, &st) == 0 && S_ISREG(st.st_mode), M2M_E_IO,
               "USIM file %s is not a regular file", path);
    /* It holds K: like the KEK, refuse a file others could read or replace. */
    M2M_ENSURE((st.st_mode & 077) == 0, M2M_E_FILE_MODE,
               "USIM file %s must be of mode 0600 or 0400", path);
    n = read(fd, buf, bufsz - 1);
    M2M_ENSURE(n >= 0 && (size_t)n < bufsz - 1, M2M_E_TOO_LARGE,
               "USIM file %s is unreadable or over %zu bytes", path, bufsz - 2);
    buf[n] = '\0';
    rc = 0;
out:
    close(fd);
    return rc;
}

static int hex_field(json_t *o, const char *key, unsigned char *out, size_t len,
                     struct m2m_error *err)
{
    char hex[2 * 16 + 2];
    size_t n = 0;
    int rc = -1;

    M2M_GUARD(proto_get_str(o, key, true, hex, sizeof(hex), err));
    M2M_ENSURE(m2m_hex_decode(hex, out, len, &n, NULL) == 0 && n == len, M2M_E_BAD_MESSAGE,
               "USIM file: %s must be %zu hex digits", key, 2 * len);
    rc = 0;
out:
    m2m_wipe(hex, sizeof(hex));
    return rc;
}

/* jansson frees strings without wiping them: the hex keys are overwritten first. */
static void wipe_keys(json_t *o)
{
    static const char *const keys[] = {"k", "opc"};

    for (size_t i = 0; i < M2M_ARRAY_LEN(keys); i++) {
        json_t *v = json_object_get(o, keys[i]);
        if (json_is_string(v))
            m2m_wipe((char *)json_string_value(v), json_string_length(v));
    }
}

static int parse(struct usim_file *u, const char *text, struct m2m_error *err)
{
    json_t *o = proto_parse(text, strlen(text), err);
    unsigned long sqn = 0;
    int rc = -1;

    if (o == NULL)
        return -1;
    M2M_GUARD(proto_get_str(o, "impi", true, u->impi, sizeof(u->impi), err));
    M2M_GUARD(m2m_impi_validate(u->impi, err));
    M2M_GUARD(hex_field(o, "k", u->k, sizeof(u->k), err));
    M2M_GUARD(hex_field(o, "opc", u->opc, sizeof(u->opc), err));
    M2M_GUARD(proto_get_uint(o, "sqn", true, 0xffffffffffffUL, &sqn, err));
    u->sqn_ms = sqn;
    if (json_object_get(o, "amf") != NULL)
        M2M_GUARD(hex_field(o, "amf", u->amf, sizeof(u->amf), err));
    rc = 0;
out:
    wipe_keys(o);
    json_decref(o);
    return rc;
}

/* ---- writing (m2m_file_replace_private: temporary file, fsync, rename, fsync of the
 * directory) ---- */

static char *render(const struct usim_file *u, struct m2m_error *err)
{
    char k[33], opc[33], amf[5];
    char *text = NULL;
    json_t *o = NULL;

    if (m2m_hex_encode(u->k, sizeof(u->k), k, sizeof(k), err) == 0 &&
        m2m_hex_encode(u->opc, sizeof(u->opc), opc, sizeof(opc), err) == 0 &&
        m2m_hex_encode(u->amf, sizeof(u->amf), amf, sizeof(amf), err) == 0)
        o = json_pack("{s:s, s:s, s:s, s:I, s:s}", "impi", u->impi, "k", k, "opc", opc, "sqn",
                      (json_int_t)u->sqn_ms, "amf", amf);
    if (o != NULL)
        text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (text == NULL)
        m2m_error_set(err, M2M_E_NOMEM, "USIM file text");
    wipe_keys(o);
    json_decref(o);
    m2m_wipe(k, sizeof(k));
    m2m_wipe(opc, sizeof(opc));
    return text;
}

static int save(const struct usim_file *u, struct m2m_error *err)
{
    char *text = render(u, err);
    int rc;

    if (text == NULL)
        return -1;
    rc = m2m_file_replace_private(u->path, text, strlen(text), err);
    m2m_wipe(text, strlen(text));
    free(text);
    return rc;
}

/* ---- the ops ---- */

static int file_impi(void *ctx, char *out, size_t outsz, struct m2m_error *err)
{
    const struct usim_file *u = ctx;

    if (strlen(u->impi) >= outsz)
        return m2m_error_set(err, M2M_E_BUFFER_TOO_SMALL, "IMPI");
    memcpy(out, u->impi, strlen(u->impi) + 1);
    return 0;
}

static int file_authenticate(void *ctx, const unsigned char rand[16], const unsigned char autn[16],
                             struct m2m_usim_result *out, struct m2m_error *err)
{
    struct usim_file *u = ctx;
    uint64_t accepted = 0, before = u->sqn_ms;
    int rc = -1;

    M2M_GUARD(m2m_usim_milenage_check(u->k, u->opc, u->sqn_ms, rand, autn, out, &accepted, err));
    if (out->outcome == M2M_USIM_OK) {
        /* Durable before RES leaves: the same challenge must never be accepted twice. */
        u->sqn_ms = accepted;
        if (save(u, err) != 0) {
            u->sqn_ms = before;
            m2m_wipe(out, sizeof(*out));
            goto out;
        }
    }
    rc = 0;
out:
    return rc;
}

static void file_close(void *ctx)
{
    struct usim_file *u = ctx;

    if (u == NULL)
        return;
    m2m_wipe(u, sizeof(*u));
    free(u);
}

static const struct m2m_usim_ops file_ops = {file_impi, file_authenticate, file_close};

int m2m_usim_file_open(const char *path, struct m2m_usim *out, struct m2m_error *err)
{
    struct usim_file *u = NULL;
    char text[USIM_FILE_MAX];
    int rc = -1;

    M2M_ENSURE_ARG(path != NULL && out != NULL);
    memset(out, 0, sizeof(*out));
    M2M_ENSURE(strlen(path) < sizeof(u->path), M2M_E_INVALID_ARG, "USIM path too long");
    u = calloc(1, sizeof(*u));
    M2M_ENSURE(u != NULL, M2M_E_NOMEM, "USIM");
    snprintf(u->path, sizeof(u->path), "%s", path);
    M2M_GUARD(read_text(path, text, sizeof(text), err));
    M2M_GUARD(parse(u, text, err));
    out->ops = &file_ops;
    out->ctx = u;
    u = NULL;
    rc = 0;
out:
    m2m_wipe(text, sizeof(text));
    file_close(u);
    return rc;
}
