// model/actions.hpp — the Next of the spec: every (action, parameters) value.
//
// `actions(cfg)` is the one list of all concrete actions; the random explorer,
// the BMC unroller, replay and the printers all take it from here and nothing
// else enumerates actions.  `enabled` is the guard, `apply` the body; a step is
// taken when the guard holds and the body stays inside the bounds.
#pragma once
#include <string>
#include <vector>

#include "fork.hpp"
#include "gup.hpp"
#include "mermap.hpp"
#include "migrate.hpp"
#include "anon_walk.hpp"
#include "cow_walk.hpp"
#include "mm.hpp"
#include "mremap.hpp"
#include "mshare.hpp"

namespace model {

enum class op : int {
    mmap, munmap, tlb_finish_mmu, mprotect, madvise, madvise_dontneed, mremap,
    read, write, fork, exit_mmap, execve, switch_mm, tlb_evict, migrate, tlb_flush_pending,
    pin_user_pages, unpin_user_page, pin_read, pin_write, mprotect_enomem, mem_write_faultin, mem_write,
    mshare_create, mshare_map, mshare_attach, mshare_attach_join, mshare_detach, mshare_unmap, mshare_advise,
    mshare_protect, mshare_flush, mshare_notifier, mshare_flush_all, mshare_free, fork_done,
    mermap_get, mermap_use, mermap_put, walk_begin, walk_step, anon_walk_begin, anon_walk_step, mremap_move,
    mremap_done, count_
};
inline constexpr int op_count = static_cast<int>(op::count_);

struct op_info {
    op id;
    const char* name;
    const char* kernel;   // the kernel function(s) the action follows
};

inline const std::array<op_info, op_count>& ops() {
    static const std::array<op_info, op_count> all = {{
        {op::mmap, "mmap", "do_mmap -> __mmap_region, vma_merge_new_range (mm/vma.c)"},
        {op::munmap, "munmap", "do_vmi_munmap -> unmap_region: unmap_vmas, free_pgtables/unlink_anon_vmas"},
        {op::tlb_finish_mmu, "tlb_finish_mmu", "tlb_finish_mmu: flush, then free the gathered pages (mm/mmu_gather.c)"},
        {op::mprotect, "mprotect", "mprotect_fixup -> vma_modify_flags, change_protection (mm/mprotect.c)"},
        {op::madvise, "madvise", "madvise_update_vma -> vma_modify_flags (MADV_WIPEONFORK, MADV_DONTFORK)"},
        {op::madvise_dontneed, "madvise_dontneed", "madvise_dontneed_single_vma -> zap_page_range_single"},
        {op::mremap, "mremap", "move_vma -> copy_vma, move_page_tables/move_ptes (mm/mremap.c)"},
        {op::read, "read", "user load: TLB, else handle_mm_fault -> do_anonymous_page (zero page)"},
        {op::write, "write", "user store: TLB, else do_anonymous_page / do_wp_page (mm/memory.c)"},
        {op::fork, "fork", "dup_mmap: anon_vma_fork, copy_page_range/copy_present_ptes"},
        {op::exit_mmap, "exit_mmap", "exit_mmap: unmap_vmas, free_pgtables, tlb_finish_mmu"},
        {op::execve, "execve", "exec_mmap: old mm torn down as exit_mmap, new empty mm"},
        {op::switch_mm, "switch_mm", "switch_mm_irqs_off: cpu runs mm, joins mm_cpumask"},
        {op::tlb_evict, "tlb_evict", "hardware TLB eviction of every entry of one cpu"},
        {op::migrate, "migrate", "migrate_pages -> try_to_migrate -> rmap_walk_anon (mm/migrate.c)"},
        {op::tlb_flush_pending, "tlb_flush_pending", "tlb_flush_mmu_tlbonly, late (only the mutant munmap_free_before_flush owes it)"},
        {op::pin_user_pages, "pin_user_pages", "pin_user_pages(FOLL_PIN|FOLL_LONGTERM[|FOLL_WRITE]): faultin_page, unshare, pin (mm/gup.c)"},
        {op::unpin_user_page, "unpin_user_page", "unpin_user_page (mm/gup.c)"},
        {op::pin_read, "pin_read", "a read through a pin (the pipe end of vmsplice, device DMA read)"},
        {op::pin_write, "pin_write", "device DMA write through a FOLL_WRITE pin"},
        {op::mprotect_enomem, "mprotect_enomem", "mprotect with fault injection: anon_vma_clone's AVC allocation fails (-ENOMEM)"},
        {op::mem_write_faultin, "mem_write_faultin", "write to /proc/pid/mem, phase 1: __get_user_pages(FOLL_FORCE|FOLL_WRITE) -> faultin_page (mm/gup.c)"},
        {op::mem_write, "mem_write", "write to /proc/pid/mem, phase 2: follow_page_mask retry, copy_to_user_page (access_remote_vm)"},
        {op::mshare_create, "mshare_create", "mshare_create + ftruncate: msharefs_fill_mm (host mm), msharefs_set_size (mm/mshare.c)"},
        {op::mshare_map, "mshare_map", "MSHAREFS_CREATE_MAPPING / mshare_map: an object in the host mm, its table"},
        {op::mshare_attach, "mshare_attach", "mshare_attach / msharefs_mmap + msharefs_get_unmapped_area: a window, list_add"},
        {op::mshare_attach_join, "mshare_attach_join", "the late list_add of mshare_attach_during_flush (mutant only)"},
        {op::mshare_detach, "mshare_detach", "munmap of the window: msharefs unmap_page_range (unlink, share count), flush"},
        {op::mshare_unmap, "mshare_unmap", "MSHAREFS_UNMAP: zap pages into the host gather, tables by the PUD share count"},
        {op::mshare_advise, "mshare_advise", "mshare_advise(MADV_DONTNEED): zap_page_range_single on the host"},
        {op::mshare_protect, "mshare_protect", "mshare_protect(PROT_READ): change_protection on the host's table"},
        {op::mshare_flush, "mshare_flush", "attacher_list: flush_tlb_range(attacher window) for one listed attacher"},
        {op::mshare_notifier, "mshare_notifier", "notifier: mmu_notifier_invalidate_range_end on the host flushes every attacher"},
        {op::mshare_flush_all, "mshare_flush_all", "flush_all: host tlb_finish_mmu: mshare_invalidate_tlbs -> flush_tlb_all (v1-v3 08/22), then free"},
        {op::mshare_free, "mshare_free", "tlb_finish_mmu on the host gather: free pages, the unlinked table, the region"},
        {op::fork_done, "fork_done", "--phased fork: the end of dup_mmap after its VMA loop (dup_cow_context, unlock)"},
        {op::mermap_get, "mermap_get", "get_page + mermap_get: bump-allocate a slot of the cpu's area (wrap: arch_mermap_flush_tlb), install the PTE (mm/mermap.c)"},
        {op::mermap_use, "mermap_use", "a kernel access through a mermap slot: the cpu's TLB entry, else a walk that fills it"},
        {op::mermap_put, "mermap_put", "mermap_put (PTE -> PAGE_NONE sentinel, no flush) + put_page"},
        {op::walk_begin, "walk_begin", "--phased walk: folio_referenced -> cow_context_walk: rcu_read_lock, visit the folio's context"},
        {op::walk_step, "walk_step", "--phased walk or migrate (COW context): traverse_contexts moves to the next context and visits it (the root: unlock, end)"},
        {op::anon_walk_begin, "anon_walk_begin", "--phased walk (anon_vma): folio_referenced -> rmap_walk_anon: anon_vma_lock_read, rmap_one on the first VMA"},
        {op::anon_walk_step, "anon_walk_step", "--phased walk or migrate (anon_vma): rmap_one on the next VMA of the interval tree (the last: unlock, end)"},
        {op::mremap_move, "mremap_move", "--phased mremap: move_page_tables -> move_ptes (take_rmap_locks if need_rmap_locks), flush"},
        {op::mremap_done, "mremap_done", "--phased mremap: do_vmi_munmap of the source range, mmap_write_unlock"},
    }};
    return all;
}

inline const char* op_name(op o) { return ops()[static_cast<int>(o)].name; }

struct action {
    op kind;
    args a;
};

/// Pin slots of a run (a preset constant, not lowered by flags).
inline int cfg_pins(const config& cfg) { return cfg.pins; }

/// The mshare actions (design mshare only; .value is the region slot).
inline void mshare_actions(const config& cfg, std::vector<action>& out) {
    const limits& L = cfg.lim;
    for (int r = 0; r < cfg.regions; ++r) {
        for (int m = 0; m < L.mms; ++m) out.push_back({op::mshare_create, {.mm = m, .value = r}});
        out.push_back({op::mshare_map, {.value = r}});
        for (int m = 0; m < L.mms; ++m)
            for (int w = 0; w + cfg.region_pages <= L.va_pages; ++w)
                if (cfg.addr == mshare_addr::per_process || w == mshare::host_base)
                    out.push_back({op::mshare_attach, {.mm = m, .start = w, .value = r}});
        if (cfg.has(mutant::mshare_attach_during_flush))
            for (int m = 0; m < L.mms; ++m) out.push_back({op::mshare_attach_join, {.mm = m, .value = r}});
        for (int m = 0; m < L.mms; ++m) out.push_back({op::mshare_detach, {.mm = m, .value = r}});
        out.push_back({op::mshare_unmap, {.value = r}});
        out.push_back({op::mshare_advise, {.value = r}});
        out.push_back({op::mshare_protect, {.value = r}});
        if (cfg.flush == mshare_flush::attacher_list)
            for (int m = 0; m < L.mms; ++m) out.push_back({op::mshare_flush, {.mm = m, .value = r}});
        if (cfg.flush == mshare_flush::notifier) out.push_back({op::mshare_notifier, {.value = r}});
        if (cfg.flush == mshare_flush::flush_all) out.push_back({op::mshare_flush_all, {.value = r}});
        if (cfg.flush != mshare_flush::flush_all) out.push_back({op::mshare_free, {.value = r}});
    }
}

/// Every concrete (action, parameters) value at these limits.
inline std::vector<action> actions(const config& cfg) {
    const limits& L = cfg.lim;
    std::vector<action> out;
    auto ranges = [&](auto&& f) {
        for (int m = 0; m < L.mms; ++m)
            for (int st = 0; st < L.va_pages; ++st)
                for (int n = 1; st + n <= L.va_pages; ++n) f(m, st, n);
    };
    ranges([&](int m, int st, int n) { out.push_back({op::mmap, {.mm = m, .start = st, .pages = n}}); });
    ranges([&](int m, int st, int n) { out.push_back({op::munmap, {.mm = m, .start = st, .pages = n}}); });
    for (int m = 0; m < L.mms; ++m) out.push_back({op::tlb_finish_mmu, {.mm = m}});
    ranges([&](int m, int st, int n) {
        for (int w = 0; w <= 1; ++w) out.push_back({op::mprotect, {.mm = m, .start = st, .pages = n, .value = w}});
    });
    ranges([&](int m, int st, int n) {
        for (int fl : {VM_WIPEONFORK, VM_DONTCOPY})
            out.push_back({op::madvise, {.mm = m, .start = st, .pages = n, .value = fl}});
    });
    ranges([&](int m, int st, int n) { out.push_back({op::madvise_dontneed, {.mm = m, .start = st, .pages = n}}); });
    ranges([&](int m, int st, int n) {
        for (int to = 0; to + n <= L.va_pages; ++to)
            if (to + n <= st || st + n <= to)
                out.push_back({op::mremap, {.mm = m, .start = st, .pages = n, .to = to}});
    });
    for (int c = 0; c < L.cpus; ++c)
        for (int m = 0; m < L.mms; ++m)
            for (int v = 0; v < L.va_pages; ++v) out.push_back({op::read, {.mm = m, .cpu = c, .start = v}});
    for (int c = 0; c < L.cpus; ++c)
        for (int m = 0; m < L.mms; ++m)
            for (int v = 0; v < L.va_pages; ++v)
                for (int val = 1; val <= 2; ++val)
                    out.push_back({op::write, {.mm = m, .cpu = c, .start = v, .value = val}});
    for (int m = 0; m < L.mms; ++m)
        for (int m2 = 0; m2 < L.mms; ++m2)
            if (m != m2) out.push_back({op::fork, {.mm = m, .mm2 = m2}});
    for (int m = 0; m < L.mms; ++m) out.push_back({op::exit_mmap, {.mm = m}});
    for (int m = 0; m < L.mms; ++m) out.push_back({op::execve, {.mm = m}});
    for (int c = 0; c < L.cpus; ++c)
        for (int m = 0; m < L.mms; ++m) out.push_back({op::switch_mm, {.mm = m, .cpu = c}});
    for (int c = 0; c < L.cpus; ++c) out.push_back({op::tlb_evict, {.cpu = c}});
    for (int f = 0; f < L.folios; ++f) out.push_back({op::migrate, {.folio = f}});
    for (int m = 0; m < L.mms; ++m) out.push_back({op::tlb_flush_pending, {.mm = m}});
    for (int m = 0; m < L.mms; ++m)
        for (int v = 0; v < L.va_pages; ++v)
            for (int w = 0; w <= 1; ++w) out.push_back({op::pin_user_pages, {.mm = m, .start = v, .value = w}});
    for (int p = 0; p < cfg_pins(cfg); ++p) {
        out.push_back({op::unpin_user_page, {.folio = p}});
        out.push_back({op::pin_read, {.folio = p}});
        for (int val = 1; val <= 2; ++val) out.push_back({op::pin_write, {.value = val, .folio = p}});
    }
    ranges([&](int m, int st, int n) {
        for (int w = 0; w <= 1; ++w)
            out.push_back({op::mprotect_enomem, {.mm = m, .start = st, .pages = n, .to = 1, .value = w}});
    });
    for (int m = 0; m < L.mms; ++m)
        for (int v = 0; v < L.va_pages; ++v) out.push_back({op::mem_write_faultin, {.mm = m, .start = v}});
    for (int m = 0; m < L.mms; ++m)
        for (int v = 0; v < L.va_pages; ++v)
            for (int val = 1; val <= 2; ++val) out.push_back({op::mem_write, {.mm = m, .start = v, .value = val}});
    if (cfg.mshare()) {
        mshare_actions(cfg, out);
        for (int c = 0; c < L.cpus; ++c) {   // the mermap (model/mermap.hpp)
            for (int m = 0; m < L.mms; ++m)
                for (int v = 0; v < L.va_pages; ++v) out.push_back({op::mermap_get, {.mm = m, .cpu = c, .start = v}});
            for (int k = 0; k < mermap_slots; ++k) {
                out.push_back({op::mermap_use, {.cpu = c, .value = k}});
                out.push_back({op::mermap_put, {.cpu = c, .value = k}});
            }
        }
    }
    if (cfg.has_phase(phased_op::fork))
        for (int m = 0; m < L.mms; ++m)
            for (int m2 = 0; m2 < L.mms; ++m2)
                if (m != m2) out.push_back({op::fork_done, {.mm = m, .mm2 = m2}});
    if (cfg.cow() && cfg.has_phase(phased_op::walk))
        for (int f = 0; f < L.folios; ++f) out.push_back({op::walk_begin, {.folio = f}});
    if (cfg.cow() && cfg.walks_in_steps()) out.push_back({op::walk_step, {}});
    if (!cfg.cow() && cfg.has_phase(phased_op::walk))
        for (int f = 0; f < L.folios; ++f) out.push_back({op::anon_walk_begin, {.folio = f}});
    if (!cfg.cow() && cfg.walks_in_steps()) out.push_back({op::anon_walk_step, {}});
    if (phased_mremap(cfg))
        for (int m = 0; m < L.mms; ++m) {
            out.push_back({op::mremap_move, {.mm = m}});
            out.push_back({op::mremap_done, {.mm = m}});
        }
    return out;
}

/// Does a phased mremap of mm a.mm hold this operation off?  Not: the mremap's own parts,
/// a cpu's TLB, migration, pins, the walks, the mermap, and the mshare host's operations
/// (a.mm is not the mm they act in).
inline bool waits_for_mremap_of_mm(op k) {
    switch (k) {
        case op::mremap_move: case op::mremap_done: case op::tlb_flush_pending: case op::switch_mm:
        case op::tlb_evict: case op::migrate: case op::unpin_user_page: case op::pin_read: case op::pin_write:
        case op::walk_begin: case op::walk_step: case op::anon_walk_begin: case op::anon_walk_step:
        case op::mermap_use: case op::mermap_put: case op::mshare_map: case op::mshare_unmap:
        case op::mshare_advise: case op::mshare_protect: case op::mshare_notifier: case op::mshare_flush_all:
        case op::mshare_free:
            return false;
        default: return true;
    }
}

/// --phased migrate: a fault on a migration entry sleeps in migration_entry_wait() until
/// remove_migration_ptes() has run (an access the TLB serves cannot hit one: the unmap
/// flushed it).  A /proc/pid/mem write's retry (mem_write) finds no present PTE in
/// follow_page_mask() and faults again, so it waits too.
template <class S> bool waits_on_migration_entry(const S& s, const action& x) {
    switch (x.kind) {
        case op::read: case op::write: case op::pin_user_pages: case op::mem_write_faultin: case op::mem_write:
            return x.a.mm < S::preset::mms && x.a.start < S::preset::va_pages &&
                   s.migration_entry[x.a.mm][x.a.start].folio != nil;
        default: return false;
    }
}

/// What may run while a phased operation of model/anon_walk.hpp or model/mremap.hpp is
/// under way (concrete only: the symbolic engines refuse --phased).  A phased mremap holds
/// its mm's mmap_lock for write: that mm runs only the mremap's own parts, TLB activity
/// (the late flush of mremap_flush_after_unlock is part of the mremap), reads and writes the
/// TLB serves without a fault, and, as any mm,
/// what the walk allows; one phased mremap at a time.  An anon_vma walk holds its root's
/// lock for read: only what takes no anon_vma lock runs (model/anon_walk.hpp).
template <class S> bool phases_allow(const config& cfg, const S& s, const action& x) {
    const auto& a = x.a;
    if (waits_on_migration_entry(s, x)) return false;
    if (waits_for_mremap_of_mm(x.kind) && in_mremap(s, a.mm)) {
        // Another thread's access that the TLB serves needs no lock (as in a phased fork).
        const auto& e = s.tlb[a.cpu][a.mm][a.start];
        const bool tlb_hit = e.valid && (x.kind == op::read || (x.kind == op::write && e.writable));
        if (!tlb_hit) return false;
    }
    if (x.kind == op::mremap && s.mremap_phase.mm != nil) return false;
    if (!anon_walk_active(cfg, s)) return true;
    switch (x.kind) {
        case op::anon_walk_step: case op::switch_mm: case op::tlb_evict: case op::tlb_flush_pending:
        case op::unpin_user_page: case op::pin_read: case op::pin_write: case op::mremap_move:
        case op::mermap_get: case op::mermap_use: case op::mermap_put:
            return true;
        case op::read: case op::write: return !fault_prepares_anon_vma(s, a.mm, a.start);
        default: return false;
    }
}

template <class S> typename S::domain::Bool enabled(const config& cfg, const S& s, const action& x) {
    if constexpr (!S::domain::is_symbolic)
        if (cfg.phased && !phases_allow(cfg, s, x)) return false;
    switch (x.kind) {
        case op::mmap: return enabled_mmap(cfg, s, x.a);
        case op::munmap: return enabled_munmap(cfg, s, x.a);
        case op::tlb_finish_mmu: return enabled_tlb_finish_mmu(cfg, s, x.a);
        case op::mprotect: return enabled_mprotect(cfg, s, x.a);
        case op::madvise: return enabled_madvise(cfg, s, x.a);
        case op::madvise_dontneed: return enabled_madvise_dontneed(cfg, s, x.a);
        case op::mremap: return enabled_mremap(cfg, s, x.a);
        case op::read: return enabled_read(cfg, s, x.a);
        case op::write: return enabled_write(cfg, s, x.a);
        case op::fork: return enabled_fork(cfg, s, x.a);
        case op::exit_mmap: return enabled_exit_mmap(cfg, s, x.a);
        case op::execve: return enabled_execve(cfg, s, x.a);
        case op::switch_mm: return enabled_switch_mm(cfg, s, x.a);
        case op::tlb_evict: return enabled_tlb_evict(cfg, s, x.a);
        case op::migrate: return enabled_migrate(cfg, s, x.a);
        case op::tlb_flush_pending: return enabled_tlb_flush_pending(cfg, s, x.a);
        case op::pin_user_pages: return enabled_pin_user_pages(cfg, s, x.a);
        case op::unpin_user_page: return enabled_unpin_user_page(cfg, s, x.a);
        case op::pin_read: return enabled_pin_read(cfg, s, x.a);
        case op::pin_write: return enabled_pin_write(cfg, s, x.a);
        case op::mprotect_enomem: return enabled_mprotect(cfg, s, x.a);
        case op::mem_write_faultin: return enabled_mem_write_faultin(cfg, s, x.a);
        case op::mem_write: return enabled_mem_write(cfg, s, x.a);
        case op::mshare_create: return mshare::enabled_mshare_create(cfg, s, x.a);
        case op::mshare_map: return mshare::enabled_mshare_map(cfg, s, x.a);
        case op::mshare_attach: return mshare::enabled_mshare_attach(cfg, s, x.a);
        case op::mshare_attach_join: return mshare::enabled_mshare_attach_join(cfg, s, x.a);
        case op::mshare_detach: return mshare::enabled_mshare_detach(cfg, s, x.a);
        case op::mshare_unmap: return mshare::enabled_mshare_unmap(cfg, s, x.a);
        case op::mshare_advise: return mshare::enabled_mshare_advise(cfg, s, x.a);
        case op::mshare_protect: return mshare::enabled_mshare_protect(cfg, s, x.a);
        case op::mshare_flush: return mshare::enabled_mshare_flush(cfg, s, x.a);
        case op::mshare_notifier: return mshare::enabled_mshare_notifier(cfg, s, x.a);
        case op::mshare_flush_all: return mshare::enabled_mshare_flush_all(cfg, s, x.a);
        case op::mshare_free: return mshare::enabled_mshare_free(cfg, s, x.a);
        case op::fork_done: return enabled_fork_done(cfg, s, x.a);
        case op::mermap_get: return mermap::enabled_mermap_get(cfg, s, x.a);
        case op::mermap_use: return mermap::enabled_mermap_use(cfg, s, x.a);
        case op::mermap_put: return mermap::enabled_mermap_put(cfg, s, x.a);
        case op::walk_begin: return enabled_walk_begin(cfg, s, x.a);
        case op::walk_step: return enabled_walk_step(cfg, s, x.a);
        case op::anon_walk_begin: return enabled_anon_walk_begin(cfg, s, x.a);
        case op::anon_walk_step: return enabled_anon_walk_step(cfg, s, x.a);
        case op::mremap_move: return enabled_mremap_move(cfg, s, x.a);
        case op::mremap_done: return enabled_mremap_done(cfg, s, x.a);
        case op::count_: break;
    }
    return false;
}

template <class S> void apply(const config& cfg, S& s, const action& x) {
    switch (x.kind) {
        case op::mmap: return do_mmap(cfg, s, x.a);
        case op::munmap: return do_munmap(cfg, s, x.a);
        case op::tlb_finish_mmu: return do_tlb_finish_mmu(cfg, s, x.a);
        case op::mprotect: return do_mprotect(cfg, s, x.a);
        case op::madvise: return do_madvise(cfg, s, x.a);
        case op::madvise_dontneed: return do_madvise_dontneed(cfg, s, x.a);
        case op::mremap: return do_mremap(cfg, s, x.a);
        case op::read: return do_read(cfg, s, x.a);
        case op::write: return do_write(cfg, s, x.a);
        case op::fork: return do_fork(cfg, s, x.a);
        case op::exit_mmap: return do_exit_mmap(cfg, s, x.a);
        case op::execve: return do_execve(cfg, s, x.a);
        case op::switch_mm: return do_switch_mm(cfg, s, x.a);
        case op::tlb_evict: return do_tlb_evict(cfg, s, x.a);
        case op::migrate: return do_migrate(cfg, s, x.a);
        case op::tlb_flush_pending: return do_tlb_flush_pending(cfg, s, x.a);
        case op::pin_user_pages: return do_pin_user_pages(cfg, s, x.a);
        case op::unpin_user_page: return do_unpin_user_page(cfg, s, x.a);
        case op::pin_read: return do_pin_read(cfg, s, x.a);
        case op::pin_write: return do_pin_write(cfg, s, x.a);
        case op::mprotect_enomem: return do_mprotect(cfg, s, x.a);
        case op::mem_write_faultin: return do_mem_write_faultin(cfg, s, x.a);
        case op::mem_write: return do_mem_write(cfg, s, x.a);
        case op::mshare_create: return mshare::do_mshare_create(cfg, s, x.a);
        case op::mshare_map: return mshare::do_mshare_map(cfg, s, x.a);
        case op::mshare_attach: return mshare::do_mshare_attach(cfg, s, x.a);
        case op::mshare_attach_join: return mshare::do_mshare_attach_join(cfg, s, x.a);
        case op::mshare_detach: return mshare::do_mshare_detach(cfg, s, x.a);
        case op::mshare_unmap: return mshare::do_mshare_unmap(cfg, s, x.a);
        case op::mshare_advise: return mshare::do_mshare_advise(cfg, s, x.a);
        case op::mshare_protect: return mshare::do_mshare_protect(cfg, s, x.a);
        case op::mshare_flush: return mshare::do_mshare_flush(cfg, s, x.a);
        case op::mshare_notifier: return mshare::do_mshare_notifier(cfg, s, x.a);
        case op::mshare_flush_all: return mshare::do_mshare_flush_all(cfg, s, x.a);
        case op::mshare_free: return mshare::do_mshare_free(cfg, s, x.a);
        case op::fork_done: return do_fork_done(cfg, s, x.a);
        case op::mermap_get: return mermap::do_mermap_get(cfg, s, x.a);
        case op::mermap_use: return mermap::do_mermap_use(cfg, s, x.a);
        case op::mermap_put: return mermap::do_mermap_put(cfg, s, x.a);
        case op::walk_begin: return do_walk_begin(cfg, s, x.a);
        case op::walk_step: return do_walk_step(cfg, s, x.a);
        case op::anon_walk_begin: return do_anon_walk_begin(cfg, s, x.a);
        case op::anon_walk_step: return do_anon_walk_step(cfg, s, x.a);
        case op::mremap_move: return do_mremap_move(cfg, s, x.a);
        case op::mremap_done: return do_mremap_done(cfg, s, x.a);
        case op::count_: break;
    }
}

/// The initial state: one live mm with no VMAs, running on cpu 0.  With a config the
/// design's per-mm rmap state is set up for it (mm_init; the COW context's context);
/// without one, the anon_vma design's (which has none).
template <class S> S initial_state(const config* cfg = nullptr) {
    MODEL_TYPES(S);
    S s{};
    for (auto& c : s.cpu) c.mm = nil;
    for (auto& m : s.mm) m.cow_context = nil;
    for (auto& area : s.mermap) {
        for (auto& p : area.pte) p = nil;
        for (auto& t : area.tlb) t = nil;
    }
    for (auto& x : s.cow_ctx) cow::clear(x);
    s.mm[0].live = true;
    s.mm[0].cpumask[0] = true;
    s.cpu[0].mm = 0;
    if (cfg) rmap::mm_init(*cfg, s, 0);
    return s;
}

/// One step on the concrete model: false (and s unchanged) if not enabled or out of bounds.
template <class S> bool step(const config& cfg, S& s, const action& x) {
    if (!enabled(cfg, s, x)) return false;
    S next = s;
    apply(cfg, next, x);
    if (next.out_of_bounds) return false;
    s = next;
    return true;
}

/// "mm1 fork -> mm2", "cpu0 write mm0[1] = 2", ...
/// "[start,start+pages)": a range of virtual pages, as traces print it.
inline std::string range_text(int start, int pages) {
    std::string r = "[";   // built piecewise: GCC 12 warns (-Wrestrict) on "[" + std::string
    r += std::to_string(start);
    r += ',';
    r += std::to_string(start + pages);
    r += ')';
    return r;
}

inline std::string describe(const action& x) {
    const args& a = x.a;
    auto range = [&] { return range_text(a.start, a.pages); };
    const std::string mm = "mm" + std::to_string(a.mm);
    switch (x.kind) {
        case op::mmap: return mm + " mmap " + range();
        case op::munmap: return mm + " munmap " + range();
        case op::tlb_finish_mmu: return mm + " tlb_finish_mmu";
        case op::mprotect: return mm + " mprotect " + range() + (a.value ? " PROT_READ|PROT_WRITE" : " PROT_READ");
        case op::madvise:
            return mm + " madvise " + range() + (a.value == VM_WIPEONFORK ? " MADV_WIPEONFORK" : " MADV_DONTFORK");
        case op::madvise_dontneed: return mm + " madvise " + range() + " MADV_DONTNEED";
        case op::mremap: return mm + " mremap " + range() + " -> " + std::to_string(a.to);
        case op::read: return "cpu" + std::to_string(a.cpu) + " read " + mm + "[" + std::to_string(a.start) + "]";
        case op::write:
            return "cpu" + std::to_string(a.cpu) + " write " + mm + "[" + std::to_string(a.start) + "] = " +
                   std::to_string(a.value);
        case op::fork: return mm + " fork -> mm" + std::to_string(a.mm2);
        case op::exit_mmap: return mm + " exit";
        case op::execve: return mm + " execve";
        case op::switch_mm: return "cpu" + std::to_string(a.cpu) + " switch_mm -> " + mm;
        case op::tlb_evict: return "cpu" + std::to_string(a.cpu) + " tlb_evict";
        case op::migrate: return "migrate folio" + std::to_string(a.folio);
        case op::tlb_flush_pending: return mm + " tlb_flush_mmu_tlbonly (late)";
        case op::pin_user_pages:
            return mm + " pin_user_pages [" + std::to_string(a.start) + "]" + (a.value ? " FOLL_WRITE" : " read-only");
        case op::unpin_user_page: return "unpin_user_page pin" + std::to_string(a.folio);
        case op::pin_read: return "read through pin" + std::to_string(a.folio);
        case op::pin_write: return "DMA write through pin" + std::to_string(a.folio) + " = " + std::to_string(a.value);
        case op::fork_done: return mm + " fork -> mm" + std::to_string(a.mm2) + ": dup_mmap's end (fork_done)";
        case op::walk_begin: return "rmap walk of folio" + std::to_string(a.folio) + " begins (folio_referenced)";
        case op::walk_step: return "rmap walk: next context";
        case op::anon_walk_begin:
            return "rmap walk of folio" + std::to_string(a.folio) + " begins (rmap_walk_anon: first VMA)";
        case op::anon_walk_step: return "rmap walk: next VMA";
        case op::mremap_move: return mm + " mremap: move_ptes";
        case op::mremap_done: return mm + " mremap: unmap the source, unlock";
        case op::mprotect_enomem:
            return mm + " mprotect " + range() + (a.value ? " PROT_READ|PROT_WRITE" : " PROT_READ") +
                   " (anon_vma_clone: AVC allocation fails)";
        case op::mem_write_faultin:
            return mm + " /proc/mem write [" + std::to_string(a.start) + "]: faultin_page (FOLL_FORCE|FOLL_WRITE)";
        case op::mem_write:
            return mm + " /proc/mem write [" + std::to_string(a.start) + "] = " + std::to_string(a.value) +
                   ": follow_page, copy";
        case op::mshare_create: return mm + " mshare_create -> region" + std::to_string(a.value);
        case op::mshare_map: return "region" + std::to_string(a.value) + " mshare_map (MSHAREFS_CREATE_MAPPING)";
        case op::mshare_attach:
            return mm + " mshare_attach region" + std::to_string(a.value) + " at " + std::to_string(a.start);
        case op::mshare_attach_join: return mm + " joins region" + std::to_string(a.value) + "'s attacher list (late)";
        case op::mshare_detach: return mm + " munmap window of region" + std::to_string(a.value);
        case op::mshare_unmap: return "region" + std::to_string(a.value) + " MSHAREFS_UNMAP (zap)";
        case op::mshare_advise: return "region" + std::to_string(a.value) + " mshare_advise MADV_DONTNEED (zap)";
        case op::mshare_protect: return "region" + std::to_string(a.value) + " mshare_protect PROT_READ";
        case op::mshare_flush: return "region" + std::to_string(a.value) + " walk: flush " + mm;
        case op::mshare_notifier: return "region" + std::to_string(a.value) + " notifier range_end: flush attachers";
        case op::mshare_flush_all: return "region" + std::to_string(a.value) + " flush_tlb_all, then free";
        case op::mshare_free: return "region" + std::to_string(a.value) + " free gathered pages/tables";
        case op::mermap_get:
            return "cpu" + std::to_string(a.cpu) + " mermap_get " + mm + "[" + std::to_string(a.start) + "]";
        case op::mermap_use:
            return "cpu" + std::to_string(a.cpu) + " access through mermap slot " + std::to_string(a.value);
        case op::mermap_put: return "cpu" + std::to_string(a.cpu) + " mermap_put slot " + std::to_string(a.value) + " (no flush)";
        case op::count_: break;
    }
    return "?";
}

}  // namespace model
