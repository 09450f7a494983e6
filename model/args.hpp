// model/args.hpp — the concrete parameters of one action.
//
// Parameters are enumerated concretely (which mm, which cpu, which range), so
// they are plain ints in both interpretations; only state data is symbolic.
#pragma once

namespace model {

struct args {
    int mm = 0;      // the mm acted on (or the parent, for fork)
    int mm2 = 0;     // fork: the child's mm slot (must be the lowest free one)
    int cpu = 0;     // read/write/switch_mm/tlb_evict
    int start = 0;   // first vpage of a range, or the vpage accessed
    int pages = 0;   // length of a range in pages
    int to = 0;      // mremap: new start
    int value = 0;   // write: value written; mprotect: 1 = PROT_READ|PROT_WRITE, 0 = PROT_READ;
                     // madvise: the vm_flag set (VM_WIPEONFORK or VM_DONTCOPY)
    int folio = 0;   // migrate: the folio slot
};

}  // namespace model
