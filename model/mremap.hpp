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
// `--phased mremap` (anon_vma and mshare designs): move_vma's three parts are three steps,
// with the mmap_lock held for write from the first to the last (model/actions.hpp
// phases_allow: the mm does nothing else meanwhile; one phased mremap at a time):
//   mremap       copy_vma: the destination merges into a neighbour or becomes a new VMA
//                (anon_vma_clone links it into the anon_vma trees), and need_rmap_locks is
//                decided: on the merged path new_vma->vm_pgoff <= vma->vm_pgoff (the merged
//                VMA sorts before the source in rmap_walk_anon's order), false for a new
//                VMA (inserted after an equal key, so visited after the source)
//   mremap_move  move_page_tables -> move_ptes: take_rmap_locks() (anon_vma_lock_write of
//                the source's root) if need_rmap_locks, so it waits for an rmap walk under
//                way; the PTEs move and the old range is flushed
//   mremap_done  do_vmi_munmap of the source range (its unlink_anon_vmas waits for a walk)
// With `--phased walk` an anon_vma walk (model/anon_walk.hpp) can run between them: the
// race of 38a76013ad80 (B11), shown by the mutant mremap_skips_rmap_locks.
// move_ptes() moves a migration entry (--phased migrate: state.migration_entry) as it moves a
// PTE, so a remove_migration_ptes() walk under way can miss a moved one (B11's harm; under
// the COW context, finding 11's with --phased walk_remap).
//
// Leaves out: growing/shrinking (new_len != old_len), MREMAP_DONTUNMAP,
// PMD/PUD-level moves (B8; so the THP path of B11, move_huge_pmd, is out too); without
// --phased mremap the three parts are one step.
#pragma once
#include "anon_walk.hpp"
#include "args.hpp"
#include "vma.hpp"

namespace model {

template <class S> typename S::domain::Bool enabled_mremap(const config&, const S& s, const args& a) {
    const bool overlap = a.to < a.start + a.pages && a.start < a.to + a.pages;
    if (overlap) return false;   // MREMAP_FIXED onto the source range is -EINVAL
    return mmap_writable(s, a.mm, a.start, a.pages) && mmap_writable(s, a.mm, a.to, a.pages) &&
           range_in_one_vma(s, a.mm, a.start, a.pages) && range_free(s, a.mm, a.to, a.pages);
}

/// --phased mremap applies (the COW context's mremap stays one step).
inline bool phased_mremap(const config& cfg) { return !cfg.cow() && cfg.has_phase(phased_op::mremap); }

/// Is mm m between a phased mremap's copy_vma and its mremap_done (mmap_lock held for write)?
template <class S> bool in_mremap(const S& s, int m) {
    if constexpr (S::domain::is_symbolic) {
        return false;
    } else {
        return s.mremap_phase.mm == m;
    }
}

/// move_page_tables() -> move_ptes(): each PTE moves with its folio and permissions; the
/// old range is flushed before the page-table lock is released (fix eb66ae030829).
template <class S> void move_page_tables(const config& cfg, S& s, int m, int start, int n, int to) {
    for (int d = 0; d < n; ++d) {
        s.pte[m][to + d] = s.pte[m][start + d];
        s.pte[m][start + d] = pte_t<typename S::domain>{};
        s.ref[m][to + d] = s.ref[m][start + d];
        s.ref[m][start + d] = 0;   // the source range has no PTEs now: a fault there reads zeroes
        if constexpr (!S::domain::is_symbolic) {   // --phased migrate: a migration entry moves as a PTE does
            s.migration_entry[m][to + d] = s.migration_entry[m][start + d];
            s.migration_entry[m][start + d] = {};
        }
    }
    if (!cfg.has(mutant::mremap_flush_after_unlock)) {
        flush_tlb_mm(s, m);
    } else {
        // CVE-2018-18281: the PTL is dropped before the flush; the flush comes as a later
        // step (tlb_flush_pending) while mremap still holds the mmap_lock.
        s.mm[m].flush_pending = true;
        s.mm[m].locked = true;
    }
}

template <class S> void do_mremap(const config& cfg, S& s, const args& a) {
    MODEL_TYPES(S);
    const int m = a.mm, n = a.pages;
    const auto hit = covering_vmas(s, m, a.start, n);   // decided before any VMA changes
    // --phased mremap: copy_vma()'s need_rmap_locks compares the destination VMA with the
    // source as they were before the copy (which slots were in use, the source's vm_pgoff).
    struct { std::array<bool, P::vmas> used{}; int src = nil, src_pgoff = 0; } pre;
    if constexpr (!D::is_symbolic) {
        if (phased_mremap(cfg))
            for (int i = 0; i < P::vmas; ++i) {
                pre.used[i] = s.vma[m][i].used;
                if (hit[i]) { pre.src = i; pre.src_pgoff = s.vma[m][i].pgoff.get(); }
            }
    }
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
    if constexpr (!D::is_symbolic) {
        if (phased_mremap(cfg)) {
            // copy_vma() has returned new_vma (the VMA now covering the destination: a slot
            // free before is a new VMA, else the neighbour it merged into) and need_rmap_locks
            // (false for a new VMA).
            auto& mp = s.mremap_phase;
            mp = typename S::mremap_phase_t{};
            mp.mm = m;
            mp.start = a.start;
            mp.pages = n;
            mp.to = a.to;
            for (int j = 0; j < P::vmas; ++j) {
                const auto& x = s.vma[m][j];
                if (!covers_range(x, a.to, n)) continue;
                mp.dest_vma = j;
                if (pre.used[j] && pre.src != nil) mp.rmap_locks = x.pgoff.get() <= pre.src_pgoff;
            }
            return;   // mremap_move and mremap_done follow
        }
    }
    // --phased walk_remap, --cow-fix walk_rereads_remaps: the move (copy_vma and
    // move_page_tables) is inside the write section of m's context's sequence count.
    if constexpr (!D::is_symbolic) cow::cow_seq_write(s, s.mm[m].cow_context.get());
    move_page_tables(cfg, s, m, a.start, n, a.to);
    unmap_vma_range(cfg, s, m, a.start, n);   // the source range, now without PTEs
}

/// --phased mremap, part 2: move_page_tables().  take_rmap_locks() when need_rmap_locks
/// (anon_vma_lock_write of the source's root), so it waits for an anon_vma walk under
/// way; --inject mremap_skips_rmap_locks moves without them.
template <class S> typename S::domain::Bool enabled_mremap_move(const config& cfg, const S& s, const args& a) {
    using B = typename S::domain::Bool;
    if constexpr (S::domain::is_symbolic) {
        return B(false);
    } else {
        const auto& mp = s.mremap_phase;
        if (!phased_mremap(cfg) || mp.mm != a.mm || mp.moved) return false;
        const bool takes_rmap_locks = mp.rmap_locks && !cfg.has(mutant::mremap_skips_rmap_locks);
        return !(takes_rmap_locks && anon_walk_active(cfg, s));
    }
}

template <class S> void do_mremap_move(const config& cfg, S& s, const args& a) {
    if constexpr (!S::domain::is_symbolic) {
        auto& mp = s.mremap_phase;
        move_page_tables(cfg, s, a.mm, mp.start.get(), mp.pages.get(), mp.to.get());
        mp.moved = 1;
    }
}

/// --phased mremap, part 3: the source range is unmapped (unlink_anon_vmas takes the
/// anon_vma lock for write: it waits for an anon_vma walk), and the mmap_lock released.
template <class S> typename S::domain::Bool enabled_mremap_done(const config& cfg, const S& s, const args& a) {
    using B = typename S::domain::Bool;
    if constexpr (S::domain::is_symbolic) {
        return B(false);
    } else {
        const auto& mp = s.mremap_phase;
        return phased_mremap(cfg) && mp.mm == a.mm && mp.moved;   // not during an anon_vma walk: phases_allow
    }
}

template <class S> void do_mremap_done(const config& cfg, S& s, const args& a) {
    if constexpr (!S::domain::is_symbolic) {
        const auto mp = s.mremap_phase;
        s.mremap_phase = typename S::mremap_phase_t{};
        unmap_vma_range(cfg, s, a.mm, mp.start.get(), mp.pages.get());   // do_vmi_munmap of the source
    }
}

}  // namespace model
