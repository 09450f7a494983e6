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
// A forced write (write(2) to /proc/self/mem: mem_rw -> access_remote_vm ->
// get_user_pages_remote(FOLL_FORCE | FOLL_WRITE), then copy_to_user_page into the
// page it returned) is split into two phases, so that other operations can run in
// between, as they can in the kernel (the GUP holds the mmap_lock for read only;
// MADV_DONTNEED, faults and migration take it for read or not at all):
//   mem_write_faultin  follow_page_mask() failed for FOLL_WRITE, faultin_page() takes a
//                      write fault (FAULT_FLAG_WRITE): a missing page gets a new anon
//                      folio, a shared or zero page is COW-broken (do_wp_page); in a
//                      VMA without VM_WRITE the PTE stays read-only (maybe_mkwrite).
//   mem_write          the retry: follow_page_mask() again, then the copy into the page
//                      it returned.  Fixed (today's mm/gup.c): FOLL_WRITE stays set and
//                      can_follow_write_pte() accepts a read-only PTE only if it maps a
//                      PageAnonExclusive anon page in a !VM_WRITE VMA; otherwise the
//                      write fault is taken again (folded into this step).  Mutant
//                      dirty_cow (before 19be0eaffa3a, e.g. v4.8): faultin_page() cleared
//                      FOLL_WRITE after VM_FAULT_WRITE in a !VM_WRITE VMA, so the retry
//                      is a read lookup: an empty PTE (MADV_DONTNEED zapped the COW copy)
//                      is read-faulted to the shared zero page, follow_page_pte() returns
//                      it (its is_zero_pfn branch) and the write lands there.
// Between the phases the mm's writers of the mmap_lock (mmap, munmap, mprotect,
// madvise flag changes, mremap, fork) wait, and exit waits for the mm reference
// mem_rw holds (mm.foll_force).  One forced write per mm is in flight at a time.
// The retry loop's later rounds (fault again, follow again) are one atomic step.
//
// Leaves out: GUP-fast and its barriers, FOLL_LONGTERM migration off movable
// zones, pins of the shared zero page (a read-only pin of it unshares first),
// FOLL_GET references (only FOLL_PIN is modelled).
#pragma once
#include "args.hpp"
#include "fault.hpp"
#include "vma.hpp"

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
template <class S> void do_unpin_user_page(const config& cfg, S& s, const args& a) {
    MODEL_TYPES(S);
    const auto p = s.pin[a.folio];
    bug_on(s, bug::counter_underflow, D::select(s.folio, p.folio).pincount == 0);
    D::update(s.folio, p.folio, [](auto& fo) { fo.pincount = fo.pincount - 1; });
    folio_put(cfg, s, p.folio, I(1));
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

/// faultin_page(FAULT_FLAG_WRITE) for a forced write: make the page at (m, v) in VMA i
/// an exclusive anon page (a new folio, or do_wp_page's reuse or copy); the PTE becomes
/// writable only in a VM_WRITE VMA.  Nothing to do if follow_page would already succeed.
template <class S> void forced_write_fault(const config& cfg, S& s, int m, int i, int v) {
    MODEL_TYPES(S);
    const B vm_write = (s.vma[m][i].flags & I(VM_WRITE)) != 0;
    D::when(!s.pte[m][v].present, s, [&](S& s) { do_anonymous_page(cfg, s, m, i, v, true); });
    const auto pte = s.pte[m][v];
    const auto fo = D::select(s.folio, pte.folio);
    // can_follow_write_pte(): writable, or FOLL_FORCE on a !VM_WRITE private VMA and the
    // PTE maps an exclusive anon page (COW already broken).
    const B can_follow = pte.writable || (!vm_write && pte.folio != zero_pfn && fo.anon_exclusive);
    // do_wp_page(); in a !VM_WRITE VMA wp_page_reuse / wp_page_copy leave the PTE
    // read-only (maybe_mkwrite), as an unshare fault does.
    D::when(!can_follow && vm_write, s, [&](S& s) { do_wp_page(cfg, s, m, i, v, false); });
    D::when(!can_follow && !vm_write, s, [&](S& s) { do_wp_page(cfg, s, m, i, v, true); });
}

/// Forced write, phase 1: __get_user_pages(FOLL_FORCE|FOLL_WRITE) -> faultin_page.
template <class S> typename S::domain::Bool enabled_mem_write_faultin(const config&, const S& s, const args& a) {
    MODEL_TYPES(S);
    // check_vma_flags(): FOLL_FORCE may write any private VMA (the model's are all VM_MAYWRITE).
    return mmap_writable(s, a.mm) && find_vma(s, a.mm, I(a.start)) != nil;
}
template <class S> void do_mem_write_faultin(const config& cfg, S& s, const args& a) {
    MODEL_TYPES(S);
    const int m = a.mm, v = a.start;
    for (int i = 0; i < P::vmas; ++i) {
        if (D::known_false(vma_covers(s.vma[m][i], I(v)))) continue;
        D::when(vma_covers(s.vma[m][i], I(v)), s, [&](S& s) { forced_write_fault(cfg, s, m, i, v); });
    }
    s.mm[m].foll_force = true;   // mmap_read_lock held until phase 2
    s.mm[m].foll_vpage = v;
}

/// Forced write, phase 2: the retry of follow_page_mask, then copy_to_user_page.
template <class S> typename S::domain::Bool enabled_mem_write(const config&, const S& s, const args& a) {
    return s.mm[a.mm].live && s.mm[a.mm].foll_force && s.mm[a.mm].foll_vpage == a.start;
}
template <class S> void do_mem_write(const config& cfg, S& s, const args& a) {
    MODEL_TYPES(S);
    const int m = a.mm, v = a.start;
    for (int i = 0; i < P::vmas; ++i) {
        if (D::known_false(vma_covers(s.vma[m][i], I(v)))) continue;
        const B here = vma_covers(s.vma[m][i], I(v));
        const B vm_write = (s.vma[m][i].flags & I(VM_WRITE)) != 0;
        if (cfg.has(mutant::dirty_cow)) {
            // Mutant dirty_cow (CVE-2016-5195, before 19be0eaffa3a): phase 1 ended in
            // do_wp_page (VM_FAULT_WRITE) in a !VM_WRITE VMA, so FOLL_WRITE was dropped:
            // the lookup is a read, an empty PTE takes a read fault (the zero page).
            D::when(here && !vm_write && !s.pte[m][v].present, s,
                    [&](S& s) { do_anonymous_page(cfg, s, m, i, v, false); });
            D::when(here && vm_write, s, [&](S& s) { forced_write_fault(cfg, s, m, i, v); });
        } else {
            D::when(here, s, [&](S& s) { forced_write_fault(cfg, s, m, i, v); });
        }
    }
    // copy_to_user_page() into the page follow_page returned (the VMA is still there:
    // munmap waited for the mmap_lock), and the process's memory now holds the value.
    const I f = s.pte[m][v].folio;
    const B zero = f == zero_pfn;
    s.zero_page = D::ite(zero, I(a.value), s.zero_page);
    D::update(s.folio, f, [&](auto& fo) { fo.content = a.value; });   // no folio slot is zero_pfn
    pins_note_store(s, m, f, !zero, I(a.value));
    s.ref[m][v] = a.value;
    s.mm[m].foll_force = false;   // mmap_read_unlock, mmput
    s.mm[m].foll_vpage = 0;
}

}  // namespace model
