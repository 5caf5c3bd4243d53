/* hubopts.h - builds the Hub resolver from the server's options and the HF_TOKEN environment. */
#ifndef VRAMFIT_HUBOPTS_H
#define VRAMFIT_HUBOPTS_H

#include <stdatomic.h>
#include <stddef.h>

#include "config/options.h"
#include "hub/hub.h"

/*
 * hubopts_start - a resolver for o's --hf-* options. The token is HF_TOKEN from the environment,
 * else the contents of --hf-token-file (whitespace around it dropped); it is copied into the
 * resolver and wiped here. cancel (may be NULL) cuts a fetch in progress at shutdown. 0 with *out
 * (free with hub_free), or -1 with a one-line reason in errbuf (unreadable token file, OOM).
 */
int hubopts_start(const struct options *o, const atomic_bool *cancel, struct hub **out,
                  char *errbuf, size_t errlen);

#endif
