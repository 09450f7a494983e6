// model/tlb.hpp — TLBs, TLB flushes, the mmu_gather, and folio lifetime.
//
// Models: per-cpu TLBs caching (mm, vpage) -> (folio, writable), tagged by mm
// like PCIDs, filled by the hardware walk on access and removed only by an
// explicit flush (or a hardware eviction, tlb_evict); mm_cpumask as the set of
// cpus that ran the mm (flushes of an mm reach exactly those cpus, x86
// semantics); the mmu_gather order "clear PTEs, flush TLB, then free pages"
// (include/asm-generic/tlb.h, mm/mmu_gather.c: tlb_gather_mmu, tlb_finish_mmu);
// folio freeing when the last reference is dropped (folio_put), which first flushes the
// mermap's per-cpu entries (model/mermap.hpp).
//
// Leaves out: lazy-TLB borrowing by kernel threads, paging-structure caches,
// batched reclaim flushes (set_tlb_ubc_flush_pending), range-precise flushes
// (a flush of an mm range flushes the whole mm here: flushing more is safe).
#pragma once
#include "args.hpp"
#include "core.hpp"
#include "cow_context.hpp"

namespace model {

/// flush_tlb_mm(mm): invalidate mm's translations on every cpu in mm_cpumask(mm).
template <class S> void flush_tlb_mm(S& s, int m) {
    MODEL_TYPES(S);
    for (int c = 0; c < P::cpus; ++c) {
        const B target = s.mm[m].cpumask[c];
        for (int v = 0; v < P::va_pages; ++v) s.tlb[c][m][v].valid = s.tlb[c][m][v].valid && !target;
        for (auto& walked : s.psc[c][m]) walked = walked && !target;   // paging-structure caches too
    }
}

/// flush_tlb_page(vma, addr) / ptep_clear_flush: one translation, every cpu in mm_cpumask.
template <class S> void flush_tlb_page(S& s, int m, int v) {
    MODEL_TYPES(S);
    for (int c = 0; c < P::cpus; ++c) s.tlb[c][m][v].valid = s.tlb[c][m][v].valid && !s.mm[m].cpumask[c];
}

/// --phased fork: mm m is the parent or the child of a fork between its VMA loop and
/// fork_done.  dup_mmap holds both mmap_locks (and every parent VMA's write lock), so a
/// page fault there waits; an access the TLB serves needs no lock.
template <class S> bool in_fork(const S& s, int m) {
    for (std::size_t k = 0; k < s.fork_parent.size(); ++k)
        if (s.fork_parent[k] != 0 && (static_cast<int>(k) == m || s.fork_parent[k] == m + 1)) return true;
    return false;
}

/// Before a folio is freed (when `freeing`): mm/mermap.c's contract, "perform a full TLB
/// flush of the region before freeing the pages that have been mapped here"
/// (arch_mermap_flush_tlb, every cpu's area; model/mermap.hpp).  The mutant
/// mermap_free_without_flush frees with the entries still cached (H11).
template <class S> void mermap_flush_before_free(const config& cfg, S& s, typename S::domain::Bool freeing) {
    MODEL_TYPES(S);
    if (!cfg.mshare() || cfg.has(mutant::mermap_free_without_flush)) return;   // mermap actions: mshare only
    for (auto& area : s.mermap)
        for (auto& t : area.tlb) t = D::ite(freeing, I(nil), t);
}

/// folio_put(folio, n): drop n references; the last one frees the folio (and, under
/// COW contexts, its reference on folio->cow_context; the other designs have none, and
/// the cfg.cow() check keeps every COW context write out of their symbolic steps, so
/// prove's frame fixes the contexts there).
template <class S> void folio_put(const config& cfg, S& s, typename S::domain::Int f, typename S::domain::Int n) {
    MODEL_TYPES(S);
    const auto fo = D::select(s.folio, f);
    bug_on(s, bug::counter_underflow, fo.allocated && fo.refcount < n);
    mermap_flush_before_free(cfg, s, fo.allocated && fo.refcount == n);
    D::update(s.folio, f, [&](auto& x) {
        x.refcount = x.refcount - n;
        D::when(x.refcount == 0, x, [](auto& y) { y = std::decay_t<decltype(y)>{}; });
    });
    if (cfg.cow()) cow::folio_freed(s, fo.cow_context, fo.allocated && fo.refcount == n);
}

/// Zap one PTE into gather g (zap_present_ptes: folio_remove_rmap_ptes, then the
/// page reference goes to the mmu_gather batch, __tlb_remove_folio_pages).
template <class S, class G> void zap_pte(S& s, int m, int v, G& g) {
    MODEL_TYPES(S);
    const auto pte = s.pte[m][v];
    const B anon = pte.present && pte.folio != zero_pfn;
    const I one = D::ite(anon, I(1), I(0));
    bug_on(s, bug::counter_underflow, anon && D::select(s.folio, pte.folio).mapcount == 0);
    D::update(s.folio, pte.folio, [&](auto& x) { x.mapcount = x.mapcount - one; });
    D::update(g, pte.folio, [&](auto& x) { x = x + one; });
    s.pte[m][v] = pte_t<D>{};
    // --phased migrate: zap_nonpresent_ptes() clears a migration entry (no rmap, no
    // reference: the unmap dropped them); remove_migration_ptes() then finds none there.
    if constexpr (!D::is_symbolic) s.migration_entry[m][v] = {};
}

/// tlb_finish_mmu(): flush the mm's TLBs, then free the batched pages (tlb_flush_mmu:
/// invalidate, then free).  The flush must come first: the ordering rule.
template <class S> void tlb_finish_mmu(const config& cfg, S& s, int m) {
    MODEL_TYPES(S);
    if (!cfg.has(mutant::munmap_free_before_flush)) flush_tlb_mm(s, m);
    for (int f = 0; f < P::folios; ++f) {
        const I n = s.mm[m].gather[f];
        D::when(n != 0, s, [&](auto& s) { folio_put(cfg, s, I(f), n); });
        s.mm[m].gather[f] = 0;
    }
    // Mutant: the pages went back to the allocator first; the flush is a later step
    // (tlb_flush_mmu_tlbonly), so another cpu may still reach them in between.
    if (cfg.has(mutant::munmap_free_before_flush)) s.mm[m].flush_pending = true;
}

/// The deferred flush of the mutants munmap_free_before_flush and
/// mremap_flush_after_unlock (never owed otherwise).
template <class S> typename S::domain::Bool enabled_tlb_flush_pending(const config&, const S& s, const args& a) {
    return s.mm[a.mm].flush_pending;
}
template <class S> void do_tlb_flush_pending(const config&, S& s, const args& a) {
    flush_tlb_mm(s, a.mm);
    s.mm[a.mm].flush_pending = false;
    s.mm[a.mm].locked = false;   // either mutant's munmap or mremap held the mmap_lock until here
}

/// The translation a cpu would use for (m, v) now: its TLB entry, else the PTE.
template <class S> tlbe_t<typename S::domain> translation(const S& s, int c, int m, int v) {
    MODEL_TYPES(S);
    const auto& t = s.tlb[c][m][v];
    const auto& p = s.pte[m][v];
    tlbe_t<D> r;
    r.valid = t.valid || p.present;
    r.folio = D::ite(t.valid, t.folio, p.folio);
    r.writable = D::ite(t.valid, t.writable, p.writable);
    return r;
}

/// The data at a folio (the zero page reads 0).
template <class S> typename S::domain::Int content_of(const S& s, typename S::domain::Int f) {
    MODEL_TYPES(S);
    return D::ite(f == zero_pfn, s.zero_page, D::select(s.folio, f).content);
}

}  // namespace model
