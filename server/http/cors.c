/* cors.c - the CORS policy from --cors-origins and the Access-Control-* headers it implies. */
#include "http/cors.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define CORS_MAX_LIST 1024

enum cors_mode { CORS_OFF, CORS_ANY, CORS_LIST };

static enum cors_mode mode = CORS_ANY;
static char list[CORS_MAX_LIST];

int cors_configure(const char *origins)
{
    if (origins == NULL || origins[0] == '\0') {
        mode = CORS_OFF;
        return 0;
    }
    if (strcmp(origins, "*") == 0) {
        mode = CORS_ANY;
        return 0;
    }
    if (strlen(origins) >= sizeof(list))
        return -EINVAL;
    snprintf(list, sizeof(list), "%s", origins);
    mode = CORS_LIST;
    return 0;
}

/* Exact match against one list entry; scheme and host compare case-insensitively (RFC 6454). */
static bool listed(const char *origin)
{
    size_t ol = strlen(origin);
    for (const char *p = list; *p;) {
        while (*p == ' ')
            p++;
        size_t n = strcspn(p, ",");
        size_t m = n;
        while (m > 0 && p[m - 1] == ' ')
            m--;
        if (m == ol && strncasecmp(p, origin, m) == 0)
            return true;
        p += n;
        if (*p == ',')
            p++;
    }
    return false;
}

bool cors_add_headers(struct MHD_Response *resp, const char *origin)
{
    switch (mode) {
    case CORS_OFF:
        return false;
    case CORS_ANY:
        MHD_add_response_header(resp, "Access-Control-Allow-Origin", "*");
        MHD_add_response_header(resp, "Access-Control-Expose-Headers", CORS_EXPOSE_HEADERS);
        return true;
    case CORS_LIST:
        if (origin == NULL || !listed(origin))
            return false;
        MHD_add_response_header(resp, "Access-Control-Allow-Origin", origin);
        MHD_add_response_header(resp, "Access-Control-Expose-Headers", CORS_EXPOSE_HEADERS);
        return true;
    }
    return false;
}

bool cors_varies(void)
{
    return mode == CORS_LIST;
}

void cors_add_preflight(struct MHD_Response *resp, const char *methods)
{
    if (mode == CORS_OFF)
        return;
    MHD_add_response_header(resp, "Access-Control-Allow-Methods", methods);
    MHD_add_response_header(resp, "Access-Control-Allow-Headers", CORS_ALLOW_HEADERS);
    MHD_add_response_header(resp, "Access-Control-Max-Age", CORS_MAX_AGE);
}
