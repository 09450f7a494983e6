// model/config.hpp — what a run is checking: bounds, rmap design, injected mutants.
//
// Mutants are named switches that restore a historical (or plausible) buggy
// code path inside the action it belongs to; the fixed path is the default.
// Each switch is read only by model code, next to the code it changes, never
// by props.  The registry here only names and cites them.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bounds.hpp"

namespace model {

/// anon_vma and cow_context are rmap designs; mshare keeps the anon_vma rmap for private
/// anonymous memory and enables the mshare actions (model/mshare.hpp).
enum class design { anon_vma, cow_context, mshare };

/// How an mshare region's PTE change reaches the attachers' TLBs (--mshare-flush).
///   flush_all      v1-v3 (2025): mshare_invalidate_tlbs -> flush_tlb_all(), every cpu, every mm,
///                  synchronously from the host's flush, before tlb_flush_mmu_free.
///   attacher_list  2026: walk the list of attached processes, flush each at its own window
///                  address (one step per attacher), then free.
///   notifier       an mmu_notifier on the host mm whose invalidate_range_end flushes every
///                  attacher (one step for the whole list), before the host gather frees.
/// The order each must keep: PTEs changed -> every attacher flushed -> pages/tables freed.
enum class mshare_flush { attacher_list, flush_all, notifier };
/// Where attachers put their windows (--mshare-addr): each its own address (2025/2026
/// code), or the host's address in every process (Wilcox's proposal, 2024 code).
enum class mshare_addr { per_process, same };

enum class mutant : int {
    fork_keeps_exclusive,
    anon_vma_no_reuse,
    anon_vma_degree_reuse,
    munmap_free_before_flush,
    gup_cow_leak,
    fork_shares_pinned_page,
    anon_vma_clone_stale_anon_vma,
    mremap_flush_after_unlock,
    dirty_cow,
    mshare_flush_host_only,
    mshare_flush_host_address,
    mshare_free_before_flush,
    mshare_attach_during_flush,
    mshare_owner_exit_early_free,
    mermap_free_without_flush,
    mermap_wrap_without_flush,
    cow_partial_remap_unrecorded,
    cow_walk_skips_descendants,
    cow_folio_ref_not_taken,
    cow_remap_wrong_side,
    mremap_skips_rmap_locks,
    count_
};

/// The designs a mutant applies to (a mutant of anon_vma internals is never reached by
/// the COW context's code, and the other way round; mshare keeps the anon_vma rmap, and
/// its own mutants need its regions): bits of 1 << design.
inline constexpr unsigned on_anon_vma = 1u | 4u, on_cow_context = 2u, on_mshare = 4u, on_both = 7u;

struct mutant_info {
    mutant id;
    const char* name;
    const char* where;     // the model function that carries the switch
    const char* cites;     // CVE / commit
    const char* summary;
    unsigned designs = on_both;   // on_anon_vma, on_cow_context, on_mshare or on_both (every design)
    bool applies(design d) const { return designs & (1u << static_cast<int>(d)); }
};

inline const std::vector<mutant_info>& mutants() {
    static const std::vector<mutant_info> all = {
        {mutant::fork_keeps_exclusive, "fork_keeps_exclusive", "copy_present_pte (model/fork.hpp)",
         "PageAnonExclusive series, 6c287605fd56 / fb3d824d1a46",
         "fork shares an anon page without clearing PageAnonExclusive, so a later write "
         "reuses it and the other process sees the write"},
        {mutant::anon_vma_no_reuse, "anon_vma_no_reuse", "anon_vma_clone (model/anon_vma.hpp)",
         "fix 7a3ef208e662 (mm: prevent endless growth of anon_vma hierarchy)",
         "fork never reuses an idle ancestor anon_vma: fork-and-exit loops grow the chain "
         "by one anon_vma per generation", on_anon_vma},
        {mutant::anon_vma_degree_reuse, "anon_vma_degree_reuse", "anon_vma_fork (model/anon_vma.hpp)",
         "CVE-2022-42703, fix 2555283eb40d (mm/rmap: Fix anon_vma->degree ambiguity leading to double-reuse)",
         "reuse decided by the old degree = num_children + num_active_vmas < 2, which also "
         "admits an anon_vma that is still some VMA's anon_vma: two VMAs share an anon_vma "
         "with different chains", on_anon_vma},
        {mutant::munmap_free_before_flush, "munmap_free_before_flush", "tlb_finish_mmu (model/tlb.hpp)",
         "the mmu_gather rule of include/asm-generic/tlb.h (free only after the TLB flush)",
         "the gathered pages are freed before the TLB flush; the flush comes as a later step, "
         "so another cpu can still reach a freed (and reused) page"},
        {mutant::gup_cow_leak, "gup_cow_leak", "do_wp_page, pin_user_pages (model/fault.hpp, model/gup.hpp)",
         "CVE-2020-29374; fixed by the PageAnonExclusive series (6c287605fd56, c89357e27f20, a7f226604170)",
         "a read-only pin of a COW-shared page does not unshare it, and do_wp_page reuses a page "
         "whose map count is 1 although a pin still references it: the pinner reads the other "
         "process's later writes"},
        {mutant::fork_shares_pinned_page, "fork_shares_pinned_page", "copy_present_pte (model/fork.hpp)",
         "folio_needs_cow_for_dma / copy_present_page (mm/memory.c), the PAE series",
         "fork shares a pinned exclusive page instead of copying it for the child, so I/O "
         "through the pin reaches the child or is lost to the parent"},
        {mutant::anon_vma_clone_stale_anon_vma, "anon_vma_clone_stale_anon_vma", "modify_flags (model/vma.hpp)",
         "fix 3a206a8649f8 (mm/rmap: clear vma->anon_vma on error), 2026",
         "when the AVC allocation of a merge's dup_anon_vma fails, the target keeps "
         "vma->anon_vma without an AVC and without num_active_vmas++: its later folios are "
         "invisible to the rmap and the counter underflows at unlink", on_anon_vma},
        {mutant::mremap_flush_after_unlock, "mremap_flush_after_unlock", "do_mremap (model/mremap.hpp)",
         "CVE-2018-18281, fix eb66ae030829 (mremap: properly flush TLB before releasing the page)",
         "move_ptes drops the page-table lock before flushing the old range; an rmap walk "
         "(migration) frees the page while a cpu still caches the old translation"},
        {mutant::dirty_cow, "dirty_cow", "mem_write (model/gup.hpp)",
         "CVE-2016-5195, fix 19be0eaffa3a (mm: remove gup_flags FOLL_WRITE games from __get_user_pages())",
         "after the COW fault of a forced write (/proc/self/mem) to a read-only private mapping, "
         "faultin_page drops FOLL_WRITE; MADV_DONTNEED zaps the fresh copy, the retry read-faults "
         "the shared zero page in, follow_page returns it and the write lands in the zero page"},
        {mutant::mshare_flush_host_only, "mshare_flush_host_only", "mshare_flush_attacher (model/mshare.hpp)",
         "mshare RFC v3 (Sept 2024) had no cross-process flush; Dave Hansen's review; v1 08/22 (flush_tlb_all)",
         "the region's PTE change flushes only the host mm, which no cpu runs (its mm_cpumask "
         "is never set): attachers keep their translations of freed or write-protected pages (H1)",
         on_mshare},
        {mutant::mshare_flush_host_address, "mshare_flush_host_address", "mshare_flush_attacher (model/mshare.hpp)",
         "the 2026 attacher-list flush (LWN 'Revisiting mshare'); msharefs_get_unmapped_area lets each process choose its address",
         "each attacher is flushed at the host's address instead of its own window's (H2)",
         on_mshare},
        {mutant::mshare_free_before_flush, "mshare_free_before_flush", "mshare_begin_walk (model/mshare.hpp)",
         "v3 08/22: flush_tlb_all runs from arch_invalidate_secondary_tlbs before tlb_flush_mmu_free",
         "the host gather frees the zapped pages (and tables) before the attachers are flushed (H3)",
         on_mshare},
        {mutant::mshare_attach_during_flush, "mshare_attach_during_flush", "do_mshare_attach (model/mshare.hpp)",
         "2026 attacher list (LWN 'Revisiting mshare'): join the list before the table is reachable",
         "attach makes the window (and, at the first fault, the table link) usable before the "
         "process is on the attacher list; a walk that started in between misses it (H4)",
         on_mshare},
        {mutant::mshare_owner_exit_early_free, "mshare_owner_exit_early_free", "mshare_owner_exit (model/mshare.hpp)",
         "2026 ownership: the owner's exit removes every window; v3 12/22 PUD share count",
         "the owner's exit frees the region's pages, table and host mm at once, while attachers "
         "still have windows, table links and TLB entries (H6)",
         on_mshare},
        {mutant::mermap_free_without_flush, "mermap_free_without_flush", "mermap_flush_before_free (model/tlb.hpp)",
         "the 2026 mermap (mm/mermap.c): \"perform a full TLB flush of the region before freeing the pages\"",
         "a page mapped with mermap_get and released with mermap_put (PTE -> PAGE_NONE, no flush) is freed "
         "while the cpu still caches the mapping: kernel code on that cpu reaches the reused page (H11)",
         on_mshare},
        {mutant::mermap_wrap_without_flush, "mermap_wrap_without_flush", "do_mermap_get (model/mermap.hpp)",
         "mm/mermap.c: the bump allocator calls arch_mermap_flush_tlb before it wraps",
         "the allocator wraps and reuses a slot without flushing: the cpu still translates the slot to "
         "the page it mapped before, and an access through the new mapping reads the old page (H11 variant)",
         on_mshare},
        // The COW context design's mutants: plausible slips in the proof of concept's code,
        // checked with every --cow-fix on (docs/cow-context-findings.md, "Mutants").
        {mutant::cow_partial_remap_unrecorded, "cow_partial_remap_unrecorded",
         "copy_vma_remap (model/rmap.hpp)", "COW context PoC: cow_context_do_remap() from copy_vma()",
         "copy_vma() calls cow_context_do_remap() only when the whole VMA moves, so a partial mremap "
         "of a faulted VMA leaves the moved pages without a remap record",
         on_cow_context},
        {mutant::cow_walk_skips_descendants, "cow_walk_skips_descendants", "walk (model/cow_context.hpp)",
         "COW context PoC: traverse_contexts()",
         "cow_context_walk() walks the folio's own context only and never descends to the child "
         "contexts, so mappings inherited by forked children are missed",
         on_cow_context},
        {mutant::cow_folio_ref_not_taken, "cow_folio_ref_not_taken", "add_new (model/cow_context.hpp)",
         "COW context PoC: __folio_set_anon_cow(), the folio's reference",
         "__folio_set_anon_cow() stores the context in the folio without get_cow_context() (and the "
         "folio drops none when freed): the context is freed at __mmdrop while a child's folio still "
         "points to it, and the next walk reads freed memory",
         on_cow_context},
        {mutant::cow_remap_wrong_side, "cow_remap_wrong_side", "copy_vma_remap (model/rmap.hpp)",
         "COW context PoC: cow_context_do_remap() after the split of a partial mremap",
         "the moved part's offset is recorded over the pgoff range of the part left behind (the "
         "source VMA's vm_pgoff instead of the moved part's), i.e. on the wrong side of the split",
         on_cow_context},
        // B11 of ../shared/domain/anon-rmap.md: it lives in mremap's move between copy_vma and
        // the unmap, so --inject turns on --phased mremap and --phased walk (config::inject).
        {mutant::mremap_skips_rmap_locks, "mremap_skips_rmap_locks", "do_mremap_move (model/mremap.hpp)",
         "38a76013ad80 (mm: avoid taking rmap locks in move_ptes()); the THP path's fix \"mm, thp: close race "
         "between mremap() and split_huge_page()\" (Kirill Shutemov, May 2014)",
         "move_ptes moves the PTEs without the anon_vma locks although copy_vma merged the destination into a "
         "VMA that rmap_walk_anon visits before the source (need_rmap_locks ignored, as move_huge_pmd did "
         "before 2014): a walk that visits the new place before the move and the old one after it misses "
         "the mapping (B11)",
         on_anon_vma},
    };
    return all;
}

inline std::optional<mutant> mutant_by_name(std::string_view name) {
    for (const auto& m : mutants())
        if (name == m.name) return m.id;
    return std::nullopt;
}

inline const char* design_name(design d) {
    return d == design::cow_context ? "cow_context" : d == design::mshare ? "mshare" : "anon_vma";
}
inline std::optional<design> design_by_name(std::string_view n) {
    if (n == "anon_vma") return design::anon_vma;
    if (n == "cow_context") return design::cow_context;
    if (n == "mshare") return design::mshare;
    return std::nullopt;
}

inline const char* mshare_flush_name(mshare_flush f) {
    return f == mshare_flush::flush_all ? "flush_all" : f == mshare_flush::notifier ? "notifier" : "attacher_list";
}
inline std::optional<mshare_flush> mshare_flush_by_name(std::string_view n) {
    if (n == "attacher_list") return mshare_flush::attacher_list;
    if (n == "flush_all") return mshare_flush::flush_all;
    if (n == "notifier") return mshare_flush::notifier;
    return std::nullopt;
}
inline const char* mshare_addr_name(mshare_addr a) { return a == mshare_addr::same ? "same" : "per_process"; }
inline std::optional<mshare_addr> mshare_addr_by_name(std::string_view n) {
    if (n == "per_process") return mshare_addr::per_process;
    if (n == "same") return mshare_addr::same;
    return std::nullopt;
}

/// Changes to the COW context proof of concept that close a hole the engines found
/// (`--cow-fix NAME`); without them the design is modelled as coded
/// (docs/cow-context-findings.md).  Read only by model/cow_context.hpp.
enum class cow_fix : int {
    early_stop_if_found,
    fork_records_remaps,
    remap_clips_entries,
    copy_vma_merge_records,
    fault_records_remap,
    dynarray_insert_moves,
    fork_links_first,
    walk_drops_rcu,
    walk_pins_context,
    walk_locks_vma,
    remap_expand_rcu,
    walk_rereads_remaps,
    unmap_removes_records,
    exclusive_at_walk_start,
    walk_parent_first,
    count_
};

struct cow_fix_info {
    cow_fix id;
    const char* name;
    const char* summary;
};

inline const std::vector<cow_fix_info>& cow_fixes() {
    static const std::vector<cow_fix_info> all = {
        {cow_fix::early_stop_if_found, "early_stop_if_found",
         "walk_context() ends the walk for a not-shared folio only after rmap_one confirmed a "
         "mapping in this context (as coded it ends it whether or not one was found)"},
        {cow_fix::fork_records_remaps, "fork_records_remaps",
         "dup_mmap() calls cow_context_do_fork() for every copied VMA, so the child's context "
         "records the remapped VMAs it inherits (as read, cow_context_do_fork() has no caller)"},
        {cow_fix::remap_clips_entries, "remap_clips_entries",
         "find_and_remap_existing() splits the entries straddling the moved pgoff range first, so a "
         "partial mremap rewrites only the moved pages' offset (as coded it rewrites whole entries, "
         "and the pages left behind lose their record)"},
        {cow_fix::copy_vma_merge_records, "copy_vma_merge_records",
         "copy_vma() calls cow_context_do_remap() for the moved range on the merged path too (as "
         "coded only a new VMA gets a record, so pages merged into a moved neighbour have none)"},
        {cow_fix::fault_records_remap, "fault_records_remap",
         "__anon_vma_prepare() records an anonymous VMA whose offset is already nonzero at its first "
         "fault, as cow_context_do_map_private_cow() does for private file mappings (as coded a "
         "VM_WIPEONFORK child's VMA keeps the parent's moved vm_pgoff unfaulted and is never recorded)"},
        {cow_fix::dynarray_insert_moves, "dynarray_insert_moves",
         "__dynarray_append_value() moves the element at the insertion point up too (as coded the move "
         "loop breaks at i <= insert_idx, so inserting a smaller offset overwrites an existing one, in "
         "a remap record and in the walk's on-stack array)"},
        {cow_fix::fork_links_first, "fork_links_first",
         "dup_mmap() calls dup_cow_context() before the VMA loop copies any PTE, as anon_vma_fork() links "
         "the child's VMA before copy_page_range() (as coded it runs after the loop, so with --phased fork "
         "an rmap walk between the two misses the child's mappings)"},
        {cow_fix::walk_drops_rcu, "walk_drops_rcu",
         "with --phased walk: cow_context_walk() drops rcu_read_lock() around each rmap_one call, which "
         "may sleep (the author's TODO \"We shouldn't be holding the RCU lock here\"; as coded the callbacks "
         "run under RCU); safe for the traversal, as walk_context holds the visited mm's mm_users across "
         "rmap_one, which keeps its context (finding 8)"},
        {cow_fix::walk_pins_context, "walk_pins_context",
         "with --phased walk and walk_drops_rcu: the walk takes a reference (get_cow_context) on the "
         "context it visits before dropping RCU, and drops it once it has stepped to the next one (not "
         "needed: the mm's mm_users already keep that context; finding 8)"},
        {cow_fix::walk_locks_vma, "walk_locks_vma",
         "with --phased walk_vma: walk_context_remap() read-locks each VMA (vma_start_read(), as "
         "lock_vma_under_rcu() does) before rmap_one and unlocks it after, so munmap, mremap and mprotect "
         "wait for it (the author's TODO \"VMA not locked so unsafe to access\"; as coded a VMA can be "
         "freed, and under SLAB_TYPESAFE_BY_RCU reused, while rmap_one uses it: finding 9)"},
        {cow_fix::remap_expand_rcu, "remap_expand_rcu",
         "with --phased walk_remap: __dynarray_expand() of a heap array allocates the bigger array, copies "
         "into it and frees the old one with kfree_rcu() (dynarray_free_rcu()), as the other paths that "
         "replace an array do (as coded it krealloc()s, which kfree()s the old array at once while an RCU "
         "reader in walk_context() may still read it: finding 10)"},
        {cow_fix::walk_rereads_remaps, "walk_rereads_remaps",
         "with --phased walk_remap: a per-context sequence count is bumped around every remap_mt write and "
         "every mremap of the context's mm (copy_vma() and move_page_tables() together), and walk_context() "
         "starts again if it moved between the load of the remaps and the walk of the last offset "
         "(read_seqcount_retry() at the end; as coded nothing tells the walk: an mremap that moves a mapping "
         "to another offset meanwhile makes the walk miss it: finding 11)"},
        {cow_fix::unmap_removes_records, "unmap_removes_records",
         "remove_vma() calls cow_context_vma_unmap() before unlink_anon_vmas() clears vma->anon_vma (munmap, an "
         "mremap's source, exit; a merge does not call remove_vma()), and find_and_unmap_existing() splits the "
         "entries straddling the unmapped range first, so an unmap removes the records of the pages it unmaps "
         "(as coded should_track_remap() is false there and records are never removed: "
         "\"Other observations\"; with --phased walk_remap_slots the in-place removal shows race (a), finding 12)"},
        {cow_fix::exclusive_at_walk_start, "exclusive_at_walk_start",
         "cow_context_walk() decides once, before its first rmap_one, whether the folio is exclusive "
         "(folio_mapcount() == 1), and walk_context() takes the early stop only then (as coded each "
         "walk_context() reads !folio_maybe_mapped_shared() anew, and a walk that changes the map count "
         "itself misreads it: remove_migration_ptes() starts at 0, sees 1 after restoring the first "
         "migration entry and stops, so a forked child's entry stays behind: finding 13)"},
        {cow_fix::walk_parent_first, "walk_parent_first",
         "traverse_contexts() visits each context before its children (pre-order: the root, then down "
         "first_child, along next_sibling, up to the first parent with a next sibling), as the anon_vma tree "
         "hands a parent's VMA before its fork children's; needs fork_links_first.  As coded a context's "
         "children come before it (post-order), so a fork beside remove_migration_ptes() can link its child "
         "at the head of a list the walk has passed and copy the parent's migration entry, which the walk "
         "then never reaches (--phased migrate: finding 14).  The one-step walk follows the same order: there, "
         "with exclusive_at_walk_start, the order changes how many contexts a walk examines before the "
         "exclusive early stop, not which mappings it finds"},
    };
    return all;
}

inline std::optional<cow_fix> cow_fix_by_name(std::string_view name) {
    for (const auto& f : cow_fixes())
        if (name == f.name) return f.id;
    return std::nullopt;
}

/// Operations split into phases so that other actions can run between them
/// (`--phased NAME`); off by default, so the default action list and every recorded
/// trace stay as they are.  Concrete engines only (bmc and prove refuse them).
enum class phased_op : int {
    fork,   // dup_mmap: the VMA loop (PTEs copied, flush), then fork_done (dup_cow_context, unlock)
    walk,   // cow_context_walk: walk_begin (root visited), then one walk_step per context
    walk_vma,   // walk, and between steps rmap_one holds the last VMA handed to it (implies walk)
    walk_remap, // walk, and walk_context() reads a heap remap array one step after loading it (implies walk)
    walk_remap_slots,   // walk_remap, and the read of that array one slot per step (implies walk_remap)
    mremap,     // anon_vma (and mshare) design: mremap, mremap_move, mremap_done (move_vma's three parts)
    migrate,    // remove_migration_ptes() as a walk in steps (anon_walk_step; walk_step under the COW context)
    count_
};

struct phased_info {
    phased_op id;
    const char* name;
    const char* summary;
};

inline const std::vector<phased_info>& phased_ops() {
    static const std::vector<phased_info> all = {
        {phased_op::fork, "fork",
         "fork in two steps: `fork` runs dup_mmap's VMA loop (VMAs, anon_vma_fork, copy_page_range) with both "
         "mmap_locks held (and the parent's TLB flushed), `fork_done` what follows it (dup_cow_context, unlock); "
         "an rmap walk (migrate), a TLB eviction or another process can run between them, as the rmap takes "
         "no mmap_lock"},
        {phased_op::walk, "walk",
         "the rmap walk in steps, as folio_referenced() runs it from reclaim (folio locked, a reference "
         "held, read-only).  COW context: `walk_begin` takes rcu_read_lock and visits the folio's "
         "context, each `walk_step` moves traverse_contexts() to the next context and visits it, the last "
         "one unlocks; an exit (contexts freed) or a fork can run between steps, except the exit of the mm "
         "whose VMA rmap_one is on (walk_context holds its mm_users).  anon_vma (and mshare): "
         "`anon_walk_begin` takes the root anon_vma's lock for read and hands rmap_one the first VMA of the "
         "folio's anon_vma interval tree (vm_pgoff order), each `anon_walk_step` the next one, the last "
         "unlocks; what takes no anon_vma lock runs between steps (faults on faulted VMAs, TLB "
         "activity, the move of a --phased mremap that needs no rmap locks)"},
        {phased_op::walk_vma, "walk_vma",
         "`--phased walk`, and between two steps the walk is inside rmap_one on the last VMA walk_context "
         "handed it (with walk_remap, on each VMA it hands: offset 0's and each remapped offset's; the "
         "callback may sleep): a munmap, mremap or mprotect that frees that VMA meanwhile leaves rmap_one "
         "using a freed VMA (implies walk)"},
        {phased_op::walk_remap, "walk_remap",
         "`--phased walk`, and walk_context()'s \"Get unique remaps\" loop in steps when the folio's "
         "remap_mt entry is a heap dynarray: the step that visits the context loads the entry (mas_walk, "
         "under RCU), the next one reads its nr and offsets and walks the first, each later one the next "
         "offset; a remap_mt writer of that context (an mremap's add_new_remap) or an mremap of its mm "
         "can run between any two (implies walk)"},
        {phased_op::walk_remap_slots, "walk_remap_slots",
         "`--phased walk_remap`, and its \"Get unique remaps\" loop reads the loaded array one slot per step, "
         "as remaps_for_each re-reads nr (smp_load_acquire) and slot i on each iteration: each step reads nr "
         "and, below it, the next slot; the step that finds no slot left walks the first offset collected.  "
         "A writer that changes the array in place meanwhile (find_and_unmap_existing()'s shift and "
         "dynarray_shrink(), set_multi_remap(), an append into spare capacity) is seen by the slots read after "
         "it (race (a), finding 12) (implies walk_remap)"},
        {phased_op::mremap, "mremap",
         "anon_vma and mshare designs: mremap in the three parts move_vma runs with the mmap_lock held for "
         "write: `mremap` is copy_vma (the new VMA, or the neighbour it merges into, linked into the anon_vma "
         "trees; need_rmap_locks decided), `mremap_move` is move_page_tables/move_ptes (the PTEs move, the old "
         "range is flushed; under the anon_vma locks if need_rmap_locks, so it waits for an rmap walk), "
         "`mremap_done` unmaps the source range (unlink_anon_vmas: it waits for a walk); one mremap at a "
         "time, and its mm does nothing else meanwhile.  With --phased walk an anon_vma walk can run "
         "around the move (B11, mutant mremap_skips_rmap_locks)"},
        {phased_op::migrate, "migrate",
         "a migration whose unmap succeeded leaves its migration entries in the page tables, and "
         "remove_migration_ptes(src, dst) runs as a walk in steps: under anon_vma (and mshare) an anon_vma walk "
         "(`anon_walk_step`, as --phased walk's), under the COW context cow_context_walk (`walk_step`, one "
         "context per step): each VMA the walk hands turns an entry there back into a PTE, to the new folio; "
         "the last step frees the old folio.  Between steps a fault on an entry waits (migration_entry_wait) "
         "and a move carries entries with the PTEs: with mremap_skips_rmap_locks the walk misses a moved entry "
         "and leaves it behind (B11's harm, bug migration_entry_left).  Beside the COW context's RCU walk a "
         "fork copies an entry too, and as coded the walk can miss the copy (finding 14)"},
    };
    return all;
}

inline std::optional<phased_op> phased_by_name(std::string_view name) {
    for (const auto& f : phased_ops())
        if (name == f.name) return f.id;
    return std::nullopt;
}

struct config {
    limits lim;
    design rmap = design::anon_vma;
    std::uint64_t injected = 0;
    int pins = 0;   // pin slots (the preset's; not lowered by flags)
    std::uint32_t cow_fixed = 0;   // --cow-fix options (cow_context design only)
    mshare_flush flush = mshare_flush::attacher_list;   // --mshare-flush (mshare design only)
    mshare_addr addr = mshare_addr::per_process;         // --mshare-addr (mshare design only)
    int regions = 0, region_pages = 0;   // mshare region slots and pages (the preset's)
    std::uint32_t phased = 0;      // --phased options
    // do_anonymous_page() maps the shared zero page on a read fault unless
    // mm_forbids_zeropage() (include/linux/mm.h: s390 KVM guests; the kernel of the
    // machine we ran on from 2026-12-06 is booted with pvm_no_zero_page=1 to the same
    // effect): false, a read fault allocates a new exclusive folio as a write fault
    // does.  Set by `litmus check` from
    // the kernel it runs on (conformance/kernel.hpp zero_page_on_read()); every engine
    // keeps the mainline default.
    bool zero_page = true;

    bool has(mutant m) const { return injected & (1ull << static_cast<int>(m)); }
    /// mremap_skips_rmap_locks is a slip in the phased mremap's move, seen by the walk in
    /// steps: injecting it turns both phases on (the fixed model of its traces keeps them).
    config& inject(mutant m) {
        injected |= 1ull << static_cast<int>(m);
        if (m == mutant::mremap_skips_rmap_locks) phase(phased_op::mremap).phase(phased_op::walk);
        return *this;
    }
    bool fixed(cow_fix f) const { return cow_fixed & (1u << static_cast<int>(f)); }
    config& fix(cow_fix f) { cow_fixed |= 1u << static_cast<int>(f); return *this; }
    bool cow() const { return rmap == design::cow_context; }
    bool mshare() const { return rmap == design::mshare; }
    bool has_phase(phased_op p) const { return phased & (1u << static_cast<int>(p)); }
    /// An rmap walk runs in steps (walk_step / anon_walk_step): --phased walk, or --phased
    /// migrate's remove_migration_ptes().
    bool walks_in_steps() const { return has_phase(phased_op::walk) || has_phase(phased_op::migrate); }
    config& phase(phased_op p) {
        phased |= 1u << static_cast<int>(p);
        if (p == phased_op::walk_remap_slots) phase(phased_op::walk_remap);
        if (p == phased_op::walk_vma || p == phased_op::walk_remap) phase(phased_op::walk);
        return *this;
    }
    std::vector<std::string> phased_names() const {
        std::vector<std::string> out;
        for (const auto& p : phased_ops())
            if (has_phase(p.id)) out.push_back(p.name);
        return out;
    }

    template <class P> static config defaults() {
        config c{limits::of<P>()};
        c.pins = P::pins;
        c.regions = regions_of<P>;
        c.region_pages = region_pages_of<P>;
        return c;
    }

    std::vector<std::string> cow_fix_names() const {
        std::vector<std::string> out;
        for (const auto& f : cow_fixes())
            if (fixed(f.id)) out.push_back(f.name);
        return out;
    }

    std::vector<std::string> mutant_names() const {
        std::vector<std::string> out;
        for (const auto& m : mutants())
            if (has(m.id)) out.push_back(m.name);
        return out;
    }
};

/// BUG_ON / VM_WARN_ON sites the model keeps; state.bug holds the first that fired.
enum class bug : int {
    none = 0,
    unlink_anon_vma_counters,   // VM_WARN_ON(anon_vma->num_children || num_active_vmas) in unlink_anon_vmas
    rmap_walk_freed_anon_vma,   // folio_lock_anon_vma_read() on a freed anon_vma (use-after-free)
    counter_underflow,          // a counter decremented below zero
    rmap_walk_freed_cow_context,   // cow_context_walk() started at a freed cow_context (use-after-free)
    cow_context_freed_with_children,  // VM_WARN_ON_ONCE(!list_empty(&context->children)) in __put_cow_context
    mshare_fault_freed_table,   // a hardware walk through a linked mshare table that was freed (use-after-free)
    rmap_one_freed_vma,         // the COW context walk's rmap_one used a VMA freed while it ran (--phased walk_vma)
    rmap_walk_freed_remap_array,   // walk_context() read a remap dynarray kfree()d after it loaded it (--phased walk_remap)
    migration_entry_left,       // remove_migration_ptes() missed a migration entry: BUG_ON in pfn_swap_entry_folio()
    count_
};

inline const char* bug_name(int b) {
    switch (static_cast<bug>(b)) {
        case bug::none: return "none";
        case bug::unlink_anon_vma_counters:
            return "VM_WARN_ON(anon_vma->num_children || anon_vma->num_active_vmas) in unlink_anon_vmas()";
        case bug::rmap_walk_freed_anon_vma: return "rmap_walk_anon() read a freed anon_vma (use-after-free)";
        case bug::counter_underflow: return "a reference or map counter underflowed";
        case bug::rmap_walk_freed_cow_context: return "cow_context_walk() read a freed cow_context (use-after-free)";
        case bug::cow_context_freed_with_children:
            return "VM_WARN_ON_ONCE(!list_empty(&context->children)) in __put_cow_context()";
        case bug::mshare_fault_freed_table: return "a page walk went through a freed mshare page table (use-after-free)";
        case bug::rmap_one_freed_vma:
            return "the COW context walk's rmap_one used a VMA that was freed while it ran (use-after-free)";
        case bug::rmap_walk_freed_remap_array:
            return "walk_context() read a remap_mt dynarray that krealloc() had freed after it loaded the entry (use-after-free)";
        case bug::migration_entry_left:
            return "remove_migration_ptes() left a migration entry behind: the next fault on it, or its zap at exit, "
                   "calls pfn_swap_entry_folio(), whose BUG_ON fires for a folio no longer locked";
        default: return "unknown";
    }
}

}  // namespace model
