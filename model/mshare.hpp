// model/mshare.hpp — mshare: page tables shared between unrelated processes, and the
// TLB flushes their changes owe every attached process.
//
// Follows Anthony Yznaga's series "Add support for shared PTEs across processes"
// (v3, Aug 2025: mm/mshare.c) and its 2026 form (LWN "Revisiting mshare"); domain
// notes ../shared/domain/mshare-tlb.md (hazards H1-H12).
//
//   region r                      host mm (never run by a cpu)
//   +-------------------+         +------------------------+
//   | pte[0..RP)  data  | <------ | object VMA (mapped)     |   one PTE table, owned by the host
//   +-------------------+         +------------------------+
//        ^ linked (set_p4d at the first fault, share count)
//   mm A: window [wA, wA+RP)   mm B: window [wB, wB+RP)      attacher list = {A, B}
//
// A process maps the region through a window at an address of its own (per_process) or at
// the host's (same, --mshare-addr).  A fault in the window links the region's table into
// the process (find_shared_vma: set_p4d, VM_FAULT_NOPAGE, retry) and then faults in the
// host mm: the page is a shared (shmem-like) folio allocated into the region's PTE.  The
// cpu caches the translation as tlb[cpu][mm][window vpage] and, in psc[cpu][mm][r], the
// fact that it walked the region's table (paging-structure cache).
//
// A change of the region's PTEs (mshare_unmap, mshare_advise, mshare_protect, the owner's
// exit) is phased so other cpus can act in between:
//   1. change PTEs (zap into the host gather / write-protect), busy, todo = attacher list
//   2. flush: attacher_list one step per attacher (mshare_flush), notifier one step for
//      the list (mshare_notifier)
//   3. free (mshare_free): the gathered pages, the table if nobody links it, the region.
//   flush_all does 2 and 3 in one step (mshare_flush_all): the host's tlb_finish_mmu
//   calls flush_tlb_all from its arch flush and then frees, list or no list.
// While an operation is in flight the host mmap_lock is held: window faults wait (the
// access does nothing), attach and new operations wait.
//
// Simplifications: the size is set at create (mshare_create folds MSHAREFS/ftruncate
// sizing; the region is region_pages pages, attach offset 0, len == size); one object
// covers the whole region (mshare_map = MSHAREFS_CREATE_MAPPING of MAP_SHARED|MAP_ANONYMOUS
// without a page cache: a zapped page is freed and reads 0 afterwards); mshare_protect
// only removes write permission, once; the host base address is vpage 0; a fork does not
// copy the window (VM_DONTCOPY-like: msharefs_mmap sets VM_MSHARE|VM_DONTEXPAND only, so
// in the patches dup_mmap would copy the window VMA without its tables and the child would
// fault the link in without being on the list; we chose the conservative reading and list
// that as not modelled); a flush of a range of an attacher clears all of that cpu's
// paging-structure cache entries for the mm (INVLPG semantics on x86).
#pragma once
#include "args.hpp"
#include "tlb.hpp"

namespace model::mshare {

/// The region's base in the host mm (mmap_base); with --mshare-addr same every window is here.
inline constexpr int host_base = 0;

/// vpage v of mm m lies in m's window onto region r.
template <class S> typename S::domain::Bool in_window(const S& s, int r, int m, typename S::domain::Int v) {
    MODEL_TYPES(S);
    const auto& g = s.region[r];
    return g.live && g.windowed[m] && g.window[m] <= v && v < g.window[m] + I(region_pages_of<P>);
}

/// The region PTE a walk of (m, v) through m's window would reach (empty outside a window).
template <class S> pte_t<typename S::domain> window_pte(const S& s, int m, typename S::domain::Int v) {
    MODEL_TYPES(S);
    pte_t<D> out{};
    for (int r = 0; r < regions_of<P>; ++r) {
        const auto& g = s.region[r];
        const auto p = D::select(g.pte, v - g.window[m]);
        const B in = in_window(s, r, m, v) && g.linked[m];
        out.present = D::ite(in, p.present, out.present);
        out.folio = D::ite(in, p.folio, out.folio);
        out.writable = D::ite(in, p.writable, out.writable);
    }
    return out;
}

/// [start, start + n) of mm m meets no window (mmap / mremap may not land on one).
template <class S> typename S::domain::Bool window_free(const S& s, int m, int start, int n) {
    MODEL_TYPES(S);
    B free = true;
    for (int r = 0; r < regions_of<P>; ++r) {
        const auto& g = s.region[r];
        free = free && !(g.live && g.windowed[m] && g.window[m] < I(start + n) &&
                         I(start) < g.window[m] + I(region_pages_of<P>));
    }
    return free;
}

/// Some in-flight walk of a region still owes mm m a flush (its stale entries are legitimate).
template <class S> typename S::domain::Bool flush_owed(const S& s, int m) {
    MODEL_TYPES(S);
    B owed = false;
    for (const auto& g : s.region) owed = owed || (g.busy && g.todo[m]);
    return owed;
}

/// flush_tlb_range(window vma, at, at + size) in attacher m: every cpu in mm_cpumask(m)
/// drops m's translations of [at, at + size) and its paging-structure cache for m.
template <class S> void flush_window(S& s, int r, int m, typename S::domain::Int at) {
    MODEL_TYPES(S);
    for (int c = 0; c < P::cpus; ++c) {
        const B target = s.mm[m].cpumask[c];
        for (int v = 0; v < P::va_pages; ++v) {
            const B in = at <= I(v) && I(v) < at + I(region_pages_of<P>);
            s.tlb[c][m][v].valid = s.tlb[c][m][v].valid && !(target && in);
        }
        s.psc[c][m][r] = s.psc[c][m][r] && !target;
    }
}

/// flush_tlb_all(): every cpu drops every translation and paging-structure cache entry.
template <class S> void flush_tlb_all(S& s) {
    for (auto& per_cpu : s.tlb)
        for (auto& per_mm : per_cpu)
            for (auto& t : per_mm) t.valid = false;
    for (auto& per_cpu : s.psc)
        for (auto& per_mm : per_cpu)
            for (auto& b : per_mm) b = false;
}

/// Remove m's window (the v3 unmap_page_range hook unlinks the table; share count--):
/// the process no longer reads region memory there.  The caller flushes m.
template <class S> void remove_window(S& s, int r, int m) {
    MODEL_TYPES(S);
    auto& g = s.region[r];
    const B was = g.windowed[m];
    bug_on(s, bug::counter_underflow, g.linked[m] && g.share == 0);
    g.share = g.share - D::ite(g.linked[m], I(1), I(0));
    for (int p = 0; p < region_pages_of<P>; ++p)
        D::update(s.ref[m], g.window[m] + I(p), [&](auto& x) { x = D::ite(was, I(0), x); });
    g.linked[m] = false;
    g.windowed[m] = false;
    g.attached[m] = false;
    g.window[m] = 0;
    g.todo[m] = false;
}

/// Zap the region's PTEs into the host gather (zap_pte_range on the host's table).
template <class S> void zap_region(S& s, int r) {
    MODEL_TYPES(S);
    auto& g = s.region[r];
    for (int p = 0; p < region_pages_of<P>; ++p) {
        const auto pte = g.pte[p];
        const I one = D::ite(pte.present, I(1), I(0));
        bug_on(s, bug::counter_underflow, pte.present && D::select(s.folio, pte.folio).mapcount == 0);
        D::update(s.folio, pte.folio, [&](auto& x) { x.mapcount = x.mapcount - one; });
        D::update(s.region[r].gather, pte.folio, [&](auto& x) { x = x + one; });
        s.region[r].pte[p] = pte_t<D>{};
    }
}

/// tlb_flush_mmu_free() on the host gather: drop the queued page references.
template <class S> void free_gathered(const config& cfg, S& s, int r) {
    MODEL_TYPES(S);
    for (int f = 0; f < P::folios; ++f) {
        const I n = s.region[r].gather[f];
        D::when(n != 0, s, [&](S& s) { folio_put(cfg, s, I(f), n); });
        s.region[r].gather[f] = 0;
    }
}

/// Phase 1 ends: the walk owes a flush to every process on the attacher list.
template <class S> void begin_walk(const config& cfg, S& s, int r) {
    MODEL_TYPES(S);
    auto& g = s.region[r];
    g.busy = true;
    for (int m = 0; m < P::mms; ++m) g.todo[m] = g.todo[m] || g.attached[m];
    // Mutant mshare_free_before_flush (H3): the host gather frees its pages (and a table
    // nobody links any more, by the host's own count) before the attachers are flushed,
    // e.g. an attacher flush from an asynchronous path after tlb_finish_mmu.
    if (cfg.has(mutant::mshare_free_before_flush)) {
        free_gathered(cfg, s, r);
        D::when(g.free_table, s, [&](S& s) { s.region[r].table = false; });
    }
}

// ---------------------------------------------------------------------------
// Actions.  Parameters: .value = region slot, .mm = process, .start = window vpage.
// ---------------------------------------------------------------------------

/// mshare_create(flags) + ftruncate(size): a region owned by the calling process
/// (msharefs_fill_mm: a host mm of its own).
template <class S> typename S::domain::Bool enabled_mshare_create(const config& cfg, const S& s, const args& a) {
    return cfg.mshare() && !s.region[a.value].live && s.mm[a.mm].live;
}
template <class S> void do_mshare_create(const config&, S& s, const args& a) {
    MODEL_TYPES(S);
    auto& g = s.region[a.value];
    g = region_t<D, P>{};
    g.live = true;
    g.owner = a.mm;
}

/// MSHAREFS_CREATE_MAPPING / mshare_map(): an object over the whole region in the host
/// mm; its PTE table is allocated (the v3 pre-population of the shared level).
template <class S> typename S::domain::Bool enabled_mshare_map(const config& cfg, const S& s, const args& a) {
    const auto& g = s.region[a.value];
    return cfg.mshare() && g.live && !g.busy && !g.mapped;
}
template <class S> void do_mshare_map(const config&, S& s, const args& a) {
    auto& g = s.region[a.value];
    g.mapped = true;
    g.table = true;
    g.readonly = false;
}

/// mshare_attach(fd, 0, size, addr) / mmap of the msharefs file: a window at `start`
/// (msharefs_get_unmapped_area: len == size; per_process: any free address, same: the host's).
template <class S> typename S::domain::Bool enabled_mshare_attach(const config& cfg, const S& s, const args& a) {
    MODEL_TYPES(S);
    if (!cfg.mshare() || a.start + region_pages_of<P> > cfg.lim.va_pages) return false;
    if (cfg.addr == mshare_addr::same && a.start != host_base) return false;
    const auto& g = s.region[a.value];
    B no_vma = true;
    for (const auto& v : s.vma[a.mm])
        no_vma = no_vma && !(v.used && v.start < I(a.start + region_pages_of<P>) && I(a.start) < v.start + v.pages);
    return g.live && !g.busy && !g.windowed[a.mm] && s.mm[a.mm].live && !s.mm[a.mm].locked && no_vma;
}
template <class S> void do_mshare_attach(const config& cfg, S& s, const args& a) {
    MODEL_TYPES(S);
    auto& g = s.region[a.value];
    const int m = a.mm;
    g.windowed[m] = true;
    g.window[m] = a.start;
    for (int p = 0; p < region_pages_of<P>; ++p) s.ref[m][a.start + p] = g.data[p];
    // The fixed order: join the attacher list before the table can be linked (first fault).
    // Mutant mshare_attach_during_flush (H4): the window is usable at once; the process joins
    // the list as a later step (mshare_attach_join), so a walk in between misses it.
    if (!cfg.has(mutant::mshare_attach_during_flush)) g.attached[m] = true;
}

/// The mutant's late list_add of an attacher (never listed without mshare_attach_during_flush).
template <class S> typename S::domain::Bool enabled_mshare_attach_join(const config& cfg, const S& s, const args& a) {
    const auto& g = s.region[a.value];
    return cfg.mshare() && cfg.has(mutant::mshare_attach_during_flush) && g.live && g.windowed[a.mm] &&
           !g.attached[a.mm];
}
template <class S> void do_mshare_attach_join(const config&, S& s, const args& a) {
    s.region[a.value].attached[a.mm] = true;
}

/// munmap of the window (v3: msharefs unmap_page_range unlinks the shared table): leave
/// the list, unlink, and flush the process's TLB and paging-structure caches for the
/// window (tlb_flush_unshared_tables for hugetlb is the analogue).  The table goes when
/// the last link goes and the host no longer maps the object.
template <class S> typename S::domain::Bool enabled_mshare_detach(const config& cfg, const S& s, const args& a) {
    const auto& g = s.region[a.value];
    return cfg.mshare() && g.live && g.windowed[a.mm] && !s.mm[a.mm].locked;
}
template <class S> void mshare_detach(S& s, int r, int m) {
    MODEL_TYPES(S);
    flush_window(s, r, m, s.region[r].window[m]);
    remove_window(s, r, m);
    auto& g = s.region[r];
    g.table = g.table && !(g.share == 0 && !g.mapped && !g.busy);
}
template <class S> void do_mshare_detach(const config&, S& s, const args& a) { mshare_detach(s, a.value, a.mm); }

/// MSHAREFS_UNMAP / mshare_unmap(): zap the object's pages and, by the PUD share count,
/// the table only if no attacher links it (free_pud_range returns early otherwise).
template <class S> typename S::domain::Bool enabled_mshare_unmap(const config& cfg, const S& s, const args& a) {
    const auto& g = s.region[a.value];
    return cfg.mshare() && g.live && !g.busy && g.mapped;
}
template <class S> void do_mshare_unmap(const config& cfg, S& s, const args& a) {
    const int r = a.value;
    zap_region(s, r);
    auto& g = s.region[r];
    g.mapped = false;
    g.discard = true;
    g.free_table = g.share == 0;
    begin_walk(cfg, s, r);
}

/// mshare_advise(MADV_DONTNEED): zap the pages under the host's lock and gather (H7's fix).
template <class S> typename S::domain::Bool enabled_mshare_advise(const config& cfg, const S& s, const args& a) {
    return enabled_mshare_unmap(cfg, s, a);
}
template <class S> void do_mshare_advise(const config& cfg, S& s, const args& a) {
    const int r = a.value;
    zap_region(s, r);
    s.region[r].discard = true;
    begin_walk(cfg, s, r);
}

/// mshare_protect(PROT_READ): change_protection on the host's table, then the flush.
template <class S> typename S::domain::Bool enabled_mshare_protect(const config& cfg, const S& s, const args& a) {
    const auto& g = s.region[a.value];
    return cfg.mshare() && g.live && !g.busy && g.mapped && !g.readonly;
}
template <class S> void do_mshare_protect(const config& cfg, S& s, const args& a) {
    auto& g = s.region[a.value];
    g.readonly = true;
    for (auto& p : g.pte) p.writable = false;
    begin_walk(cfg, s, a.value);
}

/// One attacher's flush in the walk; the teardown also removes that attacher's window.
template <class S> void mshare_flush_attacher(const config& cfg, S& s, int r, int m) {
    MODEL_TYPES(S);
    // Mutant mshare_flush_host_address (H2): flush_tlb_range at the host's address, not the window's.
    const I at = cfg.has(mutant::mshare_flush_host_address) ? I(host_base) : s.region[r].window[m];
    // Mutant mshare_flush_host_only (H1): flush_tlb_range(host vma): the host mm is in no
    // cpu's mm_cpumask, so no attacher's (PCID-tagged) entries are touched.
    if (!cfg.has(mutant::mshare_flush_host_only)) flush_window(s, r, m, at);
    s.region[r].todo[m] = false;
    D::when(s.region[r].dying, s, [&](S& s) { remove_window(s, r, m); });
}

/// attacher_list: the walk flushes attacher m.
template <class S> typename S::domain::Bool enabled_mshare_flush(const config& cfg, const S& s, const args& a) {
    const auto& g = s.region[a.value];
    return cfg.mshare() && cfg.flush == mshare_flush::attacher_list && g.busy && g.todo[a.mm];
}
template <class S> void do_mshare_flush(const config& cfg, S& s, const args& a) {
    mshare_flush_attacher(cfg, s, a.value, a.mm);
}

/// Any attacher still owed a flush by region r's walk.
template <class S> typename S::domain::Bool walk_pending(const S& s, int r) {
    MODEL_TYPES(S);
    B any = false;
    for (int m = 0; m < P::mms; ++m) any = any || s.region[r].todo[m];
    return any;
}

/// notifier: mmu_notifier_invalidate_range_end on the host mm flushes every listed attacher
/// at its own address, before the host's tlb_finish_mmu frees.
template <class S> typename S::domain::Bool enabled_mshare_notifier(const config& cfg, const S& s, const args& a) {
    return cfg.mshare() && cfg.flush == mshare_flush::notifier && s.region[a.value].busy && walk_pending(s, a.value);
}
template <class S> void do_mshare_notifier(const config& cfg, S& s, const args& a) {
    MODEL_TYPES(S);
    for (int m = 0; m < P::mms; ++m)
        D::when(s.region[a.value].todo[m], s, [&](S& s) { mshare_flush_attacher(cfg, s, a.value, m); });
}


/// tlb_finish_mmu on the host gather, after the walk: free the pages, the table if no
/// attacher links it (share count 0), and at teardown the region and its host mm.
template <class S> typename S::domain::Bool enabled_mshare_free(const config& cfg, const S& s, const args& a) {
    return cfg.mshare() && cfg.flush != mshare_flush::flush_all && s.region[a.value].busy && !walk_pending(s, a.value);
}
template <class S> void do_mshare_free(const config& cfg, S& s, const args& a) {
    MODEL_TYPES(S);
    const int r = a.value;
    free_gathered(cfg, s, r);
    auto& g = s.region[r];
    g.table = g.table && !(g.free_table && g.share == 0);
    D::when(g.discard, s, [&](S& s) {
        auto& g = s.region[r];
        for (auto& d : g.data) d = 0;
        for (int m = 0; m < P::mms; ++m)
            for (int p = 0; p < region_pages_of<P>; ++p)
                D::update(s.ref[m], g.window[m] + I(p), [&](auto& x) { x = D::ite(g.windowed[m], I(0), x); });
    });
    g.busy = false;
    g.discard = false;
    g.free_table = false;
    D::when(g.dying, g, [](auto& g) { g = std::decay_t<decltype(g)>{}; });   // mshare_evict_inode: mmput(host)
}

/// flush_all: the host's tlb_finish_mmu -> tlb_flush -> arch_invalidate_secondary_tlbs ->
/// mshare_invalidate_tlbs -> flush_tlb_all() (v1-v3 08/22), synchronously, then
/// tlb_flush_mmu_free: one step, whoever is (or is not) on any list.
template <class S> typename S::domain::Bool enabled_mshare_flush_all(const config& cfg, const S& s, const args& a) {
    return cfg.mshare() && cfg.flush == mshare_flush::flush_all && s.region[a.value].busy;
}
template <class S> void do_mshare_flush_all(const config& cfg, S& s, const args& a) {
    MODEL_TYPES(S);
    const int r = a.value;
    if (!cfg.has(mutant::mshare_flush_host_only)) flush_tlb_all(s);
    for (int m = 0; m < P::mms; ++m) {
        s.region[r].todo[m] = false;
        D::when(s.region[r].dying, s, [&](S& s) { remove_window(s, r, m); });
    }
    do_mshare_free(cfg, s, a);
}

/// The owner exits (or closes the fd): the region is torn down — pages zapped, every
/// window removed and its process flushed by the walk, then pages, table and host freed.
template <class S> void mshare_owner_exit(const config& cfg, S& s, int r) {
    MODEL_TYPES(S);
    zap_region(s, r);
    auto& g = s.region[r];
    g.mapped = false;
    g.dying = true;
    g.discard = true;
    g.free_table = true;
    for (int m = 0; m < P::mms; ++m) g.attached[m] = g.attached[m] || g.windowed[m];
    if (cfg.has(mutant::mshare_owner_exit_early_free)) {
        // Mutant (H6): pages, table and region freed at once; the windows, table links and
        // attachers' TLB entries stay behind.
        free_gathered(cfg, s, r);
        g.live = false;
        g.table = false;
        g.busy = false;
        g.dying = false;
        g.discard = false;
        g.free_table = false;
        return;
    }
    begin_walk(cfg, s, r);
}

/// exit_mmap / exec of process m: its windows go (detach), then the regions it owns.
template <class S> void mm_exit(const config& cfg, S& s, int m) {
    MODEL_TYPES(S);
    if (!cfg.mshare()) return;
    for (int r = 0; r < regions_of<P>; ++r) {
        D::when(s.region[r].windowed[m], s, [&](S& s) { mshare_detach(s, r, m); });
        D::when(s.region[r].live && !s.region[r].dying && s.region[r].owner == m, s,
                [&](S& s) { mshare_owner_exit(cfg, s, r); });
    }
}

/// The window part of a user access by cpu c at (m, v), after the ordinary fault path
/// found no VMA there: find_shared_vma links the table (set_p4d, VM_FAULT_NOPAGE, retry),
/// the host fault allocates the shared page, and the hardware walk fills the TLB.
template <class S> void window_fault(const config& cfg, S& s, int c, int m, int v, bool write) {
    MODEL_TYPES(S);
    if (!cfg.mshare()) return;
    for (int r = 0; r < regions_of<P>; ++r) {
        const auto t = s.tlb[c][m][v];
        const B miss = !t.valid || (write && !t.writable);
        D::when(miss && in_window(s, r, m, I(v)) && !s.region[r].busy, s, [&](S& s) {
            const I p = I(v) - s.region[r].window[m];
            D::when(s.region[r].table && !s.region[r].linked[m], s.region[r], [&](auto& g) {
                g.linked[m] = true;
                g.share = g.share + 1;
            });
            // A link to a table that was freed: the walk reads freed memory.
            bug_on(s, bug::mshare_fault_freed_table, s.region[r].linked[m] && !s.region[r].table);
            const auto pte = D::select(s.region[r].pte, p);
            D::when(s.region[r].mapped && s.region[r].linked[m] && !pte.present, s, [&](S& s) {
                const I f = lowest_free<D>(s.folio, cfg.lim.folios, [](const auto& fo) { return fo.allocated; });
                out_of_bounds_if(s, f == nil);
                D::update(s.folio, f, [&](auto& fo) {
                    fo = std::decay_t<decltype(fo)>{};
                    fo.allocated = true; fo.mapcount = 1; fo.refcount = 1;
                    fo.mapping = nil; fo.index = p; fo.cow_context = nil; fo.shmem = true;
                });
                const B w = !s.region[r].readonly;
                D::update(s.region[r].pte, p, [&](auto& x) { x = pte_t<D>{true, f, w}; });
            });
            const auto now = D::select(s.region[r].pte, p);
            const B walk = s.region[r].linked[m];
            auto& e = s.tlb[c][m][v];
            e.valid = walk && now.present;
            e.folio = D::ite(e.valid, now.folio, I(0));
            e.writable = e.valid && now.writable;
            s.psc[c][m][r] = s.psc[c][m][r] || walk;
        });
    }
}

/// A store that landed through m's window reaches every window onto the region.
template <class S> void window_store(S& s, int m, int v, typename S::domain::Bool stored, typename S::domain::Int value) {
    MODEL_TYPES(S);
    for (int r = 0; r < regions_of<P>; ++r) {
        const B here = stored && in_window(s, r, m, I(v));
        const I p = I(v) - s.region[r].window[m];
        D::update(s.region[r].data, p, [&](auto& x) { x = D::ite(here, value, x); });
        for (int m2 = 0; m2 < P::mms; ++m2) {
            const auto& g = s.region[r];
            const B there = here && g.windowed[m2];
            D::update(s.ref[m2], g.window[m2] + p, [&](auto& x) { x = D::ite(there, value, x); });
        }
    }
}

}  // namespace model::mshare
