// model/fault.hpp — user reads and writes through the TLB, and the page faults
// they take.
//
// An access by cpu c (running mm m) at vpage v uses c's TLB entry if there is
// one that allows it; otherwise the fault handler runs (handle_mm_fault ->
// do_anonymous_page or do_wp_page), the faulting translation is dropped (x86
// invalidates it on a fault), and the hardware walk refills the TLB from the
// PTE.  A read compares what it got with the reference memory.
//
// Follows mm/memory.c: do_anonymous_page (read: the shared zero page unless
// mm_forbids_zeropage() (config::zero_page), write: vmf_anon_prepare + a new
// exclusive folio), do_wp_page (PageAnonExclusive ->
// reuse; wp_can_reuse_anon_folio: refcount 1 -> folio_move_anon_rmap + reuse;
// else wp_page_copy: new folio, ptep_clear_flush before the new PTE, then
// folio_remove_rmap_pte + folio_put of the old one).
//
// Leaves out: large folios, KSM, swap cache, userfaultfd, the per-VMA lock
// retry path (faults are atomic steps here).
#pragma once
#include "args.hpp"
#include "mshare.hpp"
#include "rmap.hpp"
#include "tlb.hpp"

namespace model {

/// A new exclusive anonymous folio mapped at (m, v) in VMA i: do_anonymous_page
/// (write) and wp_page_copy share this.  Returns the folio slot.
template <class S>
typename S::domain::Int new_anon_folio(const config& cfg, S& s, int m, int i, int v, typename S::domain::Int content) {
    MODEL_TYPES(S);
    const I f = lowest_free<D>(s.folio, cfg.lim.folios, [](const auto& fo) { return fo.allocated; });
    out_of_bounds_if(s, f == nil);
    D::update(s.folio, f, [&](auto& fo) {
        fo.allocated = true; fo.content = content;
        fo.mapcount = 1; fo.refcount = 1; fo.pincount = 0; fo.anon_exclusive = true;
        fo.cow_context = nil;
    });
    rmap::add_new(cfg, s, f, m, i, I(v));
    return f;
}

/// do_anonymous_page(): read -> zero page, read-only; write (or a read where
/// mm_forbids_zeropage(), config::zero_page false) -> new exclusive folio, its PTE
/// writable and dirty in a VM_WRITE VMA.
template <class S> void do_anonymous_page(const config& cfg, S& s, int m, int i, int v, bool write) {
    MODEL_TYPES(S);
    if (!write && cfg.zero_page) {
        s.pte[m][v] = pte_t<D>{true, I(zero_pfn), false};
        return;
    }
    rmap::prepare(cfg, s, m, i);  // vmf_anon_prepare -> __anon_vma_prepare
    const I f = new_anon_folio(cfg, s, m, i, v, I(0));
    s.pte[m][v] = pte_t<D>{true, f, (s.vma[m][i].flags & I(VM_WRITE)) != 0};
}

/// do_wp_page(): write fault on a present, read-only PTE in a writable VMA; with
/// unshare (FAULT_FLAG_UNSHARE, from a read-only GUP pin) the PTE stays read-only.
template <class S> void do_wp_page(const config& cfg, S& s, int m, int i, int v, bool unshare = false) {
    MODEL_TYPES(S);
    const auto pte = s.pte[m][v];
    const I old = pte.folio;
    const B zero = old == zero_pfn;
    const auto fo = D::select(s.folio, old);
    const B exclusive = !zero && fo.anon_exclusive;
    // wp_can_reuse_anon_folio(): small folio, not KSM, only our reference.
    B can_reuse = !zero && !fo.anon_exclusive && fo.refcount == 1;
    // Mutant gup_cow_leak (CVE-2020-29374): before the PageAnonExclusive series, reuse was
    // decided by the map count alone (reuse_swap_page), blind to GUP references.
    if (cfg.has(mutant::gup_cow_leak)) can_reuse = !zero && !fo.anon_exclusive && fo.mapcount == 1;
    D::when(can_reuse, s, [&](S& s) {
        rmap::move_on_reuse(cfg, s, old, m, i);
        D::update(s.folio, old, [](auto& x) { x.anon_exclusive = true; });
    });
    // wp_page_reuse(): make the PTE writable (no flush needed to add permissions).
    if (!unshare) D::when(exclusive || can_reuse, s, [&](S& s) { s.pte[m][v].writable = true; });
    // wp_page_copy()
    D::when(!exclusive && !can_reuse, s, [&](S& s) {
        rmap::prepare(cfg, s, m, i);
        const I f = new_anon_folio(cfg, s, m, i, v, content_of(s, old));
        s.pte[m][v] = pte_t<D>{};   // ptep_clear_flush(): clear, then flush every cpu in mm_cpumask
        flush_tlb_page(s, m, v);
        s.pte[m][v] = pte_t<D>{true, f, !unshare};
        D::when(!zero, s, [&](S& s) {   // folio_remove_rmap_pte(old) after the flush, then folio_put
            bug_on(s, bug::counter_underflow, D::select(s.folio, old).mapcount == 0);
            D::update(s.folio, old, [](auto& x) { x.mapcount = x.mapcount - 1; });
            folio_put(cfg, s, old, I(1));
        });
    });
}

/// A store by mm m that landed in folio f updates what that mm's pins of f must read.
template <class S> void pins_note_store(S& s, int m, typename S::domain::Int f, typename S::domain::Bool stored,
                                        typename S::domain::Int value) {
    MODEL_TYPES(S);
    for (auto& p : s.pin) p.expect = D::ite(stored && p.used && p.mm == m && p.folio == f, value, p.expect);
}

/// Fill cpu c's TLB from the PTE (the hardware page walk).
template <class S> void tlb_fill(S& s, int c, int m, int v) {
    const auto& p = s.pte[m][v];
    auto& t = s.tlb[c][m][v];
    t.valid = p.present;
    t.folio = p.folio;
    t.writable = p.writable;
}

/// The cpu runs mm m (the parameter is checked against cpu->mm, so indices stay concrete).
template <class S> typename S::domain::Bool cpu_runs(const S& s, int c, int m) {
    return s.mm[m].live && s.cpu[c].mm == m;
}

/// A user load by cpu c at vpage v of mm m.
template <class S> typename S::domain::Bool enabled_read(const config&, const S& s, const args& a) {
    if (in_fork(s, a.mm)) return cpu_runs(s, a.cpu, a.mm) && s.tlb[a.cpu][a.mm][a.start].valid;
    return cpu_runs(s, a.cpu, a.mm);
}
template <class S> void do_read(const config& cfg, S& s, const args& a) {
    MODEL_TYPES(S);
    const int c = a.cpu, m = a.mm, v = a.start;
    D::when(!s.tlb[c][m][v].valid, s, [&](S& s) {
        for (int i = 0; i < P::vmas; ++i)
            D::when(vma_covers(s.vma[m][i], I(v)) && !s.pte[m][v].present, s,
                    [&](S& s) { do_anonymous_page(cfg, s, m, i, v, false); });
        tlb_fill(s, c, m, v);
    });
    mshare::window_fault(cfg, s, c, m, v, false);   // no VMA there: an mshare window's walk
    const auto& t = s.tlb[c][m][v];
    // A load that found no translation raised SIGSEGV and returned nothing.
    s.bad_read = s.bad_read || (t.valid && content_of(s, t.folio) != s.ref[m][v]);
}

/// A user store of `value` by cpu c at vpage v of mm m.
template <class S> typename S::domain::Bool enabled_write(const config&, const S& s, const args& a) {
    if (in_fork(s, a.mm)) {   // --phased fork: only a store the TLB allows without a fault
        const auto& t = s.tlb[a.cpu][a.mm][a.start];
        return cpu_runs(s, a.cpu, a.mm) && t.valid && t.writable;
    }
    return cpu_runs(s, a.cpu, a.mm);
}
template <class S> void do_write(const config& cfg, S& s, const args& a) {
    MODEL_TYPES(S);
    const int c = a.cpu, m = a.mm, v = a.start;
    const auto t = s.tlb[c][m][v];
    D::when(!(t.valid && t.writable), s, [&](S& s) {
        s.tlb[c][m][v].valid = false;
        for (int i = 0; i < P::vmas; ++i) {
            const auto& vma = s.vma[m][i];
            const B ok = vma_covers(vma, I(v)) && (vma.flags & I(VM_WRITE)) != 0;
            const auto pte = s.pte[m][v];
            D::when(ok && !pte.present, s, [&](S& s) { do_anonymous_page(cfg, s, m, i, v, true); });
            D::when(ok && pte.present && !pte.writable, s, [&](S& s) { do_wp_page(cfg, s, m, i, v); });
        }
        D::when(s.pte[m][v].present && s.pte[m][v].writable, s, [&](S& s) { tlb_fill(s, c, m, v); });
    });
    mshare::window_fault(cfg, s, c, m, v, true);    // no VMA there: an mshare window's walk
    // The store lands if a writable translation exists now; else SIGSEGV.
    const auto t2 = s.tlb[c][m][v];
    const B stored = t2.valid && t2.writable;
    D::update(s.folio, t2.folio, [&](auto& fo) { fo.content = D::ite(stored, I(a.value), fo.content); });
    pins_note_store(s, m, t2.folio, stored, I(a.value));
    s.ref[m][v] = D::ite(stored, I(a.value), s.ref[m][v]);
    mshare::window_store(s, m, v, stored, I(a.value));   // every window onto the region sees it
}

/// switch_mm(): cpu c starts running mm m; c joins mm_cpumask(m) (bits are never
/// cleared while the mm lives: the cpu may keep PCID-tagged translations).
template <class S> typename S::domain::Bool enabled_switch_mm(const config&, const S& s, const args& a) {
    return s.mm[a.mm].live && s.cpu[a.cpu].mm != a.mm;
}
template <class S> void do_switch_mm(const config&, S& s, const args& a) {
    s.cpu[a.cpu].mm = a.mm;
    s.mm[a.mm].cpumask[a.cpu] = true;
}

/// The hardware evicts every translation of cpu c (always allowed; never required).
template <class S> typename S::domain::Bool enabled_tlb_evict(const config&, const S& s, const args& a) {
    MODEL_TYPES(S);
    B any = false;
    for (const auto& per_mm : s.tlb[a.cpu])
        for (const auto& t : per_mm) any = any || t.valid;
    return any;
}
template <class S> void do_tlb_evict(const config&, S& s, const args& a) {
    for (auto& per_mm : s.tlb[a.cpu])
        for (auto& t : per_mm) t = tlbe_t<typename S::domain>{};
}

}  // namespace model
