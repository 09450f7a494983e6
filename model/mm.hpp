// model/mm.hpp — address-space teardown: exit and execve.
//
// Follows mm/mmap.c: exit_mmap (tlb_gather_mmu_fullmm, unmap_vmas: every PTE
// zapped into the gather; free_pgtables: unlink_anon_vmas for every VMA;
// tlb_finish_mmu: flush, then free the pages; remove_vma), and fs/exec.c:
// exec_mmap (the old mm is torn down as on exit and the process continues in a
// new, empty mm; the model reuses the slot).  cpus running an exited mm go idle.
// The last live mm (init) does not exit.
//
// Leaves out: the mm_users/mm_count split (__mmdrop is immediate; an mm_users reference
// held elsewhere, a forced write's or a COW context walk's mmget_not_zero, makes the
// exit wait instead of deferring its teardown to that holder's mmput), OOM reaping,
// lazy-TLB users of a dead mm.  A pin taken by an exiting process stays (the pipe
// or device holds it) with no pinner (pin.mm = nil).
#pragma once
#include "args.hpp"
#include "vma.hpp"

namespace model {

/// exit_mmap(mm) and the end of the mm: everything unmapped, flushed and freed.
template <class S> void teardown_mm(const config& cfg, S& s, int m) {
    MODEL_TYPES(S);
    mshare::mm_exit(cfg, s, m);           // windows detached; an owned mshare region torn down
    for (int i = 0; i < P::vmas; ++i) {   // unmap_vmas()
        const auto v = s.vma[m][i];
        for (int p = 0; p < P::va_pages; ++p)
            D::when(vma_covers(v, I(p)), s, [&](S& s) { zap_pte(s, m, p, s.mm[m].gather); });
    }
    if (cfg.cow() && cfg.fixed(cow_fix::unmap_removes_records))   // remove_vma()'s call, moved first
        for (int i = 0; i < P::vmas; ++i)
            D::when(s.vma[m][i].used, s, [&](S& s) { rmap::vma_unmap(cfg, s, m, s.vma[m][i]); });
    for (int i = 0; i < P::vmas; ++i)     // free_pgtables() -> unlink_anon_vmas()
        D::when(s.vma[m][i].used, s, [&](S& s) { rmap::unlink(cfg, s, m, i); });
    tlb_finish_mmu(cfg, s, m);            // flush, then free the pages
    for (int i = 0; i < P::vmas; ++i) {   // remove_vma()
        D::when(s.vma[m][i].used, s, [&](S& s) {
            rmap::vma_unmap(cfg, s, m, s.vma[m][i]);
            walker_vma_freed(s, m, i);
        });
        s.vma[m][i] = vma_t<D, P>{};
    }
    for (int p = 0; p < P::va_pages; ++p) s.ref[m][p] = 0;
    if constexpr (!D::is_symbolic) s.walker.pending[m] = 0;   // --phased walk: m's mappings are gone
}

/// --phased walk: walk_context() of m's COW context is inside rmap_one and holds m's
/// mm_users (mmget_not_zero ... mmput_async, mm/cow_context.c), so the mmput of exit or
/// exec is not the last one: the teardown runs when the walk lets go, after it moved on.
template <class S> bool walk_holds_mm(const S& s, int m) {
    if constexpr (S::domain::is_symbolic) return false;
    else return s.walker.pin_mm == m;   // nil outside a walk (walker_end resets the walker)
}

/// exit(): the last live process (init) never exits, so the system never runs dry.
/// A forced write in flight holds mm_users (mem_rw: mmget_not_zero), so exit_mmap waits for
/// it; so does a COW context walk inside rmap_one on the mm's VMA (walk_holds_mm).
template <class S> typename S::domain::Bool enabled_exit_mmap(const config&, const S& s, const args& a) {
    MODEL_TYPES(S);
    B other = false;
    for (int m = 0; m < P::mms; ++m)
        if (m != a.mm) other = other || s.mm[m].live;
    return mmap_writable(s, a.mm) && other && B(!walk_holds_mm(s, a.mm));
}
template <class S> void do_exit_mmap(const config& cfg, S& s, const args& a) {
    MODEL_TYPES(S);
    teardown_mm(cfg, s, a.mm);
    rmap::mm_teardown(cfg, s, a.mm);
    s.mm[a.mm] = mm_t<D, P>{};
    for (auto& c : s.cpu) c.mm = D::ite(c.mm == a.mm, I(nil), c.mm);
    // A pin outlives its process (the pipe or device holds the page reference), but
    // nobody is its pinner any more: a later process in this mm slot is unrelated.
    for (auto& p : s.pin) p.mm = D::ite(p.used && p.mm == a.mm, I(nil), p.mm);
}

/// execve(): the old mm is torn down and the process continues in an empty one.
template <class S> typename S::domain::Bool enabled_execve(const config&, const S& s, const args& a) {
    using B = typename S::domain::Bool;
    return mmap_writable(s, a.mm) && B(!walk_holds_mm(s, a.mm));   // exec_mmap's mmput(old_mm)
}
template <class S> void do_execve(const config& cfg, S& s, const args& a) {
    MODEL_TYPES(S);
    teardown_mm(cfg, s, a.mm);
    rmap::mm_teardown(cfg, s, a.mm);
    s.mm[a.mm] = mm_t<D, P>{};
    s.mm[a.mm].live = true;
    rmap::mm_init(cfg, s, a.mm);
    for (int c = 0; c < P::cpus; ++c) s.mm[a.mm].cpumask[c] = s.cpu[c].mm == a.mm;
}

}  // namespace model
