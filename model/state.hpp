// model/state.hpp — the bounded kernel state, described once with Boost.Hana.
//
// All entities live in fixed-size arrays with a live/used flag; "pointers" are
// indices (`nil` = NULL).  Field names follow the kernel:
//   mm_struct        -> mm_t        (live, mm_cpumask, mmap_lock held by a phased unmap)
//   vm_area_struct   -> vma_t       (vm_start/pages in vpages, vm_pgoff, vm_flags, anon_vma,
//                                    anon_vma_chain as a set of anon_vma indices)
//   pte_t            -> pte_t       (present, folio or zero_pfn, writable)
//   struct folio     -> folio_t     (_mapcount, _refcount, pins, PageAnonExclusive,
//                                    mapping = folio_anon_vma(), index, content)
//   struct anon_vma  -> anon_vma_t  (root, parent, refcount, num_children, num_active_vmas);
//                                   its rb_root interval tree is derived: the VMAs whose
//                                   chain contains it, keyed by their pgoff range.
//   struct cow_context -> cow_context_t (live, mm, parent, refcnt, the children list as
//                                   first_child / next_sibling, remap_mt): the COW
//                                   context design only (model/cow_context.hpp).  Slots:
//                                   as many as the preset's anon_vma slots (one pool
//                                   size for "rmap objects" of either design).
//     remap_mt       -> per pgoff p of the mm (0 .. va_pages-1, the range every anonymous
//                       vm_pgoff lies in): rstart[p] = first pgoff of the maple-tree
//                       entry holding p (nil: a gap), and that entry's offsets
//                       roff[p][0 .. rnr[p]) (a simple entry has rnr 1, a dynarray
//                       more).  Every pgoff of an entry carries the same copy, so entry
//                       boundaries and the arrays are exact at page granularity; an
//                       entry holds at most vmas + 1 offsets (more is out of bounds).
//   mm->cow_context  -> mm_t.cow_context;  folio->cow_context -> folio_t.cow_context
//                       (a field of its own, as in the PoC, where folio->mapping only
//                       carries the anon tag: under cow_context the model leaves
//                       mapping nil).
//   TLB              -> tlbe_t per (cpu, mm, vpage): PCID-tagged cached translation
//   mmu_gather       -> gather[mm][folio]: page references queued for freeing
//   FOLL_PIN         -> pin_t       (who pinned which folio, and what it must read)
//   a forced write between its phases (mem_write_faultin .. mem_write) -> mm_t.foll_force,
//                       foll_vpage: the GUP holds the mmap_lock for read in between
//   the shared zero page's data -> zero_page (always 0 unless a forced write hit it)
//   reference memory -> ref[mm][vpage]: what a read by a user process must return
//   mshare region    -> region_t (model/mshare.hpp), psc[cpu][mm][region]: a paging-structure
//                       cache entry through which cpu may still walk the region's table
//   mermap area      -> mermap_t per cpu (model/mermap.hpp): the bump allocator's next slot,
//                       each slot's PTE and the cpu's TLB entry for it
//
// Left out here (see README "not modelled"): large folios, swap, file mappings,
// KSM, page-table pages as objects, per-VMA locks.
#pragma once
#include <array>
#include <cstdint>
#include <boost/hana.hpp>

#include "bounds.hpp"
#include "domain.hpp"

namespace model {

/// vm_flags bits the model keeps.
enum vm_flag : int { VM_WRITE = 1, VM_WIPEONFORK = 2, VM_DONTCOPY = 4 };

template <class D, class P> struct mm_t {
    using cpumask_t = std::array<typename D::Bool, P::cpus>;
    using gather_t = std::array<typename D::Int, P::folios>;
    BOOST_HANA_DEFINE_STRUCT(mm_t,
        (typename D::Bool, live),
        (cpumask_t, cpumask),          // mm_cpumask(mm): cpus that may cache translations of mm
        (typename D::Bool, locked),    // mmap_lock held by a phased munmap (writers excluded)
        (gather_t, gather),            // mmu_gather: queued references per folio, freed at tlb_finish_mmu
        (typename D::Bool, flush_pending),   // a TLB flush still owed after the pages were freed (mutant only)
        (typename D::Bool, foll_force),      // a forced write (/proc/pid/mem) is between its phases: mmap_lock held for read
        (typename D::Int, foll_vpage),       // ... at this vpage (0 when none)
        (typename D::Int, cow_context));     // mm->cow_context (cow_context design; nil otherwise)
};

template <class D, class P> struct vma_t {
    using chain_t = std::array<typename D::Bool, P::anon_vmas>;
    BOOST_HANA_DEFINE_STRUCT(vma_t,
        (typename D::Bool, used),
        (typename D::Int, start),      // vm_start >> PAGE_SHIFT
        (typename D::Int, pages),      // vma_pages()
        (typename D::Int, pgoff),      // vm_pgoff
        (typename D::Int, flags),      // vm_flags (vm_flag bits)
        (typename D::Int, anon_vma),   // vma->anon_vma (nil until first fault)
        (chain_t, chain));             // vma->anon_vma_chain: the anon_vmas this VMA is linked into
};

template <class D> struct pte_t {
    BOOST_HANA_DEFINE_STRUCT(pte_t,
        (typename D::Bool, present),
        (typename D::Int, folio),      // folio slot or zero_pfn
        (typename D::Bool, writable));
};

template <class D> struct folio_t {
    BOOST_HANA_DEFINE_STRUCT(folio_t,
        (typename D::Bool, allocated),
        (typename D::Int, content),    // the data a read returns
        (typename D::Int, mapcount),   // folio_mapcount()
        (typename D::Int, refcount),   // folio_ref_count(), pins included
        (typename D::Int, pincount),   // FOLL_PIN references (folio_maybe_dma_pinned)
        (typename D::Bool, anon_exclusive),  // PageAnonExclusive
        (typename D::Int, mapping),    // folio_anon_vma(folio) (nil under cow_context: only the anon tag)
        (typename D::Int, index),      // folio->index (pgoff)
        (typename D::Int, cow_context),   // folio->cow_context (cow_context design; nil otherwise)
        (typename D::Bool, shmem));       // a page of an mshare region's object (shared, mapping nil)
};

template <class D> struct anon_vma_t {
    BOOST_HANA_DEFINE_STRUCT(anon_vma_t,
        (typename D::Bool, live),
        (typename D::Int, root),
        (typename D::Int, parent),
        (typename D::Int, refcount),
        (typename D::Int, num_children),
        (typename D::Int, num_active_vmas));
};

/// struct cow_context (include/linux/mm_types.h of the PoC) with its remap_mt.
template <class D, class P> struct cow_context_t {
    static constexpr int remap_cap = P::vmas + 1;
    using offs_t = std::array<typename D::Int, remap_cap>;
    using per_pgoff_t = std::array<typename D::Int, P::va_pages>;
    using roff_t = std::array<offs_t, P::va_pages>;
    BOOST_HANA_DEFINE_STRUCT(cow_context_t,
        (typename D::Bool, live),
        (typename D::Int, mm),            // context->mm (NULL after drop_cow_context)
        (typename D::Int, parent),        // context->parent
        (typename D::Int, refcount),      // context->refcnt
        (typename D::Int, first_child),   // list_first_or_null_rcu(&context->children)
        (typename D::Int, next_sibling),  // the next entry on the parent's children list
        (per_pgoff_t, rstart),            // remap_mt: first pgoff of the entry holding p, or nil
        (per_pgoff_t, rnr),               // remap_mt: number of offsets of that entry
        (roff_t, roff));                  // remap_mt: the offsets (8-bit two's complement)
};

template <class D> struct tlbe_t {
    BOOST_HANA_DEFINE_STRUCT(tlbe_t,
        (typename D::Bool, valid),
        (typename D::Int, folio),      // folio slot or zero_pfn
        (typename D::Bool, writable));
};

template <class D> struct pin_t {
    BOOST_HANA_DEFINE_STRUCT(pin_t,
        (typename D::Bool, used),
        (typename D::Int, mm),         // the process that pinned (pin_user_pages, FOLL_PIN|FOLL_LONGTERM)
        (typename D::Int, vpage),      // where it pinned
        (typename D::Int, folio),
        (typename D::Bool, writable),  // FOLL_WRITE
        (typename D::Int, expect));    // what a read through the pin must return (the pinner's data)
};

/// An mshare region (model/mshare.hpp): the msharefs file, its host mm and the page
/// table the host's object is mapped through, plus the attacher list and the state of
/// an in-flight flush walk.  The host mm is not an mm slot: no process runs it.
template <class D, class P> struct region_t {
    using per_mm_b = std::array<typename D::Bool, P::mms>;
    using per_mm_i = std::array<typename D::Int, P::mms>;
    using ptes_t = std::array<pte_t<D>, region_pages_of<P>>;
    using data_t = std::array<typename D::Int, region_pages_of<P>>;
    using gather_t = std::array<typename D::Int, P::folios>;
    BOOST_HANA_DEFINE_STRUCT(region_t,
        (typename D::Bool, live),      // the region (msharefs file + host mm) exists; size set at create
        (typename D::Int, owner),      // the creating process: its exit tears the region down (2026)
        (typename D::Bool, mapped),    // an object is mapped in the host mm (MSHAREFS_CREATE_MAPPING)
        (typename D::Bool, table),     // the host's PTE table for the region is allocated
        (typename D::Int, share),      // PUD share count (v3 12/22): attachers linking the table
        (typename D::Bool, readonly),  // mshare_protect(PROT_READ) done
        (ptes_t, pte),                 // the region's PTEs (one table, not copied per process)
        (data_t, data),                // reference: what a read through any window must return
        (gather_t, gather),            // the host mmu_gather: zapped pages freed after the walk
        (typename D::Bool, busy),      // an operation is in flight (host mmap_lock held): faults wait
        (typename D::Bool, discard),   // ... it zapped pages: the data reads 0 once it ends
        (typename D::Bool, free_table),// ... it frees the table at its end (if nobody links it)
        (typename D::Bool, dying),     // ... it is the teardown: windows removed as each is flushed
        (per_mm_b, attached),          // on the attacher list
        (per_mm_b, windowed),          // has a window VMA onto the region
        (per_mm_i, window),            // the window's first vpage in that process
        (per_mm_b, linked),            // the table is linked into the process's page table (set_p4d)
        (per_mm_b, todo));             // attachers the in-flight walk has still to flush
};

template <class D> struct cpu_t {
    BOOST_HANA_DEFINE_STRUCT(cpu_t,
        (typename D::Int, mm));        // current->active_mm (nil when idle)
};

/// The mermap's per-cpu area (model/mermap.hpp): mermap_slots one-page slots.
inline constexpr int mermap_slots = 2;
template <class D> struct mermap_t {
    using slots_t = std::array<typename D::Int, mermap_slots>;
    BOOST_HANA_DEFINE_STRUCT(mermap_t,
        (typename D::Int, next),       // the bump allocator's next slot (mermap_slots: used up, wrap)
        (slots_t, pte),                // the slot's PTE: the folio it maps, nil (none, or the PAGE_NONE sentinel)
        (slots_t, tlb));               // this cpu's TLB entry for the slot: the folio, nil when none
};

template <class D, class P> struct state {
    using domain = D;
    using preset = P;
    using mms_t = std::array<mm_t<D, P>, P::mms>;
    using vmas_t = std::array<std::array<vma_t<D, P>, P::vmas>, P::mms>;
    using ptes_t = std::array<std::array<pte_t<D>, P::va_pages>, P::mms>;
    using folios_t = std::array<folio_t<D>, P::folios>;
    using anon_vmas_t = std::array<anon_vma_t<D>, P::anon_vmas>;
    using tlb_t = std::array<std::array<std::array<tlbe_t<D>, P::va_pages>, P::mms>, P::cpus>;
    using cpus_t = std::array<cpu_t<D>, P::cpus>;
    using ref_t = std::array<std::array<typename D::Int, P::va_pages>, P::mms>;
    using pins_t = std::array<pin_t<D>, P::pins>;
    using cow_ctxs_t = std::array<cow_context_t<D, P>, P::anon_vmas>;
    using regions_t = std::array<region_t<D, P>, regions_of<P>>;
    using psc_t = std::array<std::array<std::array<typename D::Bool, regions_of<P>>, P::mms>, P::cpus>;
    using mermaps_t = std::array<mermap_t<D>, P::cpus>;

    BOOST_HANA_DEFINE_STRUCT(state,
        (mms_t, mm),
        (vmas_t, vma),
        (ptes_t, pte),
        (folios_t, folio),
        (anon_vmas_t, anon_vma),
        (cow_ctxs_t, cow_ctx),         // COW contexts (cow_context design only)
        (tlb_t, tlb),
        (cpus_t, cpu),
        (pins_t, pin),                 // GUP pins (e.g. vmsplice, O_DIRECT, RDMA buffers)
        (ref_t, ref),                  // reference memory: the value a read must return
        (typename D::Int, zero_page),  // the data of the shared zero page: 0 unless a write landed in it
        (regions_t, region),           // mshare regions (mshare design only)
        (psc_t, psc),                  // paging-structure caches: cpu may still walk region r's table for mm
        (mermaps_t, mermap),           // the mermap's per-cpu areas (mshare design's actions only)
        (typename D::Bool, bad_read),  // a read action returned something other than ref
        (typename D::Int, bug),        // first BUG_ON/VM_WARN_ON that fired (0 = none)
        (typename D::Bool, out_of_bounds));  // a bounded pool ran out: the step is discarded

    /// --phased fork only: fork_parent[m2] = m + 1 while mm m2 is a child whose fork has
    /// run its VMA loop but not fork_done (0: none).  Concrete bytes outside the Hana
    /// description on purpose: the fingerprint (explore) sees it, the ITF writer and the
    /// recorded traces do not (replay rebuilds it from the actions), and the symbolic
    /// engines refuse --phased.
    std::array<std::uint8_t, P::mms> fork_parent{};

    /// --phased walk only (model/cow_context.hpp, walk_begin / walk_step): the COW context
    /// rmap walk under way, if any.  Concrete bytes outside the Hana description, like
    /// fork_parent: the fingerprint sees them, the ITF writer does not (replay rebuilds them).
    struct walker_t {
        cint folio = nil;          // the folio walked (its reference and lock held), nil: no walk
        cint root = nil;           // traverse_contexts(): root = folio->cow_context
        cint curr = nil;           //                      curr
        cint parent = nil;         //                      parent
        std::uint8_t visited = 0;  // curr was visited: the next step reads curr->parent, curr->siblings
        std::uint8_t rcu = 0;      // the walk is inside rcu_read_lock() between steps (as coded)
        std::uint8_t held = 0;     // --cow-fix walk_pins_context: the walk holds a reference on curr
        std::uint8_t curr_freed = 0;   // curr was freed while the walk was outside RCU
        std::uint8_t exclusive_at_start = 0;   // folio_mapcount() was 1 at walk_begin (--cow-fix exclusive_at_walk_start)
        // Between steps, walk_context(curr) is inside rmap_one on a VMA of curr's mm and
        // holds that mm's mm_users (mmget_not_zero, dropped by mmput_async when it
        // returns): pin_mm.  nil when walk_context handed no VMA: it has returned and the
        // walk is in traverse_contexts, under RCU.
        cint pin_mm = nil;
        // --phased walk_vma: between steps the walk is inside rmap_one on the last VMA
        // walk_context handed it, (vma_mm, vma); nil: none (the context had no VMA to hand).
        cint vma_mm = nil;
        cint vma = nil;
        std::uint8_t vma_locked = 0;   // --cow-fix walk_locks_vma: the walk holds its read lock
        std::uint8_t vma_freed = 0;    // it was freed while rmap_one ran (as coded, nothing stops that)
        // --phased walk_remap: walk_context(curr) has loaded the remap_mt entry holding
        // folio->index, a heap dynarray (mas_walk in remaps_for_each), and reads its nr and
        // offsets at the next step.  arr_pgoffs: the pgoffs of curr's remap_mt whose entry
        // still points to that array; arr_freed: it was kfree()d meanwhile (krealloc);
        // arr_nr / arr_offs: what the reader reads, the array as it was at the load
        // (model/cow_walk.hpp says why that is exact as coded).
        std::uint8_t arr_loaded = 0;
        // arr_pending (--phased walk_vma too): walk_context is inside rmap_one on the VMA
        // of offset 0 (vma_mm, vma), and goes on to the remaps when it returns.
        std::uint8_t arr_pending = 0;
        std::uint8_t arr_freed = 0;
        std::uint8_t arr_changed = 0;   // curr's remap_mt was written since (its seqcount moved)
        std::array<std::uint8_t, P::va_pages> arr_pgoffs{};
        cint arr_nr = 0;
        std::array<cint, P::vmas + 1> arr_offs{};
        // arr_walking: the array has been read ("Get unique remaps": arr_offs[0 .. arr_nr)
        // now holds the unique offsets) and walk_context walks them one per step, the next
        // being arr_offs[arr_next]; arr_changed goes on counting writes until the last.
        std::uint8_t arr_walking = 0;
        std::uint8_t arr_next = 0;
        // --phased walk_remap_slots: the loaded array is read one slot per step; arr_slot is
        // the next slot to read, arr_got[0 .. arr_got_nr) the unique offsets collected so far
        // (the on-stack dynarray), and arr_nr / arr_offs follow the in-place writes to the
        // array while it is still the entry of arr_pgoffs.
        std::uint8_t arr_slot = 0;
        cint arr_got_nr = 0;
        std::array<cint, P::vmas + 1> arr_got{};
        // Contexts freed while the walk holds rcu_read_lock: kfree_rcu() keeps the memory
        // (the slot is not reused) and list_del_rcu() left their parent and next pointers.
        std::array<std::uint8_t, P::anon_vmas> rcu_freed{};
        std::array<cint, P::anon_vmas> rcu_parent{};
        std::array<cint, P::anon_vmas> rcu_next{};
        // pending[m]: mm m mapped the folio when the walk began, and the walk has not yet
        // handed rmap_one a VMA of m whose PTE maps it (page_vma_mapped_walk confirmed).
        std::array<std::uint8_t, P::mms> pending{};
        // --phased walk under the anon_vma design (model/anon_walk.hpp): the anon_vma whose
        // interval tree the walk reads (folio_anon_vma() at anon_walk_begin; root is its
        // root, locked for read), and curr counts the VMAs handed to rmap_one so far.
        cint anon_vma = nil;
        // --phased migrate (model/migrate.hpp): the walk is remove_migration_ptes(src, folio),
        // src = migrate_from; nil: a read-only walk.
        cint migrate_from = nil;
    };
    walker_t walker{};

    /// --phased migrate only: mm m's PTE at vpage v is a migration entry to
    /// migration_entry[m][v].folio (nil: it is not).  The PTE itself reads as not present.
    /// Concrete, outside the Hana description, like walker.
    struct migration_entry_t {
        cint folio = nil;            // the folio the entry points to (the migration's source)
        std::uint8_t writable = 0;   // a writable migration entry: the PTE was writable
    };
    std::array<std::array<migration_entry_t, P::va_pages>, P::mms> migration_entry{};

    /// --phased mremap only (model/mremap.hpp): the mremap between copy_vma and the unmap
    /// of its source range, if any.  Concrete bytes outside the Hana description, like
    /// walker.
    struct mremap_phase_t {
        cint mm = nil;          // the mm whose mremap is under way (its mmap_lock held for write)
        cint start = 0, pages = 0, to = 0;
        // The VMA covering the destination after copy_vma: a new one, or the neighbour it
        // merged into (vma_merge re-inserted that VMA's AVCs); either way its AVCs went into
        // the interval trees after the source's.
        cint dest_vma = nil;
        std::uint8_t rmap_locks = 0;   // need_rmap_locks: move_ptes takes the anon_vma locks
        std::uint8_t moved = 0;        // move_page_tables has run; mremap_done comes next
    };
    mremap_phase_t mremap_phase{};

    /// --phased walk: m + 1 if the last walk ended with mm m still mapping the folio as it
    /// did when the walk began, never confirmed (0: none).  rmap_complete reads it.
    /// Concrete, outside the Hana description, like walker.
    std::uint8_t walk_missed = 0;
};

}  // namespace model
