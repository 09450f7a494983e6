// model/gup.hpp — GUP pins (FOLL_PIN | FOLL_LONGTERM): pin, unpin, and I/O through a pin.
//
// A pin is what vmsplice(), O_DIRECT or an RDMA registration holds: a folio
// reference that outlives the page tables' view of it.  pin_user_pages() first
// faults the page in (mm/gup.c: faultin_page): a write pin breaks COW like a
// write fault; a read-only pin of a page that is not PageAnonExclusive triggers
// FAULT_FLAG_UNSHARE (a7f226604170: do_wp_page copies or reuses but keeps the
// PTE read-only), so a pinned anonymous page is always exclusive to the pinner
// (b6a2619c60b4 checks that under CONFIG_DEBUG_VM).  Then the folio's pin count
// and reference count go up.  Reads and (for FOLL_WRITE pins) writes through the
// pin are the device's or the pipe's view of that page.
//
// A pin records what a read through it must return: the pinner's data.  Only the
// pinning process (or I/O through the pin) may change it; a write by any other
// process that lands in the pinned folio is the leak CVE-2020-29374 was about.
//
// Leaves out: GUP-fast and its barriers, FOLL_LONGTERM migration off movable
// zones, pins of the shared zero page (a read-only pin of it unshares first),
// FOLL_GET references (only FOLL_PIN is modelled).
#pragma once
#include "args.hpp"
#include "fault.hpp"

namespace model {

/// pin_user_pages(mm, vpage, FOLL_WRITE if write): fault in, then pin.
template <class S> typename S::domain::Bool enabled_pin_user_pages(const config&, const S& s, const args& a) {
    MODEL_TYPES(S);
    B ok = false;
    for (int i = 0; i < P::vmas; ++i) {
        const auto& v = s.vma[a.mm][i];
        ok = ok || (vma_covers(v, I(a.start)) && (a.value == 0 || (v.flags & I(VM_WRITE)) != 0));
    }
    return s.mm[a.mm].live && ok;
}
template <class S> void do_pin_user_pages(const config& cfg, S& s, const args& a) {
    MODEL_TYPES(S);
    const int m = a.mm, v = a.start;
    const bool write = a.value != 0;
    for (int i = 0; i < P::vmas; ++i) {
        if (D::known_false(vma_covers(s.vma[m][i], I(v)))) continue;
        const B here = vma_covers(s.vma[m][i], I(v));
        D::when(here, s, [&](S& s) {
            // faultin_page(): a missing page is faulted in (write: new folio; read: zero page).
            D::when(!s.pte[m][v].present, s, [&](S& s) { do_anonymous_page(cfg, s, m, i, v, write); });
            const auto pte = s.pte[m][v];
            const auto fo = D::select(s.folio, pte.folio);
            if (write) {
                D::when(!pte.writable, s, [&](S& s) { do_wp_page(cfg, s, m, i, v, false); });
            } else {
                // gup_must_unshare(): a R/O pin of a page that may be shared unshares it first.
                B must_unshare = pte.folio == zero_pfn || !fo.anon_exclusive;
                if (cfg.has(mutant::gup_cow_leak)) must_unshare = pte.folio == zero_pfn;   // before the PAE series
                D::when(must_unshare, s, [&](S& s) { do_wp_page(cfg, s, m, i, v, true); });
            }
        });
    }
    const I f = s.pte[a.mm][v].folio;
    const I slot = lowest_free<D>(s.pin, P::pins, [](const auto& p) { return p.used; });
    out_of_bounds_if(s, slot == nil);
    D::update(s.folio, f, [](auto& fo) {
        fo.pincount = fo.pincount + 1;
        fo.refcount = fo.refcount + 1;
    });
    const I expect = s.ref[m][v];
    D::update(s.pin, slot, [&](auto& p) {
        p.used = true; p.mm = m; p.vpage = v; p.folio = f; p.writable = write; p.expect = expect;
    });
}

/// unpin_user_page(): drop the pin and its folio reference.
template <class S> typename S::domain::Bool enabled_unpin_user_page(const config&, const S& s, const args& a) {
    return s.pin[a.folio].used;   // args.folio names the pin slot
}
template <class S> void do_unpin_user_page(const config&, S& s, const args& a) {
    MODEL_TYPES(S);
    const auto p = s.pin[a.folio];
    bug_on(s, bug::counter_underflow, D::select(s.folio, p.folio).pincount == 0);
    D::update(s.folio, p.folio, [](auto& fo) { fo.pincount = fo.pincount - 1; });
    folio_put(s, p.folio, I(1));
    s.pin[a.folio] = pin_t<D>{};
}

/// A read through the pin (e.g. the pipe end of a vmsplice): must see the pinner's data.
template <class S> typename S::domain::Bool enabled_pin_read(const config&, const S& s, const args& a) {
    return s.pin[a.folio].used;
}
template <class S> void do_pin_read(const config&, S& s, const args& a) {
    const auto& p = s.pin[a.folio];
    s.bad_read = s.bad_read || content_of(s, p.folio) != p.expect;
}

/// Device I/O writing through a FOLL_WRITE pin: the pinner's buffer gets the data.
template <class S> typename S::domain::Bool enabled_pin_write(const config&, const S& s, const args& a) {
    return s.pin[a.folio].used && s.pin[a.folio].writable;
}
template <class S> void do_pin_write(const config&, S& s, const args& a) {
    MODEL_TYPES(S);
    const auto p = s.pin[a.folio];
    const I f = p.folio;
    for (auto& q : s.pin) q.expect = D::ite(q.used && q.folio == f, I(a.value), q.expect);   // every pin of it sees the I/O
    D::update(s.folio, f, [&](auto& fo) { fo.content = a.value; });
    // The pinner sees the data wherever it still maps the pinned page (mremap may have moved it).
    for (int m = 0; m < P::mms; ++m)
        for (int v = 0; v < P::va_pages; ++v) {
            const auto& pte = s.pte[m][v];
            B maps = pte.present && pte.folio == f;
            for (int c = 0; c < P::cpus; ++c)   // also through a translation a munmap has not flushed yet
                maps = maps || (s.tlb[c][m][v].valid && s.tlb[c][m][v].folio == f);
            s.ref[m][v] = D::ite(p.mm == m && maps, I(a.value), s.ref[m][v]);
        }
}

}  // namespace model
