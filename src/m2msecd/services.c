/* The roles of m2msecd. A new role adds its ops here and a section parser in config.c. */
#include <stddef.h>

#include "service.h"

const struct service_ops *const m2msecd_services[] = {
    &mef_service_ops,
    &maf_service_ops,
    &bbn_service_ops,
    NULL,
};
