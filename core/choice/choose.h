/* choose.h - the seed's VM choice rule over a catalog snapshot. */
#ifndef VRAMFIT_CHOOSE_H
#define VRAMFIT_CHOOSE_H

#include "azure/catalog.h"

struct choice {
    const struct catalog_sku *sku;     /* chosen size, or NULL when nothing fits one VM */
    int gpus;                          /* ceil(total_gb / vram_gb) on the chosen size; 0 if none */
    const struct catalog_sku *largest; /* the available size with the most total VRAM */
    double largest_vm_gb;              /* its gpus_per_vm * vram_gb; 0 if none available */
    size_t candidates;                 /* sizes considered (not retired) */
};

/*
 * choose_seed - walks the sizes in choice order (vram_gb ascending, then fewer gpus_per_vm, then
 * sku name) and picks the first whose ceil(total_gb / vram_gb) <= gpus_per_vm, as the seed does.
 * Sizes retired on or before today are skipped. Always fills *out; never fails.
 * Borrowed pointers in *out live as long as the caller's reference to cat.
 */
void choose_seed(const struct catalog *cat, double total_gb, const char *today, struct choice *out);

#endif
