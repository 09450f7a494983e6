// model/fork.hpp — fork(): dup_mmap() with anon_vma_fork() and the page-table copy.
//
// Follows kernel/fork.c / mm/mmap.c: dup_mmap (VM_DONTCOPY VMAs are skipped;
// VM_WIPEONFORK VMAs get no anon_vma and no pages; others go through
// anon_vma_fork and, if the parent VMA has an anon_vma, copy_page_range), and
// mm/memory.c: copy_present_ptes -> folio_try_dup_anon_rmap_pte: a possibly
// pinned PageAnonExclusive folio is copied for the child at once
// (copy_present_page), any other anon folio is shared: PageAnonExclusive
// cleared, mapcount and refcount raised, and a writable PTE write-protected in
// both parent and child.  dup_mmap ends with flush_tlb_mm(oldmm).  With --phased
// migrate a migration entry is copied too (copy_nonpresent_pte: copy_migration_entry).
//
// The child takes the lowest free mm slot (the action's mm2 is checked to be
// it, so the choice needs no variable).  The child runs on no cpu until a
// switch_mm.  Leaves out: fork racing with faults (per-VMA locks, B10), mm
// counters, page-table sharing.
#pragma once
#include "args.hpp"
#include "fault.hpp"
#include "vma.hpp"

namespace model {

/// copy_present_pte() for vpage v of VMA i, parent m -> child m2.
template <class S> void copy_present_pte(const config& cfg, S& s, int m, int m2, int i, int v) {
    MODEL_TYPES(S);
    const auto pte = s.pte[m][v];
    const B anon = pte.present && pte.folio != zero_pfn;
    const auto fo = D::select(s.folio, pte.folio);
    // folio_needs_cow_for_dma() && PageAnonExclusive: the child gets its own copy now.
    B copy_now = anon && fo.pincount != 0 && fo.anon_exclusive;
    if (cfg.has(mutant::fork_shares_pinned_page)) copy_now = false;   // share it like any other page
    D::when(pte.present && !copy_now, s, [&](S& s) {
        D::update(s.folio, pte.folio, [&](auto& x) {
            D::when(anon, x, [&](auto& x) {
                // __folio_try_dup_anon_rmap(): clear PageAnonExclusive, one more mapping.
                if (!cfg.has(mutant::fork_keeps_exclusive)) x.anon_exclusive = false;
                x.mapcount = x.mapcount + 1;
                x.refcount = x.refcount + 1;
            });
        });
        // is_cow_mapping && pte_write: ptep_set_wrprotect() in the parent, pte_wrprotect() for the child.
        s.pte[m][v].writable = false;
        s.pte[m2][v] = pte_t<D>{true, pte.folio, false};
    });
    D::when(copy_now, s, [&](S& s) {
        const I f = new_anon_folio(cfg, s, m2, i, v, fo.content);
        s.pte[m2][v] = pte_t<D>{true, f, (s.vma[m2][i].flags & I(VM_WRITE)) != 0};
    });
}

/// --phased migrate: copy_nonpresent_pte() for a migration entry at vpage v, parent m ->
/// child m2.  The child gets the entry; a writable one (is_cow_mapping) becomes readable in
/// both, and no longer exclusive (make_readable_migration_entry): the model clears
/// PageAnonExclusive on the old folio and on the new one remove_migration_ptes() maps
/// (the walk's).  No reference or map count: the entry holds none.
template <class S> void copy_migration_entry(S& s, int m, int m2, int v) {
    if constexpr (!S::domain::is_symbolic) {
        auto& e = s.migration_entry[m][v];
        if (e.folio == nil) return;
        e.writable = 0;
        s.migration_entry[m2][v] = e;
        s.folio[e.folio.get()].anon_exclusive = false;
        if (s.walker.migrate_from == e.folio) s.folio[s.walker.folio.get()].anon_exclusive = false;
    }
}

/// fork() of mm m into the lowest free mm slot m2.
template <class S> typename S::domain::Bool enabled_fork(const config& cfg, const S& s, const args& a) {
    MODEL_TYPES(S);
    const I lowest = lowest_free<D>(s.mm, cfg.lim.mms, [](const auto& x) { return x.live; });
    return mmap_writable(s, a.mm, 0, P::va_pages) && lowest == a.mm2;   // dup_mmap write-locks every VMA
}

/// --phased fork: is mm m2 a child between dup_mmap's VMA loop and fork_done?
template <class S> bool fork_pending(const S& s, int m2) { return s.fork_parent[m2] != 0; }

template <class S> void do_fork(const config& cfg, S& s, const args& a) {
    MODEL_TYPES(S);
    const int m = a.mm, m2 = a.mm2;
    s.mm[m2] = mm_t<D, P>{};
    s.mm[m2].live = true;   // mm_init()
    rmap::mm_init(cfg, s, m2);
    // --cow-fix fork_links_first: dup_cow_context() before the VMA loop copies any PTE.
    const bool link_first = cfg.cow() && cfg.fixed(cow_fix::fork_links_first);
    if (link_first) rmap::fork_done(cfg, s, m, m2);
    for (int i = 0; i < P::vmas; ++i) {
        const auto pv = s.vma[m][i];
        const B copied = pv.used && (pv.flags & I(VM_DONTCOPY)) == 0;
        const B wipe = (pv.flags & I(VM_WIPEONFORK)) != 0;
        D::when(copied, s, [&](S& s) {
            auto child = pv;   // vm_area_dup()
            child.anon_vma = nil;
            for (auto& c : child.chain) c = false;
            s.vma[m2][i] = child;
            D::when(!wipe, s, [&](S& s) { rmap::fork_vma(cfg, s, m, m2, i); });
            D::when(!wipe && pv.anon_vma != nil, s, [&](S& s) {   // vma_needs_copy()
                for (int v = 0; v < P::va_pages; ++v)
                    D::when(vma_covers(pv, I(v)), s, [&](S& s) {
                        copy_present_pte(cfg, s, m, m2, i, v);
                        copy_migration_entry(s, m, m2, v);
                    });
            });
        });
        for (int v = 0; v < P::va_pages; ++v)
            s.ref[m2][v] = D::ite(copied && !wipe && vma_covers(pv, I(v)), s.ref[m][v], s.ref[m2][v]);
    }
    if (cfg.has_phase(phased_op::fork)) {
        // The VMA loop is done; dup_mmap still holds both mmap_locks (mmap_write_lock of
        // the parent, of the child nested) until fork_done.  The parent's TLB is flushed
        // here, at the end of the loop (simplification: a store through a stale writable
        // entry in the window would be concurrent with the fork, which the reference
        // memory does not order; the model leaves that race out).
        flush_tlb_mm(s, m);
        s.mm[m].locked = true;
        s.mm[m2].locked = true;
        s.fork_parent[m2] = static_cast<std::uint8_t>(m + 1);
        return;
    }
    if (!link_first) rmap::fork_done(cfg, s, m, m2);   // dup_cow_context() once the VMA loop succeeded
    flush_tlb_mm(s, m);
}

/// --phased fork, second phase: what dup_mmap does after its VMA loop: dup_cow_context()
/// (as coded: the walk could not reach the child's mappings before this), then both
/// mmap_locks are released.
template <class S> typename S::domain::Bool enabled_fork_done(const config& cfg, const S& s, const args& a) {
    using B = typename S::domain::Bool;
    return B(cfg.has_phase(phased_op::fork) && s.fork_parent[a.mm2] == a.mm + 1);
}
template <class S> void do_fork_done(const config& cfg, S& s, const args& a) {
    const int m = a.mm, m2 = a.mm2;
    if (!(cfg.cow() && cfg.fixed(cow_fix::fork_links_first))) rmap::fork_done(cfg, s, m, m2);
    s.mm[m].locked = false;
    s.mm[m2].locked = false;
    s.fork_parent[m2] = 0;
}

}  // namespace model
