// model/vma.hpp — VMAs of private anonymous mappings: mmap, munmap (phased),
// mprotect / madvise flag changes with split and merge, MADV_DONTNEED.
//
// Follows mm/vma.c: vma_merge_new_range (mmap, copy_vma), vma_merge_existing_range
// and vma_modify_flags (mprotect, madvise), __split_vma, do_vmi_munmap ->
// vms_gather_munmap_vmas -> unmap_region (unmap_vmas, free_pgtables with
// unlink_anon_vmas, tlb_finish_mmu), mm/madvise.c: madvise_dontneed_single_vma,
// mm/mprotect.c: change_protection.
//
// Simplifies: an operation's range lies inside one VMA (the kernel also walks
// several VMAs and holes); the split pieces of munmap are computed directly
// (split, then remove the middle: the same anon_vma counters and chains);
// mprotect(PROT_WRITE) leaves PTEs read-only and lets the next write fault make
// them writable (the kernel's MM_CP_TRY_CHANGE_WRITABLE is an optimisation);
// a VMA is [vm_start, vm_start + pages) in whole pages; anonymous VMAs start
// with vm_pgoff = vm_start >> PAGE_SHIFT (do_mmap for anonymous private maps).
#pragma once
#include "args.hpp"
#include "mshare.hpp"
#include "rmap.hpp"
#include "tlb.hpp"

namespace model {

/// No VMA of mm m overlaps [start, start + n).
template <class S> typename S::domain::Bool range_free(const S& s, int m, int start, int n) {
    MODEL_TYPES(S);
    B free = true;
    for (int i = 0; i < P::vmas; ++i) {
        const auto& v = s.vma[m][i];
        free = free && !(v.used && v.start < start + n && I(start) < v.start + v.pages);
    }
    return free && mshare::window_free(s, m, start, n);   // nor an mshare window
}

/// The VMA slot i of mm m covers all of [start, start + n).
template <class V> auto covers_range(const V& v, int start, int n) {
    return v.used && v.start <= start && decltype(v.start)(start + n) <= v.start + v.pages;
}

/// Some VMA of mm m covers all of [start, start + n).
template <class S> typename S::domain::Bool range_in_one_vma(const S& s, int m, int start, int n) {
    MODEL_TYPES(S);
    B any = false;
    for (int i = 0; i < P::vmas; ++i) any = any || covers_range(s.vma[m][i], start, n);
    return any;
}

/// covers_range() for every VMA slot of mm m, evaluated once up front.
template <class S> std::array<typename S::domain::Bool, S::preset::vmas> covering_vmas(const S& s, int m, int start, int n) {
    std::array<typename S::domain::Bool, S::preset::vmas> hit;
    for (int i = 0; i < S::preset::vmas; ++i) hit[i] = covers_range(s.vma[m][i], start, n);
    return hit;
}

template <class S> typename S::domain::Int free_vma_slot(const config& cfg, const S& s, int m) {
    MODEL_TYPES(S);
    return lowest_free<D>(s.vma[m], cfg.lim.vmas, [](const auto& v) { return v.used; });
}

/// --phased walk_vma (model/cow_walk.hpp): VMA (m, k) is freed (vm_area_free()); if the
/// COW context walk is inside rmap_one on it, rmap_one now uses a freed VMA.  Concrete
/// only: the symbolic engines refuse --phased.
template <class S> void walker_vma_freed(S& s, int m, int k) {
    if constexpr (!S::domain::is_symbolic) {
        auto& w = s.walker;
        if (w.folio != nil && w.vma_mm == m && w.vma == k) w.vma_freed = 1;
    }
}

/// Remove VMA (m, k): unlink_anon_vmas() from vma_complete()/free_pgtables(), then
/// remove_vma() (cow_context_vma_unmap, which therefore sees vma->anon_vma == NULL; --cow-fix
/// unmap_removes_records calls it first, from the unmap paths: unmap_vma_range, exit_mmap).
template <class S> void remove_vma(const config& cfg, S& s, int m, int k) {
    rmap::unlink(cfg, s, m, k);
    rmap::vma_unmap(cfg, s, m, s.vma[m][k]);
    s.vma[m][k] = vma_t<typename S::domain, typename S::preset>{};
    walker_vma_freed(s, m, k);
}

/// Put `piece` (a new VMA split off or copied from `src`) into a free slot, with
/// anon_vma_clone(piece, src).  Out of bounds if mm m has no free VMA slot.
template <class S, class V> void insert_clone(const config& cfg, S& s, int m, V piece, const V& src) {
    MODEL_TYPES(S);
    const I j = free_vma_slot(cfg, s, m);
    out_of_bounds_if(s, j == nil);
    piece.used = true;
    piece.anon_vma = nil;
    for (auto& c : piece.chain) c = false;
    rmap::clone(cfg, s, piece, src);
    D::update(s.vma[m], j, [&](auto& x) { x = piece; });
}

/// vma_merge_new_range(): can [start, start + n) with these flags/pgoff, whose
/// anon_vma comes from `src` (a never-faulted new mapping, or the VMA copy_vma
/// copies from), join its neighbours?  Performs the merge; returns whether it merged.
template <class S>
typename S::domain::Bool merge_new_range(const config& cfg, S& s, int m, int start, int n,
                                         typename S::domain::Int flags, typename S::domain::Int pgoff,
                                         const vma_t<typename S::domain, typename S::preset>& src,
                                         typename S::domain::Bool src_fork_child) {
    MODEL_TYPES(S);
    I lj = nil, rk = nil;
    for (int j = P::vmas - 1; j >= 0; --j) {
        const auto& o = s.vma[m][j];
        const B anon_ok = anon_vma::is_mergeable<D>(o.anon_vma, anon_vma::is_fork_child<D>(o),
                                                   src.anon_vma, src_fork_child);
        const B left = o.used && o.start + o.pages == start && o.flags == flags &&
                       o.pgoff + o.pages == pgoff && anon_ok;
        const B right = o.used && o.start == start + n && o.flags == flags && o.pgoff == pgoff + n && anon_ok;
        lj = D::ite(left, I(j), lj);
        rk = D::ite(right, I(j), rk);
    }
    const auto L = D::select(s.vma[m], lj);
    const auto R = D::select(s.vma[m], rk);
    const B both = lj != nil && rk != nil && (L.anon_vma == nil || R.anon_vma == nil || L.anon_vma == R.anon_vma);
    rk = D::ite(lj != nil && !both, I(nil), rk);  // cannot take both: expand prev only
    for (int j = 0; j < P::vmas; ++j) {
        D::when(lj == j, s, [&](S& s) {
            s.vma[m][j].pages = s.vma[m][j].pages + n + D::ite(both, R.pages, I(0));
            rmap::dup_on_merge(cfg, s, m, j, src);
            D::when(both, s, [&](S& s) { rmap::dup_on_merge(cfg, s, m, j, R); });
        });
    }
    for (int k = 0; k < P::vmas; ++k) {
        D::when(rk == k && both, s, [&](S& s) { remove_vma(cfg, s, m, k); });
        D::when(rk == k && !both, s, [&](S& s) {
            auto& x = s.vma[m][k];
            x.start = start;
            x.pgoff = pgoff;
            x.pages = x.pages + n;
            rmap::dup_on_merge(cfg, s, m, k, src);
        });
    }
    return lj != nil || rk != nil;
}

/// Zap the PTEs of [start, start + n) of mm m into gather g (unmap_vmas / zap_pte_range).
template <class S, class G> void zap_range(S& s, int m, int start, int n, G& g) {
    for (int v = start; v < start + n; ++v) zap_pte(s, m, v, g);
}

/// Remove [start, start + n) from the VMA that covers it: whole VMA, head, tail or
/// middle (two pieces).  The PTEs must already be zapped.
template <class S> void unmap_vma_range(const config& cfg, S& s, int m, int start, int n) {
    MODEL_TYPES(S);
    const int end = start + n;
    const auto hit = covering_vmas(s, m, start, n);   // decided before any VMA changes
    for (int i = 0; i < P::vmas; ++i) {
        D::when(hit[i], s, [&](S& s) {
            const auto v = s.vma[m][i];
            const I vend = v.start + v.pages;
            const B head = v.start < start;    // [vm_start, start) stays
            const B tail = I(end) < vend;      // [end, vm_end) stays
            if (cfg.cow() && cfg.fixed(cow_fix::unmap_removes_records)) {
                // remove_vma() of the part unmapped (__split_vma gave it a VMA of its own)
                // calls cow_context_vma_unmap() before unlink_anon_vmas().
                auto gone = v;
                gone.start = D::ite(head, I(start), v.start);
                gone.pgoff = v.pgoff + (gone.start - v.start);
                gone.pages = D::ite(tail, I(end), vend) - gone.start;
                rmap::vma_unmap(cfg, s, m, gone);
            }
            D::when(!head && !tail, s, [&](S& s) { remove_vma(cfg, s, m, i); });
            D::when(!head && tail, s, [&](S& s) {
                auto& x = s.vma[m][i];
                x.pgoff = x.pgoff + (I(end) - x.start);
                x.pages = vend - end;
                x.start = end;
            });
            D::when(head, s, [&](S& s) { s.vma[m][i].pages = I(start) - v.start; });
            D::when(head && tail, s, [&](S& s) {
                auto piece = v;
                piece.start = end;
                piece.pages = vend - end;
                piece.pgoff = v.pgoff + (I(end) - v.start);
                insert_clone(cfg, s, m, piece, v);
            });
        });
    }
}

/// Where vma_merge_existing_range() would put [start, start + n) of VMA i with flags nf.
template <class I, class B> struct merge_plan {
    I lj, rk;         // prev / next merge target, or nil
    B left, right, both, whole;
    B dup_needed;     // the target is unfaulted and takes the middle's anon_vma (dup_anon_vma)
    B split_needed;   // no merge: __split_vma of a faulted VMA (anon_vma_clone)
};

template <class S>
merge_plan<typename S::domain::Int, typename S::domain::Bool> plan_modify(const S& s, int m, int i, int start, int n,
                                                                          typename S::domain::Int nf) {
    MODEL_TYPES(S);
    const int end = start + n;
    const auto& v = s.vma[m][i];
    const I vend = v.start + v.pages;
    const I pg_start = v.pgoff + (I(start) - v.start);
    const B at_start = v.start == start, at_end = vend == end;
    const B v_fork_child = anon_vma::is_fork_child<D>(v);
    I lj = nil, rk = nil;
    for (int j = P::vmas - 1; j >= 0; --j) {
        if (j == i) continue;
        const auto& o = s.vma[m][j];
        const B anon_ok = anon_vma::is_mergeable<D>(o.anon_vma, anon_vma::is_fork_child<D>(o), v.anon_vma, v_fork_child);
        lj = D::ite(at_start && o.used && o.start + o.pages == start && o.flags == nf && o.pgoff + o.pages == pg_start &&
                        anon_ok, I(j), lj);
        rk = D::ite(at_end && o.used && o.start == end && o.flags == nf && o.pgoff == pg_start + n && anon_ok, I(j), rk);
    }
    const auto L = D::select(s.vma[m], lj);
    const auto R = D::select(s.vma[m], rk);
    merge_plan<I, B> p{lj, rk, lj != nil, false, false, at_start && at_end, false, false};
    p.both = lj != nil && rk != nil && (L.anon_vma == nil || R.anon_vma == nil || L.anon_vma == R.anon_vma);
    p.right = rk != nil && !(p.left && !p.both);
    const auto T = D::select(s.vma[m], D::ite(p.left, lj, rk));
    p.dup_needed = (p.left || p.right) && T.anon_vma == nil && v.anon_vma != nil;
    p.split_needed = !(p.left || p.right) && v.anon_vma != nil && !p.whole;
    return p;
}

/// Would vma_modify_flags() on [start, start + n) allocate AVCs (anon_vma_clone)?
template <class S>
typename S::domain::Bool modify_allocates(const S& s, int m, int start, int n, int set, int clear) {
    MODEL_TYPES(S);
    B any = false;
    for (int i = 0; i < P::vmas; ++i) {
        const auto& v = s.vma[m][i];
        if (D::known_false(covers_range(v, start, n))) continue;
        const auto p = plan_modify(s, m, i, start, n, (v.flags & ~I(clear)) | I(set));
        any = any || (covers_range(v, start, n) && (p.dup_needed || p.split_needed));
    }
    return any;
}

/// vma_modify_flags(): give [start, start + n) the flags (old & ~clear) | set,
/// merging with a neighbour where vma_merge_existing_range() allows, else splitting.
/// With enomem the AVC allocation of anon_vma_clone fails and nothing changes, except
/// that the mutant anon_vma_clone_stale_anon_vma leaves dup_anon_vma's pointer set.
template <class S>
void modify_flags(const config& cfg, S& s, int m, int start, int n, int set, int clear,
                  typename S::domain::Bool enomem = false) {
    MODEL_TYPES(S);
    const int end = start + n;
    const auto hit = covering_vmas(s, m, start, n);   // decided before any VMA changes
    for (int i = 0; i < P::vmas; ++i) {
        D::when(hit[i] && enomem, s, [&](S& s) {
            if (!cfg.has(mutant::anon_vma_clone_stale_anon_vma)) return;
            // Before 3a206a8649f8: dup_anon_vma() set dst->anon_vma, anon_vma_clone() failed,
            // cleanup_partial_anon_vmas() freed the AVCs but left the pointer, without
            // num_active_vmas++.
            const auto v = s.vma[m][i];
            const auto p = plan_modify(s, m, i, start, n, (v.flags & ~I(clear)) | I(set));
            const I target = D::ite(p.left, p.lj, p.rk);
            D::when(p.dup_needed, s, [&](S& s) {
                D::update(s.vma[m], target, [&](auto& x) { x.anon_vma = v.anon_vma; });
            });
        });
        D::when(hit[i] && !enomem, s, [&](S& s) {
            const auto v = s.vma[m][i];
            const I vend = v.start + v.pages;
            const I nf = (v.flags & ~I(clear)) | I(set);
            const I pg_start = v.pgoff + (I(start) - v.start);
            const B at_start = v.start == start, at_end = vend == end;
            const auto plan = plan_modify(s, m, i, start, n, nf);
            const I lj = plan.lj, rk = plan.rk;
            const auto R = D::select(s.vma[m], rk);
            const B both = plan.both, left = plan.left, right = plan.right, whole = plan.whole;
            // Merge into prev (and, with both, absorb next too).
            for (int j = 0; j < P::vmas; ++j) {
                D::when(left && lj == j, s, [&](S& s) {
                    s.vma[m][j].pages = s.vma[m][j].pages + n + D::ite(both, R.pages, I(0));
                    rmap::dup_on_merge(cfg, s, m, j, v);
                    D::when(both, s, [&](S& s) { rmap::dup_on_merge(cfg, s, m, j, R); });
                });
            }
            // Merge into next only.
            for (int k = 0; k < P::vmas; ++k) {
                D::when(right && !left && rk == k, s, [&](S& s) {
                    auto& x = s.vma[m][k];
                    x.start = start;
                    x.pgoff = pg_start;
                    x.pages = x.pages + n;
                    rmap::dup_on_merge(cfg, s, m, k, v);
                });
                D::when(both && rk == k, s, [&](S& s) { remove_vma(cfg, s, m, k); });
            }
            const B merged = left || right;
            // The middle VMA loses the range to the merge target.
            D::when(merged && whole, s, [&](S& s) { remove_vma(cfg, s, m, i); });
            D::when(merged && !whole && at_start, s, [&](S& s) {
                auto& x = s.vma[m][i];
                x.start = end; x.pgoff = x.pgoff + n; x.pages = vend - end;
            });
            D::when(merged && !whole && at_end, s, [&](S& s) { s.vma[m][i].pages = I(start) - v.start; });
            // No merge: __split_vma() at start and/or end, then set the flags on [start, end).
            D::when(!merged, s, [&](S& s) {
                auto& x = s.vma[m][i];
                D::when(!at_start, s, [&](S& s) {
                    auto mid = v;
                    mid.start = start; mid.pgoff = pg_start; mid.pages = n; mid.flags = nf;
                    s.vma[m][i].pages = I(start) - v.start;
                    insert_clone(cfg, s, m, mid, v);
                });
                D::when(at_start, x, [&](auto& x) { x.pages = n; x.flags = nf; });
                D::when(!at_end, s, [&](S& s) {
                    auto rest = v;
                    rest.start = end; rest.pgoff = pg_start + n; rest.pages = vend - end;
                    insert_clone(cfg, s, m, rest, v);
                });
            });
        });
    }
}

// ---------------------------------------------------------------------------
// Actions
// ---------------------------------------------------------------------------

/// mm may take its mmap_lock for write (no phased unmap and no forced write between its phases holds it).
template <class S> typename S::domain::Bool mmap_writable(const S& s, int m) {
    return s.mm[m].live && !s.mm[m].locked && !s.mm[m].foll_force;
}

/// --cow-fix walk_locks_vma: the COW context walk holds a VMA of mm m read-locked
/// (vma_start_read()), and a writer whose vma_start_write() may reach it waits.  The
/// writer locks the VMAs over [lo, lo + n) it changes and the neighbours it merges with
/// (vma_merge_new_range(), vma_modify() and copy_vma() write-lock what they expand or
/// remove); the model counts every VMA overlapping or adjacent to the range, which is
/// more than a merge takes (a neighbour that cannot merge is not locked): a writer may
/// wait where the kernel's would not, never the reverse.  Concrete only.
template <class S> bool walk_locks_range(const S& s, int m, int lo, int n) {
    if constexpr (S::domain::is_symbolic) {
        return false;
    } else {
        const auto& w = s.walker;
        if (w.folio == nil || !w.vma_locked || w.vma_mm != m) return false;
        const auto& v = s.vma[m][w.vma.get()];
        return v.start.get() <= lo + n && lo <= v.start.get() + v.pages.get();
    }
}

/// mmap_writable, and the writer's VMA write locks over [lo, lo + n) are free.
template <class S> typename S::domain::Bool mmap_writable(const S& s, int m, int lo, int n) {
    return mmap_writable(s, m) && typename S::domain::Bool(!walk_locks_range(s, m, lo, n));
}

/// mmap(MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED_NOREPLACE) of [start, start+pages), PROT_READ|PROT_WRITE.
/// do_mmap -> __mmap_region: vma_merge_new_range(), else a new VMA with vm_pgoff = start.
template <class S> typename S::domain::Bool enabled_mmap(const config&, const S& s, const args& a) {
    return mmap_writable(s, a.mm, a.start, a.pages) && range_free(s, a.mm, a.start, a.pages);
}
template <class S> void do_mmap(const config& cfg, S& s, const args& a) {
    MODEL_TYPES(S);
    vma_t<D, P> fresh{};
    fresh.used = true; fresh.start = a.start; fresh.pages = a.pages; fresh.pgoff = a.start;
    fresh.flags = VM_WRITE; fresh.anon_vma = nil;
    const B merged = merge_new_range(cfg, s, a.mm, a.start, a.pages, fresh.flags, fresh.pgoff, fresh, false);
    D::when(!merged, s, [&](S& s) {
        const I j = free_vma_slot(cfg, s, a.mm);
        out_of_bounds_if(s, j == nil);
        D::update(s.vma[a.mm], j, [&](auto& x) { x = fresh; });
    });
    for (int v = a.start; v < a.start + a.pages; ++v) s.ref[a.mm][v] = 0;
}

/// munmap() phase 1: do_vmi_munmap -> vms_gather_munmap_vmas (split, detach) ->
/// unmap_region: unmap_vmas (PTEs cleared, pages queued in the mmu_gather) and
/// free_pgtables (unlink_anon_vmas).  The mmap_lock stays held (downgraded to read,
/// so faults proceed; writers wait) until tlb_finish_mmu flushes and frees.
template <class S> typename S::domain::Bool enabled_munmap(const config&, const S& s, const args& a) {
    return mmap_writable(s, a.mm, a.start, a.pages) && range_in_one_vma(s, a.mm, a.start, a.pages);
}
template <class S> void do_munmap(const config& cfg, S& s, const args& a) {
    zap_range(s, a.mm, a.start, a.pages, s.mm[a.mm].gather);
    unmap_vma_range(cfg, s, a.mm, a.start, a.pages);
    s.mm[a.mm].locked = true;
}

/// munmap() phase 2: tlb_finish_mmu() — flush the mm's TLBs, then free the queued pages.
template <class S> typename S::domain::Bool enabled_tlb_finish_mmu(const config&, const S& s, const args& a) {
    // A lock held by a phased fork (--phased fork) is released by fork_done, not here.
    return s.mm[a.mm].live && s.mm[a.mm].locked && !s.mm[a.mm].flush_pending && !in_fork(s, a.mm);
}
template <class S> void do_tlb_finish_mmu(const config& cfg, S& s, const args& a) {
    MODEL_TYPES(S);
    tlb_finish_mmu(cfg, s, a.mm);
    // Mutant munmap_free_before_flush: the pages are freed first, but the flush still runs
    // before munmap's mmap_write_unlock, so the lock is held until that late flush
    // (tlb_flush_pending) releases it.
    s.mm[a.mm].locked = cfg.has(mutant::munmap_free_before_flush);
    for (int v = 0; v < P::va_pages; ++v)  // the unmapped range has no reference value any more
        s.ref[a.mm][v] = D::ite(find_vma(s, a.mm, I(v)) == nil && mshare::window_free(s, a.mm, v, 1), I(0),
                                s.ref[a.mm][v]);   // nor an mshare window
}

/// mprotect(start, pages, PROT_READ[|PROT_WRITE]): mprotect_fixup -> vma_modify_flags,
/// then change_protection(): removing write makes the PTEs read-only and flushes.
template <class S> typename S::domain::Bool enabled_mprotect(const config&, const S& s, const args& a) {
    MODEL_TYPES(S);
    B differs = false;
    for (int i = 0; i < P::vmas; ++i) {
        const auto& v = s.vma[a.mm][i];
        differs = differs || (covers_range(v, a.start, a.pages) && ((v.flags & I(VM_WRITE)) != 0) != (a.value != 0));
    }
    return mmap_writable(s, a.mm, a.start, a.pages) && differs;
}
template <class S> void do_mprotect(const config& cfg, S& s, const args& a) {
    MODEL_TYPES(S);
    const int set = a.value ? VM_WRITE : 0, clear = a.value ? 0 : VM_WRITE;
    // args.to = 1: fault injection, the AVC allocation in anon_vma_clone fails (-ENOMEM).
    const B enomem = a.to == 1 && modify_allocates(s, a.mm, a.start, a.pages, set, clear);
    modify_flags(cfg, s, a.mm, a.start, a.pages, set, clear, enomem);
    if (!a.value) {
        D::when(!enomem, s, [&](S& s) {
            for (int v = a.start; v < a.start + a.pages; ++v) s.pte[a.mm][v].writable = false;
            flush_tlb_mm(s, a.mm);
        });
    }
    // --phased migrate: change_pte_range() makes a writable migration entry readable
    // whatever the new protection ("A protection check is difficult so just be safe and
    // disable write"), keeping its exclusive bit.
    if constexpr (!D::is_symbolic)
        if (!enomem)
            for (int v = a.start; v < a.start + a.pages; ++v) s.migration_entry[a.mm][v].writable = 0;
}

/// madvise(MADV_WIPEONFORK | MADV_DONTFORK): madvise_update_vma -> vma_modify_flags.
template <class S> typename S::domain::Bool enabled_madvise(const config&, const S& s, const args& a) {
    MODEL_TYPES(S);
    B differs = false;
    for (int i = 0; i < P::vmas; ++i) {
        const auto& v = s.vma[a.mm][i];
        differs = differs || (covers_range(v, a.start, a.pages) && (v.flags & I(a.value)) == 0);
    }
    return mmap_writable(s, a.mm, a.start, a.pages) && differs;
}
template <class S> void do_madvise(const config& cfg, S& s, const args& a) {
    modify_flags(cfg, s, a.mm, a.start, a.pages, a.value, 0);
}

/// madvise(MADV_DONTNEED): zap_page_range_single with its own mmu_gather (clear,
/// flush, free), under the mmap_lock for read; the next read sees zeroes.
template <class S> typename S::domain::Bool enabled_madvise_dontneed(const config&, const S& s, const args& a) {
    return s.mm[a.mm].live && range_in_one_vma(s, a.mm, a.start, a.pages);
}
template <class S> void do_madvise_dontneed(const config& cfg, S& s, const args& a) {
    MODEL_TYPES(S);
    typename mm_t<D, P>::gather_t g{};
    zap_range(s, a.mm, a.start, a.pages, g);
    flush_tlb_mm(s, a.mm);
    for (int f = 0; f < P::folios; ++f) D::when(g[f] != 0, s, [&](S& s) { folio_put(cfg, s, I(f), g[f]); });
    for (int v = a.start; v < a.start + a.pages; ++v) s.ref[a.mm][v] = 0;
}

}  // namespace model
