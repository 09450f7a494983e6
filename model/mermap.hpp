// model/mermap.hpp — the mermap: per-cpu local mappings of pages for the kernel's own use.
//
// Follows Brendan Jackman's mermap (2026, mm/mermap.c; domain notes
// ../shared/domain/mshare-tlb.md section 4 and hazard H11).  Each cpu has an area of
// mermap_slots virtual slots (MERMAP_BASE_ADDR + cpu * MERMAP_CPU_REGION_SIZE):
//   mermap_get(page)  bump-allocates the next slot of the current cpu's area and installs
//                     its PTE (apply_to_existing_page_range), with migration disabled;
//                     when the area is used up it wraps (mermap_alloc): the cursor goes
//                     back to just past the highest slot still in use (the area's base when
//                     none is), the area is flushed first (arch_mermap_flush_tlb), and if
//                     no slot is left past the highest one in use, mermap_get fails (NULL:
//                     the action is not enabled).  A slot put before the wrap but below a
//                     slot still in use is skipped until the next wrap, whose flush
//                     covers it: freed space is reused only after a flush;
//   a kernel access   through the slot: the cpu's TLB caches the translation;
//   mermap_put()      replaces the PTE with the PAGE_NONE sentinel and re-enables
//                     migration, WITHOUT a TLB flush: the cpu may keep the translation.
// The contract in the code: "perform a full TLB flush of the region before freeing the
// pages that have been mapped here".  The model keeps it on the free path:
// mermap_flush_before_free (model/tlb.hpp), called by folio_put's last reference and by
// migration's free of the old folio, flushes every cpu's mermap entries; the mutant
// mermap_free_without_flush leaves them, so a cpu still reaches the freed (and reused) page;
// the mutant mermap_wrap_without_flush reuses a slot without the wrap's flush, so an access
// through the new mapping reaches the slot's previous page.
//
// State: mermap[cpu] (model/state.hpp): next slot, each slot's PTE (the folio, nil for
// none or the sentinel) and the cpu's TLB entry for the slot (the folio it translates to,
// nil for none).
//
// Simplifications: one area per cpu, not per mm and cpu (an area belongs to the mm the
// cpu runs when mermap_get is called; the model keeps no per-mm copy, and an mm's exit
// does not tear its areas down); one page per mermap_get (mermap_get_reserved's size),
// and the last page of the area is not kept back for mermap_get_reserved; the code's
// four alloc-tracking structures per cpu (mc->allocs) never run out with two slots;
// the caller's page reference is part of the actions (get_page before mermap_get,
// put_page after mermap_put), which is what keeps the page alive while it is mapped;
// only the owning cpu ever caches a slot (the hardware does not enforce that; a
// speculative access from another cpu is not modelled); the flush on free is
// unconditional (the code flushes when it frees pages it mapped: every page the model
// frees may have been); mermap_get takes a private page the mm's own PTE maps (a region
// page seen through an mshare window is not offered).
#pragma once
#include "args.hpp"
#include "fault.hpp"

namespace model::mermap {

/// Where mermap_alloc's wrap puts the cursor: just past the highest slot still in use
/// (new_next = max(alloc->end) over the in-use allocs), the area's base when none is.
template <class D> typename D::Int wrap_next(const mermap_t<D>& area) {
    using I = typename D::Int;
    I n = 0;
    for (int k = 0; k < mermap_slots; ++k) n = D::ite(area.pte[k] != I(nil), I(k + 1), n);
    return n;
}

/// mermap_get(page) on cpu c for vpage v of the mm it runs: the page of a present PTE
/// ("map only memory of the current process", process context), and room in the area,
/// after a wrap if the area is used up (mermap_alloc returns NULL otherwise).
template <class S> typename S::domain::Bool enabled_mermap_get(const config&, const S& s, const args& a) {
    MODEL_TYPES(S);
    const auto& area = s.mermap[a.cpu];
    const auto& p = s.pte[a.mm][a.start];
    return cpu_runs(s, a.cpu, a.mm) && p.present && p.folio != zero_pfn &&
           (area.next != I(mermap_slots) || wrap_next<D>(area) != I(mermap_slots));
}
template <class S> void do_mermap_get(const config& cfg, S& s, const args& a) {
    MODEL_TYPES(S);
    auto& area = s.mermap[a.cpu];
    const I f = s.pte[a.mm][a.start].folio;
    // Out of space (mermap_alloc): flush the area (arch_mermap_flush_tlb; the mutant
    // mermap_wrap_without_flush skips it), then go on from past the highest slot in use.
    const bool flush = !cfg.has(mutant::mermap_wrap_without_flush);
    const I restart = wrap_next<D>(area);
    D::when(area.next == I(mermap_slots), area, [flush, &restart](auto& x) {
        if (flush)
            for (auto& t : x.tlb) t = nil;
        x.next = restart;
    });
    D::update(area.pte, area.next, [&](auto& x) { x = f; });   // apply_to_existing_page_range
    area.next = area.next + 1;
    D::update(s.folio, f, [](auto& x) { x.refcount = x.refcount + 1; });   // the caller's get_page
}

/// A kernel access through slot a.value of cpu a.cpu (between mermap_get and mermap_put):
/// the cpu's TLB entry, else a hardware walk of the slot's PTE, which fills the TLB.
template <class S> typename S::domain::Bool enabled_mermap_use(const config&, const S& s, const args& a) {
    MODEL_TYPES(S);
    return s.mermap[a.cpu].pte[a.value] != I(nil);
}
template <class S> void do_mermap_use(const config&, S& s, const args& a) {
    MODEL_TYPES(S);
    auto& area = s.mermap[a.cpu];
    const I mapped = area.pte[a.value];
    D::when(area.tlb[a.value] == I(nil), area, [&](auto& x) { x.tlb[a.value] = mapped; });
    // The access must reach the page the slot maps (a stale entry reaches an older one).
    s.bad_read = s.bad_read || content_of(s, area.tlb[a.value]) != content_of(s, mapped);
}

/// mermap_put(): the PTE becomes the PAGE_NONE sentinel, no TLB flush; then the caller's
/// put_page (which frees the page if it was the last reference: folio_put flushes first).
template <class S> typename S::domain::Bool enabled_mermap_put(const config& cfg, const S& s, const args& a) {
    return enabled_mermap_use(cfg, s, a);
}
template <class S> void do_mermap_put(const config& cfg, S& s, const args& a) {
    MODEL_TYPES(S);
    const I f = s.mermap[a.cpu].pte[a.value];
    s.mermap[a.cpu].pte[a.value] = nil;
    folio_put(cfg, s, f, I(1));
}

}  // namespace model::mermap
