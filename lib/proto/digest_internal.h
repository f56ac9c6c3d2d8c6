/* The Digest header reader shared by the challenge and credentials codecs. */
#ifndef M2M_PROTO_DIGEST_INTERNAL_H
#define M2M_PROTO_DIGEST_INTERNAL_H

#include <stdbool.h>

#include <m2msec/digest.h>

struct digest_param {
    char name[33];
    char value[M2M_DIGEST_URI_MAX]; /* unquoted */
    bool quoted;
};

struct digest_params {
    size_t n;
    struct digest_param p[M2M_DIGEST_MAX_PARAMS];
};

/* Splits a Digest header into its parameters (grammar in digest_parse.c). */
int digest_params_read(const char *header, struct digest_params *ps, struct m2m_error *err);
/* The parameter called name (case-insensitive), or NULL. */
const struct digest_param *digest_params_get(const struct digest_params *ps, const char *name);
/* Copies a parameter's value into out ("" when absent and not required). */
int digest_params_copy(const struct digest_params *ps, const char *name, int required, char *out,
                       size_t outsz, struct m2m_error *err);

#endif
