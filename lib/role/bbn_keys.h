/* The keys of a [rule.NAME] section (bbn_rule_keys.c). */
#ifndef M2M_ROLE_BBN_KEYS_H
#define M2M_ROLE_BBN_KEYS_H

#include <stddef.h>

#include "role/bbn_internal.h"

/* Applies key = value to r; relative anchor paths are taken from dir (ending in '/', or "").
 * -1 with one line in msg when the key is unknown, given twice, or its value is invalid. */
int bbn_rule_set(struct bbn_rule *r, const char *dir, const char *key, const char *value, char *msg,
                 size_t msgsz);

#endif
