// model/migrate.hpp — folio migration, the consumer of the rmap walk.
//
// Follows mm/migrate.c: migrate_folio_unmap -> try_to_migrate (mm/rmap.c:
// rmap_walk -> rmap_walk_anon, try_to_migrate_one: each PTE the walk finds that
// maps the folio (page_vma_mapped_walk) becomes a migration entry, with
// ptep_clear_flush, and the folio's map count falls); if the folio is still mapped
// afterwards (the walk missed a mapping) migration fails and
// remove_migration_ptes(src, src) restores the old folio; otherwise the new folio
// inherits mapping, index, PageAnonExclusive and the data, and
// remove_migration_ptes(src, dst) walks again: each migration entry it finds becomes
// a PTE to the new folio (same permissions), raising its map count from 0; then the
// old folio is freed.  An entry that walk misses is left behind: bug
// migration_entry_left (no_kernel_bug), the BUG_ON in pfn_swap_entry_folio() that the
// next fault or zap of it hits.  The anon_vma walk cannot miss one; the COW context
// walk as coded does (its exclusive early stop reads the map count the walk is
// rebuilding: docs/cow-context-findings.md, finding 13).
//
// With --phased migrate (concrete engines) a migration whose unmap succeeded leaves its
// entries in the page tables (state.migration_entry) and remove_migration_ptes(src, dst)
// runs as a walk in steps: under the anon_vma design (and mshare's) an anon_vma walk
// (anon_walk_step, model/anon_walk.hpp), under the COW context cow_context_walk as
// --phased walk runs it (walk_step, model/cow_walk.hpp).  A fault on an entry waits
// meanwhile (migration_entry_wait); a move (mremap, model/mremap.hpp) carries entries with
// the PTEs, so B11's race can leave one behind (mutant mremap_skips_rmap_locks); a zap
// (munmap, MADV_DONTNEED, exit) clears one (zap_nonpresent_ptes: model/tlb.hpp zap_pte);
// an mprotect makes one read-only (change_pte_range); fork copies one, read-only in both
// (copy_nonpresent_pte: model/fork.hpp), so the walk must reach the child too.  The unmap,
// and a failed migration's restore, stay one step.
//
// Simplifications: without --phased migrate the migration is one step (no other cpu acts
// while the entries are in place, so no fault waits on one, and a fork or mremap cannot
// copy or move one); migration entries live only inside that step.  With it, the walk
// begins in the step that unmapped (rmap_walk right after try_to_migrate: nothing runs
// between the unmap and the copy), and only what may run beside the walk runs beside it
// (model/actions.hpp phases_allow: beside an anon_vma walk no fork, munmap or exit, which
// take an anon_vma lock for write; beside the COW context's RCU walk, anything).  The
// exclusive bit of an entry is the folio's PageAnonExclusive (a fork that copies an entry
// clears it).  One migration walk at a time, and none beside another walk.
//
// Leaves out: isolation from the LRU, the folio lock, large folios, swap-backed
// reclaim (try_to_unmap: the model has no swap).  A pinned folio or one with
// extra references (e.g. queued in an mmu_gather) is not migrated, as
// folio_expected_ref_count() refuses it.
#pragma once
#include "anon_walk.hpp"
#include "args.hpp"
#include "tlb.hpp"
#include "rmap.hpp"

namespace model {

template <class S> typename S::domain::Bool enabled_migrate(const config& cfg, const S& s, const args& a) {
    const auto& fo = s.folio[a.folio];
    // mshare region pages are shared (mapping nil), not anonymous: not migrated here.
    if constexpr (!S::domain::is_symbolic)
        if (cfg.has_phase(phased_op::migrate) && s.walker.folio != nil) return false;   // one walk at a time
    return fo.allocated && !fo.shmem && fo.mapcount != 0 && fo.refcount == fo.mapcount && fo.pincount == 0;
}

/// --phased migrate applies.
inline bool phased_migrate(const config& cfg) { return cfg.has_phase(phased_op::migrate); }

/// --phased migrate: the unmap succeeded (entry[m][v]: the migration entries it made, each
/// PTE still holding the folio and its write bit); the data is copied to the new folio
/// dst, which takes src's mapping, index and PageAnonExclusive, unmapped (folio_migrate_mapping,
/// folio_migrate_flags), and remove_migration_ptes(src, dst) begins: rmap_walk(dst) in
/// steps, its reference on dst the walker's, the migration's own on src kept until the walk
/// ends (walker_end: end_remove_migration_ptes).  Under the anon_vma design the walk is
/// model/anon_walk.hpp's; under the COW context dst holds a reference on src's context
/// (__folio_migrate_mapping in the PoC's mm/migrate.c at 783e3bdb5f85:
/// folio_set_cow_context(newfolio, folio_cow_context(folio)), get_cow_context once the
/// refcount is frozen; src's goes when src is freed) and the walk is cow_context_walk from
/// it (model/cow_walk.hpp).
template <class S, class E>
void begin_remove_migration_ptes(const config& cfg, S& s, cint src, cint dst, const E& entry) {
    using P = typename S::preset;
    auto& from = s.folio[src.get()];
    auto& to = s.folio[dst.get()];
    to = from;
    to.mapcount = 0;
    to.refcount = 1;     // the walk's (rmap_walk holds the folio locked and referenced)
    from.refcount = 1;   // the migration's, on the old folio
    if (cfg.cow()) cow::get(s, to.cow_context);
    auto& w = s.walker;
    w.migrate_from = src;
    for (int m = 0; m < P::mms; ++m)
        for (int v = 0; v < P::va_pages; ++v)
            if (entry[m][v]) {
                auto& p = s.pte[m][v];
                s.migration_entry[m][v] = {src, static_cast<std::uint8_t>(p.writable ? 1 : 0)};
                p = pte_t<typename S::domain>{};
                w.pending[m] = 1;
            }
    if (cfg.cow()) walker_start(cfg, s, dst);
    else anon_walk_start(cfg, s, dst);
}

template <class S> void do_migrate(const config& cfg, S& s, const args& a) {
    MODEL_TYPES(S);
    const I f = a.folio;
    const I nf = lowest_free<D>(s.folio, cfg.lim.folios, [](const auto& fo) { return fo.allocated; });
    out_of_bounds_if(s, nf == nil);
    // try_to_migrate(): try_to_migrate_one on each PTE the walk reaches that maps the folio
    // (page_vma_mapped_walk): ptep_clear_flush, a migration entry in its place
    // (entry[m][v]; the PTE keeps its folio and permissions for the way back),
    // folio_remove_rmap_pte and folio_put.  The map count falls as the walk goes, and the
    // COW context walk reads it (walk_context's was_exclusive).  A walk may hand the same
    // VMA to rmap_one twice; the second visit finds the entry, not the folio.
    std::array<std::array<B, P::va_pages>, P::mms> entry;
    for (auto& per_mm : entry) per_mm.fill(B(false));
    rmap::walk(cfg, s, f, B(true), [&](B visit, int m, int, I vp) {
        const auto p = D::select(s.pte[m], vp);
        const B hit = visit && p.present && p.folio == f;
        for (int v = 0; v < P::va_pages; ++v) entry[m][v] = entry[m][v] || (hit && vp == v);
        D::update(s.pte[m], vp, [&](auto& p) { p.present = p.present && !hit; });
        for (int c = 0; c < P::cpus; ++c)
            D::update(s.tlb[c][m], vp, [&](auto& t) { t.valid = t.valid && !(hit && s.mm[m].cpumask[c]); });
        D::update(s.folio, f, [&](auto& x) {
            x.mapcount = x.mapcount - D::ite(hit, I(1), I(0));
            x.refcount = x.refcount - D::ite(hit, I(1), I(0));
        });
    });
    // !folio_mapped(src) after the unmap: the copy goes ahead (migrate_folio_move), and
    // remove_migration_ptes(src, dst) maps the new folio where the entries are; else the
    // migration fails and remove_migration_ptes(src, src) restores the old one.  Either way
    // rmap_walk() runs on a folio with src's mapping and index whose map count starts at
    // what the unmap left (0 on success) and rises with each entry restored
    // (remove_migration_pte: folio_get, folio_add_anon_rmap_pte).  The model walks src
    // and moves it to its new slot afterwards; under the COW context the new folio walks
    // from src's context (__folio_migrate_mapping sets dst's pointer to it: see
    // begin_remove_migration_ptes).
    const B complete = D::select(s.folio, f).mapcount == 0;
    if constexpr (!D::is_symbolic) {
        if (phased_migrate(cfg) && complete && nf != nil) return begin_remove_migration_ptes(cfg, s, a.folio, nf, entry);
    }
    rmap::walk(cfg, s, f, B(true), [&](B visit, int m, int, I vp) {
        B hit = false;
        for (int v = 0; v < P::va_pages; ++v) hit = hit || (entry[m][v] && vp == v);
        hit = hit && visit;
        for (int v = 0; v < P::va_pages; ++v) entry[m][v] = entry[m][v] && !(hit && vp == v);
        D::update(s.pte[m], vp, [&](auto& p) { p.present = p.present || hit; });
        D::update(s.folio, f, [&](auto& x) {
            x.mapcount = x.mapcount + D::ite(hit, I(1), I(0));
            x.refcount = x.refcount + D::ite(hit, I(1), I(0));
        });
    });
    // An entry the walk missed stays in the page table, and the folio is unlocked: the
    // next fault on it (migration_entry_wait) or its zap (exit at the latest) calls
    // pfn_swap_entry_folio(), which BUG_ONs on a migration entry to an unlocked folio.
    // (The model clears the entry it leaves: what the kernel does next is the BUG.)  On
    // success the restored PTEs point to the new folio's slot.
    B left = false;
    for (int m = 0; m < P::mms; ++m)
        for (int v = 0; v < P::va_pages; ++v) {
            auto& p = s.pte[m][v];
            left = left || entry[m][v];
            p.folio = D::ite(entry[m][v], I(0), D::ite(complete && p.present && p.folio == f, nf, p.folio));
            p.writable = p.writable && !entry[m][v];
        }
    bug_on(s, bug::migration_entry_left, left);
    D::when(complete, s, [&](S& s) {
        const auto moved = D::select(s.folio, f);
        D::update(s.folio, nf, [&](auto& x) { x = moved; });
        mermap_flush_before_free(cfg, s, B(true));   // the old folio is freed
        s.folio[a.folio] = folio_t<D>{};
    });
}

}  // namespace model
