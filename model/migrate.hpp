// model/migrate.hpp — folio migration, the consumer of the rmap walk.
//
// Follows mm/migrate.c: migrate_folio_unmap -> try_to_migrate (mm/rmap.c:
// rmap_walk -> rmap_walk_anon, try_to_migrate_one: each PTE the walk finds that
// maps the folio (page_vma_mapped_walk) becomes a migration entry, with
// ptep_clear_flush); if the folio is still mapped afterwards (the walk missed a
// mapping) migration fails and remove_migration_ptes restores the old folio;
// otherwise the new folio inherits mapping, index, PageAnonExclusive and the
// data, every migration entry becomes a PTE to it (same permissions), and the
// old folio is freed.
//
// Leaves out: isolation from the LRU, the folio lock, large folios, swap-backed
// reclaim (try_to_unmap: the model has no swap).  A pinned folio or one with
// extra references (e.g. queued in an mmu_gather) is not migrated, as
// folio_expected_ref_count() refuses it.
#pragma once
#include "args.hpp"
#include "tlb.hpp"
#include "rmap.hpp"

namespace model {

template <class S> typename S::domain::Bool enabled_migrate(const config&, const S& s, const args& a) {
    const auto& fo = s.folio[a.folio];
    // mshare region pages are shared (mapping nil), not anonymous: not migrated here.
    return fo.allocated && !fo.shmem && fo.mapcount != 0 && fo.refcount == fo.mapcount && fo.pincount == 0;
}

template <class S> void do_migrate(const config& cfg, S& s, const args& a) {
    MODEL_TYPES(S);
    const I f = a.folio;
    const I nf = lowest_free<D>(s.folio, cfg.lim.folios, [](const auto& fo) { return fo.allocated; });
    out_of_bounds_if(s, nf == nil);
    // try_to_migrate(): count the mappings the walk reaches (each PTE once: a walk may
    // hand the same VMA to rmap_one twice, and the second visit finds the entry gone).
    std::array<std::array<B, P::va_pages>, P::mms> reached;
    for (auto& per_mm : reached) per_mm.fill(B(false));
    rmap::walk(cfg, s, f, B(true), [&](B visit, int m, int, I vp) {
        const auto p = D::select(s.pte[m], vp);
        for (int v = 0; v < P::va_pages; ++v) reached[m][v] = reached[m][v] || (visit && p.present && p.folio == f && vp == v);
    });
    I found = 0;
    for (const auto& per_mm : reached)
        for (const auto& r : per_mm) found = found + D::ite(r, I(1), I(0));
    const auto old = s.folio[a.folio];
    const B complete = found == old.mapcount;   // !folio_mapped(src) after the unmap
    // Each reached PTE was cleared and flushed; on success it now maps the new folio.
    rmap::walk(cfg, s, f, B(true), [&](B visit, int m, int, I vp) {
        const B hit = visit && D::select(s.pte[m], vp).present && D::select(s.pte[m], vp).folio == f;
        D::update(s.pte[m], vp, [&](auto& p) { p.folio = D::ite(hit && complete, nf, p.folio); });
        for (int c = 0; c < P::cpus; ++c)
            D::update(s.tlb[c][m], vp, [&](auto& t) { t.valid = t.valid && !(hit && s.mm[m].cpumask[c]); });
    });
    D::when(complete, s, [&](S& s) {
        D::update(s.folio, nf, [&](auto& x) { x = old; });
        mermap_flush_before_free(cfg, s, B(true));   // the old folio is freed
        s.folio[a.folio] = folio_t<D>{};
    });
}

}  // namespace model
