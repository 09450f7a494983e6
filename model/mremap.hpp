// model/mremap.hpp — mremap(MREMAP_MAYMOVE|MREMAP_FIXED) of all or part of a VMA.
//
// Follows mm/mremap.c: move_vma -> copy_vma_and_data -> copy_vma (mm/vma.c):
// new_pgoff = vm_pgoff + (addr - vm_start) >> PAGE_SHIFT, so the moved pages keep
// their page offsets and folios need no update; a never-faulted anonymous VMA
// instead gets new_pgoff = new_addr >> PAGE_SHIFT.  copy_vma first tries
// vma_merge_copied_range (is_mergeable_anon_vma with copied_from); otherwise a
// new VMA with anon_vma_clone(VMA_OP_REMAP).  move_page_tables -> move_ptes moves
// each PTE (same folio, same permissions) and flushes the old range before the
// PTL is dropped (fix eb66ae030829).  Then the source range is unmapped
// (do_vmi_munmap), which splits or removes the old VMA.
//
// Leaves out: growing/shrinking (new_len != old_len), MREMAP_DONTUNMAP,
// PMD/PUD-level moves (B8), the need_rmap_locks ordering (B11; steps are atomic).
#pragma once
#include "args.hpp"
#include "vma.hpp"

namespace model {

template <class S> typename S::domain::Bool enabled_mremap(const config&, const S& s, const args& a) {
    const bool overlap = a.to < a.start + a.pages && a.start < a.to + a.pages;
    if (overlap) return false;   // MREMAP_FIXED onto the source range is -EINVAL
    return mmap_writable(s, a.mm, a.start, a.pages) && mmap_writable(s, a.mm, a.to, a.pages) &&
           range_in_one_vma(s, a.mm, a.start, a.pages) && range_free(s, a.mm, a.to, a.pages);
}

template <class S> void do_mremap(const config& cfg, S& s, const args& a) {
    MODEL_TYPES(S);
    const int m = a.mm, n = a.pages;
    const auto hit = covering_vmas(s, m, a.start, n);   // decided before any VMA changes
    for (int i = 0; i < P::vmas; ++i) {
        D::when(hit[i], s, [&](S& s) {
            const auto v = s.vma[m][i];
            const I new_pgoff = D::ite(v.anon_vma == nil, I(a.to), v.pgoff + (I(a.start) - v.start));
            // copy_vma(): merge into a neighbour at the destination, else a new VMA.
            const B merged = merge_new_range(cfg, s, m, a.to, n, v.flags, new_pgoff, v,
                                             anon_vma::is_fork_child<D>(v));
            auto moved = v;   // the moved range, for the COW context's record on the merged path
            moved.start = a.to; moved.pages = n; moved.pgoff = new_pgoff;
            rmap::copy_vma_merged(cfg, s, m, moved, v, merged);
            D::when(!merged, s, [&](S& s) {
                auto piece = v;
                piece.start = a.to; piece.pages = n; piece.pgoff = new_pgoff;
                insert_clone(cfg, s, m, piece, v);
                // if (faulted_in_anon_vma) cow_context_do_remap(new_vma, vma->vm_start)
                piece.used = true;
                rmap::copy_vma_remap(cfg, s, m, piece, v, B(true));
            });
        });
    }
    // --phased walk_remap, --cow-fix walk_rereads_remaps: the move (copy_vma and
    // move_page_tables) is inside the write section of m's context's sequence count.
    if constexpr (!D::is_symbolic) cow::cow_seq_write(s, s.mm[m].cow_context.get());
    // move_ptes(): each PTE moves with its folio and permissions; the old range is
    // flushed before the page-table lock is released.
    for (int d = 0; d < n; ++d) {
        s.pte[m][a.to + d] = s.pte[m][a.start + d];
        s.pte[m][a.start + d] = pte_t<D>{};
        s.ref[m][a.to + d] = s.ref[m][a.start + d];
    }
    if (!cfg.has(mutant::mremap_flush_after_unlock)) {
        flush_tlb_mm(s, m);
    } else {
        // CVE-2018-18281: the PTL is dropped before the flush; the flush comes as a later
        // step (tlb_flush_pending) while mremap still holds the mmap_lock.
        s.mm[m].flush_pending = true;
        s.mm[m].locked = true;
    }
    unmap_vma_range(cfg, s, m, a.start, n);   // the source range, now without PTEs
    for (int d = 0; d < n; ++d) s.ref[m][a.start + d] = 0;
}

}  // namespace model
