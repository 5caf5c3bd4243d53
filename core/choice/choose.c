/* choose.c - the seed's smallest-VRAM-first choice rule, with deterministic ties. */
#include "choice/choose.h"

#include <math.h>
#include <string.h>

void choose_seed(const struct catalog *cat, double total_gb, const char *today, struct choice *out)
{
    memset(out, 0, sizeof(*out));
    size_t n = catalog_count(cat);
    for (size_t i = 0; i < n; i++) {
        const struct catalog_sku *s = catalog_at(cat, i);
        if (catalog_sku_retired(s, today))
            continue;
        out->candidates++;
        double vm_gb = s->vram_gb * s->gpus_per_vm;
        if (vm_gb > out->largest_vm_gb) {
            out->largest_vm_gb = vm_gb;
            out->largest = s;
        }
        if (out->sku != NULL)
            continue;
        double gpus = ceil(total_gb / s->vram_gb);
        if (gpus <= s->gpus_per_vm) {
            out->sku = s;
            out->gpus = (int)gpus;
        }
    }
}
