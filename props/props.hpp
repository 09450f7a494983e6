// props/props.hpp — invariants, one function each, plus the registry.
//
// Each invariant is a predicate over the state, written over the domain D so
// the random explorer and the solver check the same code.  Names read as the
// claim.  Props never read mutant switches or --cow-fix options; they use the
// bounds, through the preset's array sizes and, for the anon_vma growth bound, the
// mm limit, and the design only to decide which objects exist: an invariant about
// one design's objects (anon_vma_*, cow_context_*) holds vacuously under the other
// (a plain `if` on cfg.rmap).  rmap_complete is design-generic: it runs the
// design's own walk (model::rmap::walk) from every mapped folio.
//
// The COW context invariants are the author's (domain notes cow-context.md §4):
// C1 cow_context_ancestry, C3 cow_remap_recorded, C5 cow_context_refcount_exact,
// C6 cow_context_references_live / cow_context_children_listed /
// cow_context_freed_when_unused; C2 is folio_index_linear (virtual page = index +
// offset); C7 (the exclusive early stop) is what rmap_complete checks.
//
// The anon_vma growth bound (anon_vma_chain_bounded).  With the reuse rule of
// 7a3ef208e662 / 2555283eb40d (maybe_reuse_anon_vma: no VMA and fewer than two
// children), anon_vma_fork adds a new anon_vma to a chain only when no anon_vma
// on it is reusable: each one has a VMA of its own (at most V of those, V = VMA
// slots = mms x vmas per mm, since each VMA points to one anon_vma) or at least
// two children (branch points of the anon_vma tree, fewer than its leaves).  So a
// chain grows only while it is shorter than 2V and never exceeds 2V.  The bound
// is relative to the slots, not to the live VMAs, on purpose: no bound relative
// to live VMAs holds in today's kernel either — fork A -> B -> C -> D, then A, B
// and C exit: D's one VMA keeps a chain of 4 anon_vmas (the root is never reused,
// and B's and C's became idle only after D was forked).  Without reuse a
// fork-and-exit loop grows the chain by one anon_vma per generation with two mms
// alive at a time (B1); with two mms of one VMA each (--mms 2 --vmas 1) that
// passes the bound 4 within the default preset's six anon_vma slots.
#pragma once
#include <array>
#include <string>
#include <type_traits>
#include <vector>

#include "../model/actions.hpp"
#include "../model/generic.hpp"

namespace props {

using model::nil;
using model::zero_pfn;

enum class inv : int {
    reads_match_reference,
    every_read_matches_reference,
    rmap_complete,
    rmap_root_agrees,
    folio_index_linear,
    mapcount_exact,
    refcount_exact,
    anon_vma_refcount_exact,
    num_children_exact,
    num_active_vmas_exact,
    no_pte_to_freed_folio,
    no_tlb_to_freed_folio,
    mapped_folio_anon_vma_live,
    anon_vma_references_live,
    anon_vma_chain_shape,
    anon_exclusive_mapped_once,
    writable_pte_is_exclusive,
    writable_tlb_is_exclusive,
    anon_vma_chain_bounded,
    pincount_exact,
    pinned_folio_live,
    pinned_folio_exclusive,
    pins_see_own_data,
    zero_page_never_written,
    cow_context_refcount_exact,
    cow_context_references_live,
    cow_context_freed_when_unused,
    cow_context_children_listed,
    cow_context_ancestry,
    cow_remap_recorded,
    no_kernel_bug,
    // Strengthening invariants: what k-induction (solver/prove.hpp) needs besides the
    // claims above, checked by every engine like the others.
    vma_well_formed,
    unused_vma_cleared,
    dead_mm_empty,
    pte_in_vma,
    free_folio_cleared,
    free_anon_vma_cleared,
    anon_vma_tree_shape,
    cow_context_tree_shape,
    chain_closed_under_parents,
    cpu_runs_live_mm,
    free_pin_cleared,
    counters_bounded,
    tlb_entry_backed,
    memory_matches_reference,
    unused_design_state_initial,
    phases_well_formed,
    pinned_folio_reached_by_pinner,
    exclusive_folio_one_mm,
    // mshare (design mshare; vacuous otherwise: no region is ever live).
    mshare_no_write_after_protect,
    mshare_no_read_outside_window,
    mshare_attached_list_exact,
    mshare_share_count_exact,
    mshare_table_lifetime,
    count_
};
inline constexpr int inv_count = static_cast<int>(inv::count_);

struct inv_info {
    inv id;
    const char* name;
    const char* claim;
    const char* rule;   // the kernel rule / assertion it mirrors
};

inline const std::array<inv_info, inv_count>& invariants() {
    static const std::array<inv_info, inv_count> all = {{
        {inv::reads_match_reference, "reads_match_reference",
         "every read action returned the value the process last wrote there (COW isolation)",
         "user-visible memory semantics of fork/COW"},
        {inv::every_read_matches_reference, "every_read_matches_reference",
         "a read by any cpu of any mapped page would return the reference value now",
         "user-visible memory semantics; shows a broken read one step early"},
        {inv::rmap_complete, "rmap_complete",
         "the walk from every mapped anon folio reaches every PTE that maps it (and a walk in steps, "
         "--phased walk, reached every mm whose mapping lasted through it)",
         "I3: AVC in folio_anon_vma()->rb_root with vma_address() == addr (rmap_walk_anon)"},
        {inv::rmap_root_agrees, "rmap_root_agrees",
         "folio_anon_vma(folio)->root == vma->anon_vma->root for every mapping",
         "I1: __page_check_anon_rmap VM_BUG_ON_FOLIO"},
        {inv::folio_index_linear, "folio_index_linear",
         "folio->index == linear_page_index(vma, addr) for every mapping",
         "I2: __page_check_anon_rmap VM_BUG_ON_PAGE"},
        {inv::mapcount_exact, "mapcount_exact", "folio_mapcount() equals the number of PTEs mapping the folio",
         "folio_add/remove_rmap_* accounting"},
        {inv::refcount_exact, "refcount_exact",
         "folio refcount = mappings + pins + references queued in mmu_gathers",
         "I9: each map taken after its reference, dropped before it"},
        {inv::anon_vma_refcount_exact, "anon_vma_refcount_exact",
         "anon_vma refcount = [its tree is non-empty] + anon_vmas whose root it is",
         "I6: get_anon_vma(root) in anon_vma_fork, put in __put_anon_vma"},
        {inv::num_children_exact, "num_children_exact",
         "num_children = anon_vmas whose parent it is, plus the root's self link",
         "I5: anon_vma_fork / unlink_anon_vmas, VM_WARN_ON at free"},
        {inv::num_active_vmas_exact, "num_active_vmas_exact",
         "num_active_vmas = VMAs whose vma->anon_vma points to it", "I5: 2555283eb40d"},
        {inv::no_pte_to_freed_folio, "no_pte_to_freed_folio", "no PTE maps a freed folio",
         "lifetime: a mapped folio holds a reference"},
        {inv::no_tlb_to_freed_folio, "no_tlb_to_freed_folio", "no cpu's TLB (user entries or the mermap's kernel entries) holds a translation to a freed folio",
         "I11: flush before free (include/asm-generic/tlb.h)"},
        {inv::mapped_folio_anon_vma_live, "mapped_folio_anon_vma_live",
         "every mapped anon folio's anon_vma is live", "I6: __folio_rmap_sanity_checks"},
        {inv::anon_vma_references_live, "anon_vma_references_live",
         "no anon_vma is freed while a VMA, a chain, a parent or a root pointer refers to it",
         "I6: the root outlives its descendants"},
        {inv::anon_vma_chain_shape, "anon_vma_chain_shape",
         "vma->anon_vma is on the VMA's chain, the chain is empty iff anon_vma is NULL, one root, and "
         "VMAs of one mm sharing an anon_vma have identical chains",
         "I4: anon_vma_clone / is_mergeable_anon_vma assumptions"},
        {inv::anon_exclusive_mapped_once, "anon_exclusive_mapped_once",
         "a PageAnonExclusive folio is mapped at most once", "I7: VM_WARN_ON_FOLIO in __folio_add_anon_rmap"},
        {inv::writable_pte_is_exclusive, "writable_pte_is_exclusive", "a writable anon PTE maps a PageAnonExclusive folio",
         "I7: try_to_migrate_one 'anon pages that may be shared must never be writable'"},
        {inv::writable_tlb_is_exclusive, "writable_tlb_is_exclusive",
         "a writable TLB entry maps a live PageAnonExclusive folio",
         "I7 and I11: write-protecting a PTE is followed by a flush (dup_mmap, change_protection)"},
        {inv::anon_vma_chain_bounded, "anon_vma_chain_bounded",
         "every VMA's anon_vma chain has at most 2 x (VMA slots) anon_vmas",
         "B1: 7a3ef208e662 anon_vma reuse bounds the hierarchy"},
        {inv::pincount_exact, "pincount_exact", "a folio's pin count equals the pins held on it",
         "folio_maybe_dma_pinned accounting (FOLL_PIN)"},
        {inv::pinned_folio_live, "pinned_folio_live", "no pin refers to a freed folio",
         "a pin holds a folio reference"},
        {inv::pinned_folio_exclusive, "pinned_folio_exclusive",
         "a pinned folio that is mapped is PageAnonExclusive (never shared by fork or COW)",
         "I8: __folio_try_dup_anon_rmap / b6a2619c60b4 (pinning requires PageAnonExclusive)"},
        {inv::pins_see_own_data, "pins_see_own_data",
         "a pinned folio holds the pinner's data: no other process's write lands in it",
         "CVE-2020-29374: GUP references must not observe another process's writes"},
        {inv::zero_page_never_written, "zero_page_never_written",
         "the shared zero page holds zeroes: no write lands in it",
         "B5 (CVE-2016-5195, 19be0eaffa3a): a (forced) write lands only in an exclusive anon page of the writer"},
        {inv::cow_context_refcount_exact, "cow_context_refcount_exact",
         "cow_context refcnt = [its mm is alive] + child contexts + folios whose cow_context it is",
         "C5: mm_init_cow_context, dup_cow_context, __folio_set_anon_cow, folio_move_anon_rmap"},
        {inv::cow_context_references_live, "cow_context_references_live",
         "no folio, mm or child context points to a freed cow_context, and a live mm's context names it",
         "C6: a context outlives its folios and children (__put_cow_context)"},
        {inv::cow_context_freed_when_unused, "cow_context_freed_when_unused",
         "a cow_context with no reference left has been freed",
         "C5/C6: put_cow_context frees at zero, cascading up the ancestry"},
        {inv::cow_context_children_listed, "cow_context_children_listed",
         "a context's children list holds exactly the live contexts whose parent it is",
         "C6: dup_cow_context list_add_rcu, delete_child_from_parent list_del_rcu"},
        {inv::cow_context_ancestry, "cow_context_ancestry",
         "a mapped folio's cow_context is an ancestor-or-self of the context of every mm mapping it",
         "C1: traverse_contexts only descends from folio->cow_context"},
        {inv::cow_remap_recorded, "cow_remap_recorded",
         "every moved faulted VMA's offset is recorded in its mm's remap_mt over its whole pgoff range",
         "C3: walk_context only tries offset 0 and the recorded offsets"},
        {inv::no_kernel_bug, "no_kernel_bug", "no BUG_ON / VM_WARN_ON of the model fired",
         "the kernel's own assertions"},
        {inv::vma_well_formed, "vma_well_formed",
         "a used VMA belongs to a live mm and a slot inside the bounds, 1 <= pages, start + pages and "
         "vm_pgoff + pages within the address space, known vm_flags, anon_vma NULL or a slot; VMAs of one mm "
         "do not overlap",
         "strengthening: the maple tree holds disjoint, non-empty VMAs (mm/vma.c)"},
        {inv::unused_vma_cleared, "unused_vma_cleared", "an unused VMA slot has every field zero and no AVC",
         "strengthening: vm_area_free() (a freed VMA carries nothing)"},
        {inv::dead_mm_empty, "dead_mm_empty",
         "a dead mm slot (or one beyond the bounds) has no VMA, PTE, TLB entry, gather, lock, cpumask bit or "
         "reference memory, and no cpu runs it",
         "strengthening: exit_mmap / __mmdrop leave nothing behind"},
        {inv::pte_in_vma, "pte_in_vma",
         "a present PTE lies in a VMA of its mm, a writable one in a VM_WRITE VMA, one to a folio in a VMA with an "
         "anon_vma; an absent PTE is zero",
         "strengthening: PTEs exist only under VMAs (free_pgtables after unmap_vmas)"},
        {inv::free_folio_cleared, "free_folio_cleared",
         "a free folio slot (or one beyond the bounds) has every field zero; an allocated one has a reference",
         "strengthening: free_unref_folios() / folio_put drop the last reference"},
        {inv::free_anon_vma_cleared, "free_anon_vma_cleared",
         "a free anon_vma slot (or one beyond the bounds) has every field zero",
         "strengthening: anon_vma_free()"},
        {inv::anon_vma_tree_shape, "anon_vma_tree_shape",
         "a live anon_vma has a reference, a live root that is its own root and parent, a live parent under the "
         "same root, and its parent links reach the root (no cycle)",
         "strengthening: anon_vma_fork links child -> parent -> ... -> root"},
        {inv::cow_context_tree_shape, "cow_context_tree_shape",
         "a free COW context slot (or one beyond the bounds) is cleared; a live context has a reference, names "
         "no mm or a live mm whose context it is, has no parent or a live other context as parent, and its "
         "parent links reach a root (no cycle); its first child names it as parent, its next sibling is another "
         "live child of its parent; each remap entry is a range of pages that holds 1 to remap_cap offsets, the "
         "same on each of its pages, none beyond the pages of the bounds",
         "strengthening: mm_init_cow_context / dup_cow_context link a new context under its parent, "
         "drop_cow_context forgets the mm, __put_cow_context frees a cleared slot"},
        {inv::chain_closed_under_parents, "chain_closed_under_parents",
         "a VMA linked into an anon_vma is linked into its parent too (so into its root)",
         "strengthening: anon_vma_clone copies the parent VMA's whole chain"},
        {inv::cpu_runs_live_mm, "cpu_runs_live_mm", "a cpu runs no mm or a live one whose mm_cpumask has it",
         "strengthening: switch_mm_irqs_off sets the mm_cpumask bit"},
        {inv::free_pin_cleared, "free_pin_cleared",
         "an unused pin slot has every field zero; a used one names an mm, a page and a folio inside the bounds",
         "strengthening: unpin_user_page forgets the pin"},
        {inv::counters_bounded, "counters_bounded",
         "every counter is at most the number of objects it counts (so the 8-bit exact counts cannot wrap), and "
         "an mm's mmu_gather holds pages only while its munmap holds the mmap_lock",
         "strengthening: a counter counts objects that exist (mapcount <= PTEs, refcount <= PTEs + pins, ...)"},
        {inv::tlb_entry_backed, "tlb_entry_backed",
         "a valid TLB entry belongs to a live mm whose mm_cpumask has the cpu, and caches its PTE (no more "
         "writable than it) unless that mm's munmap has queued the page (outside every VMA, PTE cleared) and not "
         "flushed yet",
         "strengthening: every PTE change that removes a translation or a permission is flushed before the "
         "mmap_lock or the page is released (include/asm-generic/tlb.h)"},
        {inv::memory_matches_reference, "memory_matches_reference",
         "a present PTE maps the data the process last wrote there; a page of a VMA without a PTE reads 0; "
         "outside the VMAs the reference memory is 0 unless a munmap is pending",
         "strengthening of every_read_matches_reference: the PTEs, not only the TLBs, hold the process's data"},
        {inv::unused_design_state_initial, "unused_design_state_initial",
         "state the design never uses keeps its initial value: no COW context (and mm/folio->cow_context NULL) "
         "outside --design cow_context, no anon_vma, AVC or folio->mapping under it, no mshare region, "
         "paging-structure cache entry, mermap slot or shmem folio outside --design mshare",
         "strengthening: model::actions(cfg) holds only the design's actions, and each rmap hook dispatches on the "
         "design (model/rmap.hpp)"},
        {inv::phases_well_formed, "phases_well_formed",
         "an operation between its phases is recorded consistently: a late TLB flush (owed only under the mutants "
         "munmap_free_before_flush and mremap_flush_after_unlock) is owed by a live mm that holds the mmap_lock "
         "and has nothing in its mmu_gather; a forced write in flight (mmap_lock held for read) excludes a munmap "
         "and names a page inside a VMA",
         "strengthening: tlb_finish_mmu and move_ptes flush before mmap_write_unlock; mem_rw holds "
         "mmap_read_lock across faultin and copy"},
        {inv::pinned_folio_reached_by_pinner, "pinned_folio_reached_by_pinner",
         "every PTE and TLB entry that reaches a pinned folio belongs to the process that pinned it (a pin whose "
         "process exited leaves the folio unreachable)",
         "strengthening: a pin is taken on a PageAnonExclusive page (R/O pins unshare first), fork copies a "
         "pinned page (folio_needs_cow_for_dma), and exit_mmap zaps and flushes before the pin outlives it"},
        {inv::exclusive_folio_one_mm, "exclusive_folio_one_mm",
         "a PageAnonExclusive folio is reached (PTE, TLB entry or mmu_gather) from one mm at most, and within it "
         "from one page",
         "strengthening: a page becomes exclusive only when its last other reference is gone "
         "(wp_can_reuse_anon_folio checks the refcount, which a pending mmu_gather holds)"},
        {inv::mshare_no_write_after_protect, "mshare_no_write_after_protect",
         "once mshare_protect has finished its flush, no TLB entry of any process grants write to a region page",
         "change_protection's flush must reach every attacher (mshare-tlb.md H1, H2)"},
        {inv::mshare_no_read_outside_window, "mshare_no_read_outside_window",
         "a TLB entry reaches a region page only through a window onto that region, unless the region's "
         "in-flight walk still owes that process its flush (no read after detach or teardown)",
         "detach flushes the process; teardown removes each window with its flush (H5, H6)"},
        {inv::mshare_attached_list_exact, "mshare_attached_list_exact",
         "the attacher list holds exactly the live processes with a window; a table link needs a window",
         "the 2026 attacher list: join before the table is reachable (H4)"},
        {inv::mshare_share_count_exact, "mshare_share_count_exact",
         "the region table's share count equals the number of processes linking it",
         "v3 12/22: PUD page table shared count"},
        {inv::mshare_table_lifetime, "mshare_table_lifetime",
         "a region table is allocated while any process links it or any cpu's paging-structure cache may "
         "walk it, and a region with a window is live",
         "free_pud_range skips shared tables; tables are freed only after the flush (tlb_remove_table, H6, H8)"},
    }};
    return all;
}

inline const char* inv_name(inv i) { return invariants()[static_cast<int>(i)].name; }

#define PROP_TYPES(S)                    \
    using D [[maybe_unused]] = typename S::domain; \
    using P [[maybe_unused]] = typename S::preset; \
    using B [[maybe_unused]] = typename D::Bool; \
    using I [[maybe_unused]] = typename D::Int; \
    static_assert(true)

/// Sum of booleans as an Int.
template <class D> typename D::Int count1(typename D::Bool b) {
    return D::ite(b, typename D::Int(1), typename D::Int(0));
}

/// Is folio f an anon folio mapped by pte p.
template <class Pte, class I> auto maps(const Pte& p, I f) { return p.present && p.folio == f; }

template <class S> typename S::domain::Bool reads_match_reference(const model::config&, const S& s) { return !s.bad_read; }

/// Page v of mm m's PTE as a read sees it: a migration entry (--phased migrate, concrete)
/// reads as the folio it points to, once the migration is over (migration_entry_wait).
template <class S> auto pte_as_read(const S& s, int m, int v) {
    auto p = s.pte[m][v];
    if constexpr (!S::domain::is_symbolic) {
        if (const auto& e = s.migration_entry[m][v]; e.folio != model::nil) {
            p.present = true;
            p.folio = e.folio;
        }
    }
    return p;
}

template <class S> typename S::domain::Bool every_read_matches_reference(const model::config&, const S& s) {
    PROP_TYPES(S);
    B ok = true;
    for (int m = 0; m < P::mms; ++m) {
        if (D::known_false(s.mm[m].live)) continue;
        for (int v = 0; v < P::va_pages; ++v) {
            const B has_vma = model::find_vma(s, m, I(v)) != nil;
            const auto wp = model::mshare::window_pte(s, m, I(v));   // an mshare window's walk
            auto p = pte_as_read(s, m, v);
            const B own = p.present;
            p.present = p.present || wp.present;
            p.folio = D::ite(own, p.folio, wp.folio);
            const I via_pte = D::ite(p.present, model::content_of(s, p.folio), I(0));
            for (int c = 0; c < P::cpus; ++c) {
                const auto& t = s.tlb[c][m][v];
                const B reads = s.mm[m].live && (t.valid || p.present || has_vma);
                if (D::known_false(reads)) continue;
                const I got = D::ite(t.valid, model::content_of(s, t.folio), via_pte);
                ok = ok && (!reads || got == s.ref[m][v]);
            }
        }
    }
    return ok;
}

/// For every anon PTE: f(m, i (VMA slot), v, folio, condition "VMA i maps v with an anon folio").
template <class S, class F> void for_each_anon_mapping(const S& s, F&& f) {
    PROP_TYPES(S);
    for (int m = 0; m < P::mms; ++m)
        for (int v = 0; v < P::va_pages; ++v) {
            const auto& p = s.pte[m][v];
            const B anon = p.present && p.folio != zero_pfn;
            if (D::known_false(anon)) continue;
            for (int i = 0; i < P::vmas; ++i) {
                const B here = anon && model::vma_covers(s.vma[m][i], I(v));
                if (!D::known_false(here)) f(m, i, v, p.folio, here);
            }
        }
}

template <class S> typename S::domain::Bool rmap_complete(const model::config& cfg, const S& s) {
    PROP_TYPES(S);
    B ok = true;
    // Every anon PTE lies in a VMA ...
    for (int m = 0; m < P::mms; ++m)
        for (int v = 0; v < P::va_pages; ++v) {
            const auto& p = s.pte[m][v];
            if (D::known_false(p.present)) continue;
            ok = ok && (!(p.present && p.folio != zero_pfn) || model::find_vma(s, m, I(v)) != nil);
        }
    // A walk in steps (--phased walk) that ended without reaching a mapping which lasted
    // through it (model/cow_walk.hpp walker_end).
    if constexpr (!D::is_symbolic) ok = ok && s.walk_missed == 0;
    // ... and the design's walk from the folio hands rmap_one a VMA at that address.
    for (int f = 0; f < P::folios; ++f) {
        const B mapped = s.folio[f].allocated;
        if (D::known_false(mapped)) continue;
        std::array<std::array<B, P::va_pages>, P::mms> reached;
        for (auto& per_mm : reached) per_mm.fill(B(false));
        S scratch = s;   // the walk may record a BUG_ON; the invariant only reads what it reaches
        model::rmap::walk(cfg, scratch, I(f), mapped, [&](B visit, int m, int, I vp) {
            for (int v = 0; v < P::va_pages; ++v) reached[m][v] = reached[m][v] || (visit && vp == v);
        });
        for (int m = 0; m < P::mms; ++m)
            for (int v = 0; v < P::va_pages; ++v) {
                const auto& p = s.pte[m][v];
                if (D::known_false(p.present)) continue;
                ok = ok && (!(mapped && maps(p, I(f))) || reached[m][v]);
            }
    }
    return ok;
}

template <class S> typename S::domain::Bool rmap_root_agrees(const model::config& cfg, const S& s) {
    PROP_TYPES(S);
    if (cfg.cow()) return true;   // no anon_vma objects under COW contexts
    B ok = true;
    for_each_anon_mapping(s, [&](int m, int i, int, I f, B here) {
        const auto fo = D::select(s.folio, f);
        const I r1 = D::select(s.anon_vma, fo.mapping).root;
        const I r2 = D::select(s.anon_vma, s.vma[m][i].anon_vma).root;
        ok = ok && (!here || (s.vma[m][i].anon_vma != nil && r1 == r2));
    });
    return ok;
}

template <class S> typename S::domain::Bool folio_index_linear(const model::config&, const S& s) {
    PROP_TYPES(S);
    B ok = true;
    for_each_anon_mapping(s, [&](int m, int i, int v, I f, B here) {
        ok = ok && (!here || D::select(s.folio, f).index == model::linear_page_index(s.vma[m][i], I(v)));
    });
    return ok;
}

/// Number of PTEs that map each folio slot (one pass over the page tables).
template <class S> std::array<typename S::domain::Int, S::preset::folios> ptes_mapping(const S& s) {
    PROP_TYPES(S);
    std::array<I, P::folios> n{};
    for (const auto& per_mm : s.pte)
        for (const auto& p : per_mm) {
            if (D::known_false(p.present)) continue;
            const I one = count1<D>(p.present);
            D::update(n, p.folio, [&](auto& x) { x = x + one; });
        }
    for (const auto& g : s.region)   // an mshare region's table maps its pages once
        for (const auto& p : g.pte) {
            if (D::known_false(p.present)) continue;
            const I one = count1<D>(p.present);
            D::update(n, p.folio, [&](auto& x) { x = x + one; });
        }
    return n;
}

template <class S> typename S::domain::Bool mapcount_exact(const model::config&, const S& s) {
    PROP_TYPES(S);
    B ok = true;
    const auto n = ptes_mapping(s);
    for (int f = 0; f < P::folios; ++f) ok = ok && s.folio[f].mapcount == n[f];
    return ok;
}

template <class S> typename S::domain::Bool refcount_exact(const model::config&, const S& s) {
    PROP_TYPES(S);
    B ok = true;
    const auto n = ptes_mapping(s);
    for (int f = 0; f < P::folios; ++f) {
        I queued = 0;
        for (const auto& mm : s.mm) queued = queued + mm.gather[f];
        for (const auto& g : s.region) queued = queued + g.gather[f];
        for (const auto& area : s.mermap)   // the caller's reference while a mermap slot maps it
            for (const auto& p : area.pte) queued = queued + count1<D>(p == I(f));
        queued = queued + count1<D>(B(s.walker.folio == f));   // --phased walk: the walker's folio_get
        queued = queued + count1<D>(B(s.walker.migrate_from == f));   // --phased migrate: the migration's, on src
        const auto& fo = s.folio[f];
        ok = ok && fo.refcount == n[f] + fo.pincount + queued;
    }
    return ok;
}

/// Some VMA's chain links anon_vma k (its interval tree is non-empty).
template <class S> typename S::domain::Bool tree_nonempty(const S& s, int k) {
    PROP_TYPES(S);
    B any = false;
    for (const auto& per_mm : s.vma)
        for (const auto& v : per_mm) any = any || (v.used && v.chain[k]);
    return any;
}

template <class S> typename S::domain::Bool anon_vma_refcount_exact(const model::config& cfg, const S& s) {
    PROP_TYPES(S);
    if (cfg.cow()) return true;   // no anon_vma objects under COW contexts
    B ok = true;
    for (int k = 0; k < P::anon_vmas; ++k) {
        if (D::known_false(s.anon_vma[k].live)) continue;
        I expect = count1<D>(tree_nonempty(s, k));
        for (int y = 0; y < P::anon_vmas; ++y)
            if (y != k) expect = expect + count1<D>(s.anon_vma[y].live && s.anon_vma[y].root == k);
        ok = ok && (!s.anon_vma[k].live || s.anon_vma[k].refcount == expect);
    }
    return ok;
}

template <class S> typename S::domain::Bool num_children_exact(const model::config& cfg, const S& s) {
    PROP_TYPES(S);
    if (cfg.cow()) return true;   // no anon_vma objects under COW contexts
    B ok = true;
    for (int k = 0; k < P::anon_vmas; ++k) {
        const auto& a = s.anon_vma[k];
        if (D::known_false(a.live)) continue;
        I expect = count1<D>(a.root == k);
        for (int y = 0; y < P::anon_vmas; ++y)
            if (y != k) expect = expect + count1<D>(s.anon_vma[y].live && s.anon_vma[y].parent == k);
        ok = ok && (!a.live || a.num_children == expect);
    }
    return ok;
}

template <class S> typename S::domain::Bool num_active_vmas_exact(const model::config& cfg, const S& s) {
    PROP_TYPES(S);
    if (cfg.cow()) return true;   // no anon_vma objects under COW contexts
    B ok = true;
    for (int k = 0; k < P::anon_vmas; ++k) {
        if (D::known_false(s.anon_vma[k].live)) continue;
        I n = 0;
        for (const auto& per_mm : s.vma)
            for (const auto& v : per_mm) n = n + count1<D>(v.used && v.anon_vma == k);
        ok = ok && (!s.anon_vma[k].live || s.anon_vma[k].num_active_vmas == n);
    }
    return ok;
}

template <class S> typename S::domain::Bool no_pte_to_freed_folio(const model::config&, const S& s) {
    PROP_TYPES(S);
    B ok = true;
    for (const auto& per_mm : s.pte)
        for (const auto& p : per_mm)
            if (!D::known_false(p.present))
                ok = ok && (!(p.present && p.folio != zero_pfn) || D::select(s.folio, p.folio).allocated);
    for (const auto& g : s.region)
        for (const auto& p : g.pte)
            if (!D::known_false(p.present)) ok = ok && (!p.present || D::select(s.folio, p.folio).allocated);
    return ok;
}

template <class S> typename S::domain::Bool no_tlb_to_freed_folio(const model::config&, const S& s) {
    PROP_TYPES(S);
    B ok = true;
    for (const auto& per_cpu : s.tlb)
        for (const auto& per_mm : per_cpu)
            for (const auto& t : per_mm)
                if (!D::known_false(t.valid))
                    ok = ok && (!(t.valid && t.folio != zero_pfn) || D::select(s.folio, t.folio).allocated);
    for (const auto& area : s.mermap)   // the mermap's kernel entries too (model/mermap.hpp)
        for (const auto& t : area.tlb) ok = ok && (t == I(nil) || D::select(s.folio, t).allocated);
    return ok;
}

template <class S> typename S::domain::Bool mapped_folio_anon_vma_live(const model::config& cfg, const S& s) {
    PROP_TYPES(S);
    if (cfg.cow()) return true;   // no anon_vma objects under COW contexts
    B ok = true;
    for (const auto& fo : s.folio)
        ok = ok && (!(fo.allocated && fo.mapcount != 0 && !fo.shmem) || D::select(s.anon_vma, fo.mapping).live);
    return ok;
}

template <class S> typename S::domain::Bool anon_vma_references_live(const model::config& cfg, const S& s) {
    PROP_TYPES(S);
    if (cfg.cow()) return true;   // no anon_vma objects under COW contexts
    B ok = true;
    for (const auto& per_mm : s.vma)
        for (const auto& v : per_mm) {
            if (D::known_false(v.used)) continue;
            ok = ok && (!(v.used && v.anon_vma != nil) || D::select(s.anon_vma, v.anon_vma).live);
            for (int k = 0; k < P::anon_vmas; ++k) ok = ok && (!(v.used && v.chain[k]) || s.anon_vma[k].live);
        }
    for (const auto& a : s.anon_vma)
        ok = ok && (!a.live || (D::select(s.anon_vma, a.root).live && D::select(s.anon_vma, a.parent).live));
    return ok;
}

template <class S> typename S::domain::Bool anon_vma_chain_shape(const model::config& cfg, const S& s) {
    PROP_TYPES(S);
    if (cfg.cow()) return true;   // no anon_vma objects under COW contexts
    B ok = true;
    for (const auto& per_mm : s.vma)
        for (const auto& v : per_mm) {
            if (D::known_false(v.used)) continue;
            B empty = true;
            for (int k = 0; k < P::anon_vmas; ++k) empty = empty && !v.chain[k];
            const I root = D::select(s.anon_vma, v.anon_vma).root;
            B one_root = true;
            for (int k = 0; k < P::anon_vmas; ++k) one_root = one_root && (!v.chain[k] || s.anon_vma[k].root == root);
            const B faulted = v.anon_vma != nil;
            ok = ok && (!v.used || (D::ite(faulted, D::select(v.chain, v.anon_vma) && one_root, empty)));
        }
    // VMAs of one mm with the same anon_vma have identical chains (is_mergeable_anon_vma
    // trusts pointer equality; B4 broke this).
    for (const auto& per_mm : s.vma)
        for (int i = 0; i < P::vmas; ++i)
            for (int j = i + 1; j < P::vmas; ++j) {
                const auto& a = per_mm[i];
                const auto& b = per_mm[j];
                const B same = a.used && b.used && a.anon_vma != nil && a.anon_vma == b.anon_vma;
                if (D::known_false(same)) continue;
                B equal_chains = true;
                for (int k = 0; k < P::anon_vmas; ++k) equal_chains = equal_chains && a.chain[k] == b.chain[k];
                ok = ok && (!same || equal_chains);
            }
    return ok;
}

template <class S> typename S::domain::Bool anon_exclusive_mapped_once(const model::config&, const S& s) {
    PROP_TYPES(S);
    B ok = true;
    const auto n = ptes_mapping(s);
    for (int f = 0; f < P::folios; ++f) {
        const auto& fo = s.folio[f];
        ok = ok && (!(fo.allocated && fo.anon_exclusive) || n[f] <= 1);
    }
    return ok;
}

template <class S> typename S::domain::Bool writable_pte_is_exclusive(const model::config&, const S& s) {
    PROP_TYPES(S);
    B ok = true;
    for (const auto& per_mm : s.pte)
        for (const auto& p : per_mm)
            if (!D::known_false(p.present && p.writable)) ok = ok && (!(p.present && p.writable) ||
                        (p.folio != zero_pfn && D::select(s.folio, p.folio).anon_exclusive));
    return ok;
}

template <class S> typename S::domain::Bool writable_tlb_is_exclusive(const model::config&, const S& s) {
    PROP_TYPES(S);
    B ok = true;
    for (const auto& per_cpu : s.tlb)
        for (const auto& per_mm : per_cpu)
            for (const auto& t : per_mm) {
                if (D::known_false(t.valid && t.writable)) continue;
                const auto fo = D::select(s.folio, t.folio);
                // mshare region pages are shared by design (mshare_no_write_after_protect covers them).
                ok = ok && (!(t.valid && t.writable) ||
                            (t.folio != zero_pfn && fo.allocated && (fo.anon_exclusive || fo.shmem)));
            }
    return ok;
}

template <class S> typename S::domain::Bool anon_vma_chain_bounded(const model::config& cfg, const S& s) {
    PROP_TYPES(S);
    if (cfg.cow()) return true;   // no anon_vma objects under COW contexts
    B ok = true;
    for (const auto& per_mm : s.vma)
        for (const auto& v : per_mm)
            if (!D::known_false(v.used)) ok = ok && model::chain_length<D>(v) <= I(2 * cfg.lim.mms * cfg.lim.vmas);
    return ok;
}

template <class S> typename S::domain::Bool pincount_exact(const model::config&, const S& s) {
    PROP_TYPES(S);
    B ok = true;
    for (int f = 0; f < P::folios; ++f) {
        I n = 0;
        for (const auto& p : s.pin) n = n + count1<D>(p.used && p.folio == f);
        ok = ok && s.folio[f].pincount == n;
    }
    return ok;
}

template <class S> typename S::domain::Bool pinned_folio_live(const model::config&, const S& s) {
    PROP_TYPES(S);
    B ok = true;
    for (const auto& p : s.pin) ok = ok && (!p.used || D::select(s.folio, p.folio).allocated);
    return ok;
}

template <class S> typename S::domain::Bool pinned_folio_exclusive(const model::config&, const S& s) {
    PROP_TYPES(S);
    B ok = true;
    for (const auto& fo : s.folio) ok = ok && (!(fo.allocated && fo.pincount != 0 && fo.mapcount != 0) || fo.anon_exclusive);
    return ok;
}

template <class S> typename S::domain::Bool pins_see_own_data(const model::config&, const S& s) {
    PROP_TYPES(S);
    B ok = true;
    for (const auto& p : s.pin) ok = ok && (!p.used || D::select(s.folio, p.folio).content == p.expect);
    return ok;
}

// ---------------------------------------------------------------------------
// COW context invariants (hold vacuously under anon_vma).
// ---------------------------------------------------------------------------

template <class S> typename S::domain::Bool cow_context_refcount_exact(const model::config& cfg, const S& s) {
    PROP_TYPES(S);
    if (!cfg.cow()) return true;
    B ok = true;
    for (int c = 0; c < P::anon_vmas; ++c) {
        const auto& x = s.cow_ctx[c];
        if (D::known_false(x.live)) continue;
        I expect = count1<D>(x.mm != nil);
        for (int y = 0; y < P::anon_vmas; ++y)
            if (y != c) expect = expect + count1<D>(s.cow_ctx[y].live && s.cow_ctx[y].parent == c);
        for (const auto& fo : s.folio) expect = expect + count1<D>(fo.allocated && fo.cow_context == c);
        expect = expect + count1<D>(B(s.walker.held && s.walker.curr == c));   // --cow-fix walk_pins_context
        ok = ok && (!x.live || x.refcount == expect);
    }
    return ok;
}

template <class S> typename S::domain::Bool cow_context_references_live(const model::config& cfg, const S& s) {
    PROP_TYPES(S);
    if (!cfg.cow()) return true;
    B ok = true;
    for (int m = 0; m < P::mms; ++m) {
        const auto& mm = s.mm[m];
        if (D::known_false(mm.live)) continue;
        const auto x = D::select(s.cow_ctx, mm.cow_context);
        ok = ok && (!mm.live || (x.live && x.mm == m));
    }
    for (const auto& fo : s.folio)
        ok = ok && (!(fo.allocated && fo.cow_context != nil) || D::select(s.cow_ctx, fo.cow_context).live);
    for (const auto& x : s.cow_ctx)
        ok = ok && (!(x.live && x.parent != nil) || D::select(s.cow_ctx, x.parent).live);
    return ok;
}

template <class S> typename S::domain::Bool cow_context_freed_when_unused(const model::config& cfg, const S& s) {
    PROP_TYPES(S);
    if (!cfg.cow()) return true;
    B ok = true;
    for (int c = 0; c < P::anon_vmas; ++c) {
        const auto& x = s.cow_ctx[c];
        if (D::known_false(x.live)) continue;
        B used = x.mm != nil;
        for (int y = 0; y < P::anon_vmas; ++y)
            if (y != c) used = used || (s.cow_ctx[y].live && s.cow_ctx[y].parent == c);
        for (const auto& fo : s.folio) used = used || (fo.allocated && fo.cow_context == c);
        used = used || B(s.walker.held && s.walker.curr == c);   // --cow-fix walk_pins_context
        ok = ok && (!x.live || used);
    }
    return ok;
}

template <class S> typename S::domain::Bool cow_context_children_listed(const model::config& cfg, const S& s) {
    PROP_TYPES(S);
    if (!cfg.cow()) return true;
    B ok = true;
    for (int c = 0; c < P::anon_vmas; ++c) {
        const auto& x = s.cow_ctx[c];
        if (D::known_false(x.live)) continue;
        // Walk the list from first_child (at most one step per slot).
        std::array<B, P::anon_vmas> listed;
        listed.fill(B(false));
        I cur = x.first_child;
        for (int step = 0; step < P::anon_vmas; ++step) {
            for (int y = 0; y < P::anon_vmas; ++y) listed[y] = listed[y] || cur == y;
            cur = D::ite(cur == nil, I(nil), D::select(s.cow_ctx, cur).next_sibling);
        }
        for (int y = 0; y < P::anon_vmas; ++y) {
            const auto& ch = s.cow_ctx[y];
            const B child = ch.live && ch.parent == c && y != c;
            ok = ok && (!x.live || (child == listed[y]));
        }
        ok = ok && (!x.live || cur == nil);   // the list ends
    }
    return ok;
}

template <class S> typename S::domain::Bool cow_context_ancestry(const model::config& cfg, const S& s) {
    PROP_TYPES(S);
    if (!cfg.cow()) return true;
    B ok = true;
    for_each_anon_mapping(s, [&](int m, int, int, I f, B here) {
        const I fc = D::select(s.folio, f).cow_context;
        I cur = s.mm[m].cow_context;
        B anc = false;
        for (int step = 0; step <= P::anon_vmas; ++step) {
            anc = anc || (cur != nil && cur == fc);
            cur = D::ite(cur == nil, I(nil), D::select(s.cow_ctx, cur).parent);
        }
        ok = ok && (!here || anc);
    });
    return ok;
}

template <class S> typename S::domain::Bool cow_remap_recorded(const model::config& cfg, const S& s) {
    PROP_TYPES(S);
    if (!cfg.cow()) return true;
    B ok = true;
    for (int m = 0; m < P::mms; ++m) {
        if (D::known_false(s.mm[m].live)) continue;
        const auto x = D::select(s.cow_ctx, s.mm[m].cow_context);
        for (const auto& v : s.vma[m]) {
            const B track = s.mm[m].live && model::cow::should_track(v);
            if (D::known_false(track)) continue;
            const I off = model::cow::vma_offset(v);
            for (int p = 0; p < P::va_pages; ++p) {
                const B in = v.pgoff <= I(p) && I(p) < v.pgoff + v.pages;
                B rec = false;
                for (std::size_t k = 0; k < x.roff[p].size(); ++k)
                    rec = rec || (x.rstart[p] != nil && I(int(k)) < x.rnr[p] && x.roff[p][k] == off);
                ok = ok && (!(track && in) || rec);
            }
        }
    }
    return ok;
}

template <class S> typename S::domain::Bool no_kernel_bug(const model::config&, const S& s) { return s.bug == 0; }

// ---------------------------------------------------------------------------
// Strengthening invariants.  The claims above are not inductive on their own: a
// free state may hide garbage in dead slots, overlapping VMAs or parent cycles
// that no reachable state has, and one step from it breaks a claim.  These say
// what every reachable state looks like, so k-induction can exclude such states.
// ---------------------------------------------------------------------------

/// Is every leaf of x equal to the same leaf of y?
template <class D, class T> typename D::Bool leaves_equal(const T& x, const T& y) {
    typename D::Bool eq = true;
    model::generic::for_each_leaf([&](const std::string&, const auto& a, const auto& b) { eq = eq && a == b; }, "", x,
                                  y);
    return eq;
}

/// Every leaf of x is zero / false.
template <class D, class T> typename D::Bool all_zero(const T& x) { return leaves_equal<D>(x, T{}); }

template <class S> typename S::domain::Bool vma_well_formed(const model::config& cfg, const S& s) {
    PROP_TYPES(S);
    B ok = true;
    const I pages = cfg.lim.va_pages;
    for (int m = 0; m < P::mms; ++m)
        for (int i = 0; i < P::vmas; ++i) {
            const auto& v = s.vma[m][i];
            if (D::known_false(v.used)) continue;
            const B inside = m < cfg.lim.mms && i < cfg.lim.vmas && s.mm[m].live;
            const B shape = v.pages >= I(1) && v.start < pages && v.pages <= pages - v.start && v.pgoff < pages &&
                            v.pages <= pages - v.pgoff;
            const B flags = (v.flags & ~I(model::VM_WRITE | model::VM_WIPEONFORK | model::VM_DONTCOPY)) == 0;
            // Under the COW context design a faulted VMA holds DUMMY_ANON_VMA.
            const B av = v.anon_vma == nil || v.anon_vma < I(cfg.lim.anon_vmas) ||
                         (cfg.rmap == model::design::cow_context && v.anon_vma == I(model::cow::dummy_anon_vma));
            B chain = true;
            for (int k = cfg.lim.anon_vmas; k < P::anon_vmas; ++k) chain = chain && !v.chain[k];
            B disjoint = true;
            for (int j = i + 1; j < P::vmas; ++j) {
                const auto& o = s.vma[m][j];
                disjoint = disjoint && !(o.used && o.start < v.start + v.pages && v.start < o.start + o.pages);
            }
            ok = ok && (!v.used || (inside && shape && flags && av && chain && disjoint));
        }
    return ok;
}

template <class S> typename S::domain::Bool unused_vma_cleared(const model::config&, const S& s) {
    PROP_TYPES(S);
    B ok = true;
    for (const auto& per_mm : s.vma)
        for (const auto& v : per_mm) ok = ok && (v.used || all_zero<D>(v));
    return ok;
}

template <class S> typename S::domain::Bool dead_mm_empty(const model::config& cfg, const S& s) {
    PROP_TYPES(S);
    B ok = true;
    for (int m = 0; m < P::mms; ++m) {
        auto mm = s.mm[m];
        mm.cow_context = 0;   // nil or 0 in a dead slot: mm_init sets it, __mmdrop forgets it
        B empty = all_zero<D>(mm);
        for (const auto& v : s.vma[m]) empty = empty && !v.used;
        for (const auto& p : s.pte[m]) empty = empty && !p.present;
        for (const auto& r : s.ref[m]) empty = empty && r == I(0);
        for (int c = 0; c < P::cpus; ++c) {
            empty = empty && s.cpu[c].mm != m;
            for (const auto& t : s.tlb[c][m]) empty = empty && !t.valid;
        }
        if (m >= cfg.lim.mms) ok = ok && empty;
        else ok = ok && (mm.live || empty);
    }
    return ok;
}

template <class S> typename S::domain::Bool pte_in_vma(const model::config& cfg, const S& s) {
    PROP_TYPES(S);
    B ok = true;
    for (int m = 0; m < P::mms; ++m)
        for (int v = 0; v < P::va_pages; ++v) {
            const auto& p = s.pte[m][v];
            B covered = false, write = false, prepared = false;
            for (const auto& vma : s.vma[m]) {
                covered = covered || model::vma_covers(vma, I(v));
                write = write || (model::vma_covers(vma, I(v)) && (vma.flags & I(model::VM_WRITE)) != 0);
                prepared = prepared || (model::vma_covers(vma, I(v)) && vma.anon_vma != nil);
            }
            // An anonymous folio is mapped only after __anon_vma_prepare() gave the VMA its anon_vma
            // (under the COW context the dummy one), so fork copies its PTE (vma_needs_copy()).
            const B folio_ok = p.folio == zero_pfn || (p.folio < I(cfg.lim.folios) && prepared);
            ok = ok && D::ite(p.present, covered && folio_ok && (!p.writable || write), all_zero<D>(p));
        }
    return ok;
}

template <class S> typename S::domain::Bool free_folio_cleared(const model::config& cfg, const S& s) {
    PROP_TYPES(S);
    B ok = true;
    for (int f = 0; f < P::folios; ++f) {
        const auto& fo = s.folio[f];
        if (f >= cfg.lim.folios) ok = ok && all_zero<D>(fo);
        else ok = ok && D::ite(fo.allocated, fo.refcount != I(0), all_zero<D>(fo));
    }
    return ok;
}

template <class S> typename S::domain::Bool free_anon_vma_cleared(const model::config& cfg, const S& s) {
    PROP_TYPES(S);
    B ok = true;
    for (int k = 0; k < P::anon_vmas; ++k) {
        const auto& a = s.anon_vma[k];
        if (k >= cfg.lim.anon_vmas) ok = ok && all_zero<D>(a);
        else ok = ok && (a.live || all_zero<D>(a));
    }
    return ok;
}

template <class S> typename S::domain::Bool anon_vma_tree_shape(const model::config&, const S& s) {
    PROP_TYPES(S);
    B ok = true;
    for (int k = 0; k < P::anon_vmas; ++k) {
        const auto& a = s.anon_vma[k];
        if (D::known_false(a.live)) continue;
        const auto root = D::select(s.anon_vma, a.root);
        const auto parent = D::select(s.anon_vma, a.parent);
        const B is_root = a.root == k;
        // Following parent links P::anon_vmas times reaches the root (which is its own parent).
        I up = a.parent;
        for (int n = 0; n < P::anon_vmas; ++n) up = D::select(s.anon_vma, up).parent;
        const B shape = a.refcount != I(0) && root.live && root.root == a.root && root.parent == a.root &&
                        parent.live && parent.root == a.root && (a.parent == k) == is_root && up == a.root;
        ok = ok && (!a.live || shape);
    }
    return ok;
}

template <class S> typename S::domain::Bool cow_context_tree_shape(const model::config& cfg, const S& s) {
    PROP_TYPES(S);
    if (!cfg.cow()) return true;
    B ok = true;
    for (int c = 0; c < P::anon_vmas; ++c) {
        const auto& x = s.cow_ctx[c];
        // Freed (__put_cow_context: list_del_rcu, kfree_rcu): what model/cow_context.hpp clear() leaves.
        std::decay_t<decltype(x)> free_slot;
        model::cow::clear(free_slot);
        const B cleared = leaves_equal<D>(x, free_slot);
        if (c >= cfg.lim.anon_vmas) ok = ok && !x.live;
        // Following parent links P::anon_vmas times reaches NULL (a root's parent).
        I up = x.parent;
        for (int n = 0; n < P::anon_vmas; ++n) up = D::ite(up == nil, I(nil), D::select(s.cow_ctx, up).parent);
        const auto mm = D::select(s.mm, x.mm);
        // The children list links live contexts of one parent (dup_cow_context's list_add_rcu,
        // __put_cow_context's list_del_rcu): the first child names c as its parent, the next
        // sibling is another child of c's parent.
        const auto first = D::select(s.cow_ctx, x.first_child), next = D::select(s.cow_ctx, x.next_sibling);
        const B listed = (x.first_child == nil || (x.first_child < I(cfg.lim.anon_vmas) && first.live &&
                                                   first.parent == I(c))) &&
                         (x.next_sibling == nil || (x.next_sibling < I(cfg.lim.anon_vmas) && x.next_sibling != I(c) &&
                                                    x.parent != nil && next.live && next.parent == x.parent));
        // remap_mt is keyed by folio index, and every index is a page inside the bounds; an
        // entry holds one offset at least (shrink_remaps erases an emptied one) and at most
        // the dynarray's slots (__dynarray_append_value fails when they are full).
        constexpr int cap = std::tuple_size_v<std::decay_t<decltype(x.roff[0])>>;
        B records = true;
        for (int p = 0; p < P::va_pages; ++p) {
            // An entry is a range: the page before p is in p's entry unless p starts it.
            B in_range = x.rstart[p] == nil || x.rstart[p] == I(p);
            if (p > 0) in_range = in_range || x.rstart[p] == x.rstart[p - 1];
            records = records && in_range && (x.rstart[p] == nil) == (x.rnr[p] == I(0)) &&
                      x.rnr[p] < I(cap + 1);
            if (p >= cfg.lim.va_pages)
                records = records && x.rstart[p] == free_slot.rstart[p] && leaves_equal<D>(x.roff[p], free_slot.roff[p]);
            // The model keeps an entry's offsets on each of its pages: every page of one entry
            // holds the same ones (split_remap duplicates them, each change acts on all pages).
            for (int q = p + 1; q < P::va_pages; ++q) {
                B same = x.rnr[p] == x.rnr[q];
                for (int k = 0; k < cap; ++k) same = same && (I(k) >= x.rnr[p] || x.roff[p][k] == x.roff[q][k]);
                records = records && (x.rstart[p] == nil || x.rstart[p] != x.rstart[q] || same);
            }
        }
        const B shape = x.refcount != I(0) &&
                        (x.mm == nil || (x.mm < I(cfg.lim.mms) && mm.live && mm.cow_context == I(c))) &&
                        (x.parent == nil || (x.parent != I(c) && D::select(s.cow_ctx, x.parent).live)) && up == nil &&
                        listed && records;
        ok = ok && D::ite(x.live, shape, cleared);
    }
    return ok;
}

template <class S> typename S::domain::Bool chain_closed_under_parents(const model::config&, const S& s) {
    PROP_TYPES(S);
    B ok = true;
    for (const auto& per_mm : s.vma)
        for (const auto& v : per_mm) {
            if (D::known_false(v.used)) continue;
            for (int k = 0; k < P::anon_vmas; ++k) {
                if (D::known_false(v.chain[k])) continue;
                ok = ok && (!(v.used && v.chain[k]) || D::select(v.chain, s.anon_vma[k].parent));
            }
        }
    return ok;
}

template <class S> typename S::domain::Bool cpu_runs_live_mm(const model::config&, const S& s) {
    PROP_TYPES(S);
    B ok = true;
    for (int c = 0; c < P::cpus; ++c) {
        const I m = s.cpu[c].mm;
        const auto mm = D::select(s.mm, m);
        ok = ok && (m == nil || (mm.live && mm.cpumask[c]));
    }
    return ok;
}

template <class S> typename S::domain::Bool free_pin_cleared(const model::config& cfg, const S& s) {
    PROP_TYPES(S);
    B ok = true;
    for (const auto& p : s.pin)
        // A pin whose process exited has no pinner (mm nil) but still holds its folio.
        ok = ok && D::ite(p.used, (p.mm < I(cfg.lim.mms) || p.mm == I(nil)) && p.vpage < I(cfg.lim.va_pages) && p.folio < I(cfg.lim.folios),
                          all_zero<D>(p));
    return ok;
}

template <class S> typename S::domain::Bool counters_bounded(const model::config& cfg, const S& s) {
    PROP_TYPES(S);
    B ok = true;
    const I ptes = cfg.lim.mms * cfg.lim.va_pages;
    const I pins = P::pins;
    const I kernel = P::cpus * model::mermap_slots;   // mermap slots
    for (int f = 0; f < P::folios; ++f) {
        const auto& fo = s.folio[f];
        ok = ok && fo.mapcount <= ptes && fo.pincount <= pins && fo.refcount <= ptes + pins + kernel;
        for (const auto& mm : s.mm) ok = ok && mm.gather[f] <= I(cfg.lim.va_pages) && (mm.gather[f] == I(0) || mm.locked);
    }
    for (const auto& a : s.anon_vma)
        ok = ok && a.refcount <= I(cfg.lim.anon_vmas) && a.num_children <= I(cfg.lim.anon_vmas) &&
             a.num_active_vmas <= I(cfg.lim.mms * cfg.lim.vmas);
    for (int c = 0; c < P::cpus; ++c) {   // mermap areas: a cursor in range, slots naming folios in bounds
        const auto& area = s.mermap[c];
        ok = ok && area.next <= I(c < cfg.lim.cpus ? model::mermap_slots : 0);
        for (int k = 0; k < model::mermap_slots; ++k)
            ok = ok && (area.pte[k] == I(nil) || area.pte[k] < I(cfg.lim.folios)) &&
                 (area.tlb[k] == I(nil) || area.tlb[k] < I(cfg.lim.folios));
    }
    return ok;
}

template <class S> typename S::domain::Bool tlb_entry_backed(const model::config& cfg, const S& s) {
    PROP_TYPES(S);
    B ok = true;
    for (int c = 0; c < P::cpus; ++c)
        for (int m = 0; m < P::mms; ++m)
            for (int v = 0; v < P::va_pages; ++v) {
                const auto& t = s.tlb[c][m][v];
                if (D::known_false(t.valid)) continue;
                const auto& mm = s.mm[m];
                const auto& p = s.pte[m][v];
                const B inside = c < cfg.lim.cpus && v < cfg.lim.va_pages && mm.live && mm.cpumask[c] &&
                                 (t.folio == zero_pfn || t.folio < I(cfg.lim.folios));
                const B cached = p.present && p.folio == t.folio && (!t.writable || p.writable);
                // munmap detached the VMAs (vms_gather_munmap_vmas) before it cleared the PTEs
                // into its mmu_gather (unmap_region), and holds the mmap_lock until the flush:
                // a queued page lies outside every VMA and has no PTE.
                const B queued = mm.locked && (t.folio == zero_pfn || D::select(mm.gather, t.folio) != I(0)) &&
                                 !p.present && model::find_vma(s, m, I(v)) == nil;
                const auto wp = model::mshare::window_pte(s, m, I(v));
                const B windowed = wp.present && wp.folio == t.folio && (!t.writable || wp.writable);
                const B owed = model::mshare::flush_owed(s, m);
                ok = ok && (!t.valid || (inside && (cached || queued || mm.flush_pending || windowed || owed)));
            }
    return ok;
}

/// The shared zero page is never written (a write through a read-faulted mapping
/// would change what every unfaulted anonymous page in the system reads).
template <class S> typename S::domain::Bool zero_page_never_written(const model::config&, const S& s) {
    PROP_TYPES(S);
    return s.zero_page == I(0);
}

template <class S> typename S::domain::Bool memory_matches_reference(const model::config&, const S& s) {
    PROP_TYPES(S);
    B ok = true;
    for (int m = 0; m < P::mms; ++m)
        for (int v = 0; v < P::va_pages; ++v) {
            const auto p = pte_as_read(s, m, v);
            const B covered = model::find_vma(s, m, I(v)) != nil;
            const I r = s.ref[m][v];
            // Through an mshare window: the region's PTE, or (while a region operation is in
            // flight, or before the first fault linked the table) the region's data.
            B in_win = false, busy = false;
            I data = 0;
            for (int g = 0; g < model::regions_of<P>; ++g) {
                const auto& rg = s.region[g];
                const B here = model::mshare::in_window(s, g, m, I(v));
                in_win = in_win || here;
                busy = busy || (here && rg.busy);
                data = D::ite(here, D::select(rg.data, I(v) - rg.window[m]), data);
            }
            const auto wp = model::mshare::window_pte(s, m, I(v));
            const B win_ok = busy || D::ite(wp.present, model::content_of(s, wp.folio) == r, r == data);
            ok = ok && D::ite(in_win, win_ok && !p.present, D::ite(p.present, model::content_of(s, p.folio) == r,
                              r == I(0) || (!covered && s.mm[m].locked)));
        }
    return ok;
}

/// Page v of mm m reaches folio f: its PTE maps f, or some cpu's TLB entry for it does.
template <class S>
typename S::domain::Bool reaches_page(const S& s, int m, int v, const typename S::domain::Int& f) {
    using P = typename S::preset;
    typename S::domain::Bool r = s.pte[m][v].present && s.pte[m][v].folio == f;
    for (int c = 0; c < P::cpus; ++c) r = r || (s.tlb[c][m][v].valid && s.tlb[c][m][v].folio == f);
    return r;
}

/// Every PTE and TLB entry that reaches a pinned folio belongs to the pinner's mm (a
/// pin whose process exited, pin.mm = nil, leaves the folio reachable from nowhere): a
/// store through any of them updates what the pin must read (pins_note_store).
template <class S> typename S::domain::Bool pinned_folio_reached_by_pinner(const model::config&, const S& s) {
    PROP_TYPES(S);
    B ok = true;
    for (const auto& pn : s.pin) {
        if (D::known_false(pn.used)) continue;
        for (int m = 0; m < P::mms; ++m)
            for (int v = 0; v < P::va_pages; ++v) ok = ok && (!(pn.used && reaches_page(s, m, v, pn.folio)) || pn.mm == I(m));
    }
    return ok;
}

/// A PageAnonExclusive folio is reached from one mm at most (by its PTEs, its TLB entries
/// or its mmu_gather: a munmap's stale TLB entry keeps reaching a page until the flush),
/// and within that mm from one page (mremap flushes the old address before it unlocks).
template <class S> typename S::domain::Bool exclusive_folio_one_mm(const model::config&, const S& s) {
    PROP_TYPES(S);
    B ok = true;
    for (int f = 0; f < P::folios; ++f) {
        const B excl = s.folio[f].anon_exclusive;
        if (D::known_false(excl)) continue;
        std::array<B, P::mms> reach;
        for (int m = 0; m < P::mms; ++m) {
            std::array<B, P::va_pages> at;
            B r = s.mm[m].gather[f] != I(0);
            for (int v = 0; v < P::va_pages; ++v) {
                at[v] = reaches_page(s, m, v, I(f));
                for (int w = 0; w < v; ++w) ok = ok && !(excl && at[w] && at[v]);
                r = r || at[v];
            }
            reach[m] = r;
        }
        for (int m1 = 0; m1 < P::mms; ++m1)
            for (int m2 = m1 + 1; m2 < P::mms; ++m2) ok = ok && !(excl && reach[m1] && reach[m2]);
    }
    return ok;
}

/// An operation between its phases is recorded consistently.  A late TLB flush
/// (tlb_flush_pending: owed only under the mutants munmap_free_before_flush and
/// mremap_flush_after_unlock) is owed by a live mm that still holds the mmap_lock of the
/// munmap or mremap that owes it, with nothing left in its mmu_gather (munmap freed the
/// pages first; mremap gathers none).  A forced write between mem_write_faultin and
/// mem_write holds the mmap_lock for read, so no munmap holds it for write, and names a
/// page inside the bounds and inside a VMA (nothing that removes a VMA runs under the read
/// lock; MADV_DONTNEED may still zap the PTE); with none in flight the page is 0.
template <class S> typename S::domain::Bool phases_well_formed(const model::config& cfg, const S& s) {
    PROP_TYPES(S);
    B ok = true;
    for (int m = 0; m < P::mms; ++m) {
        const auto& mm = s.mm[m];
        ok = ok && (!mm.flush_pending || (mm.live && mm.locked && all_zero<D>(mm.gather)));
        B covered = false;   // the VMA it faulted in stays: munmap, mremap, mprotect wait for the lock
        for (const auto& v : s.vma[m]) covered = covered || model::vma_covers(v, mm.foll_vpage);
        ok = ok && D::ite(mm.foll_force, mm.live && !mm.locked && mm.foll_vpage < I(cfg.lim.va_pages) && covered,
                          mm.foll_vpage == I(0));
    }
    return ok;
}

/// Every leaf of x equals the same leaf in `want` (model::generic::leaf_values of a concrete value of x's type).
template <class D, class T> typename D::Bool same_leaves(const T& x, const std::vector<int>& want) {
    typename D::Bool ok = true;
    std::size_t n = 0;
    model::generic::for_each_leaf(
        [&](const std::string&, const auto& leaf) {
            if constexpr (std::is_same_v<std::decay_t<decltype(leaf)>, typename D::Bool>) {
                ok = ok && (want[n++] ? leaf : !leaf);
            } else {
                ok = ok && leaf == typename D::Int(want[n++]);
            }
        },
        "", x);
    return ok;
}

/// State that the run's design never touches keeps the value initial_state gave it.
/// model::actions(cfg) lists the mshare and mermap actions under --design mshare only,
/// and every rmap hook dispatches on the design (model/rmap.hpp), so: outside
/// --design cow_context no COW context exists and mm->cow_context / folio->cow_context
/// stay NULL (0 in a slot that exit_mmap or folio_put cleared); under it no anon_vma
/// exists, no VMA has an AVC and folio->mapping carries no anon_vma; outside --design
/// mshare no region, paging-structure cache entry, mermap slot or shmem folio exists.
template <class S> typename S::domain::Bool unused_design_state_initial(const model::config& cfg, const S& s) {
    PROP_TYPES(S);
    B ok = true;
    const auto nil_or_0 = [](const I& x) { return x == nil || x == I(0); };
    if (cfg.rmap != model::design::cow_context) {
        static const std::vector<int> unused = [] {
            model::cow_context_t<model::concrete, P> c;
            model::cow::clear(c);
            return model::generic::leaf_values(c);
        }();
        for (const auto& c : s.cow_ctx) ok = ok && same_leaves<D>(c, unused);
        for (const auto& m : s.mm) ok = ok && nil_or_0(m.cow_context);
        for (const auto& f : s.folio) ok = ok && D::ite(f.allocated, f.cow_context == nil, nil_or_0(f.cow_context));
    } else {
        for (const auto& a : s.anon_vma) ok = ok && all_zero<D>(a);
        for (const auto& per_mm : s.vma)
            for (const auto& v : per_mm) ok = ok && all_zero<D>(v.chain);
        for (const auto& f : s.folio) ok = ok && nil_or_0(f.mapping);
    }
    if (cfg.rmap != model::design::mshare) {
        for (const auto& r : s.region) ok = ok && all_zero<D>(r);
        ok = ok && all_zero<D>(s.psc);
        for (const auto& area : s.mermap) {
            ok = ok && area.next == I(0);
            for (const auto& p : area.pte) ok = ok && p == nil;
            for (const auto& t : area.tlb) ok = ok && t == nil;
        }
        for (const auto& f : s.folio) ok = ok && !f.shmem;
    }
    return ok;
}

// ---------------------------------------------------------------------------
// mshare (model/mshare.hpp).  No region is live under the other designs, so these hold
// vacuously there.
// ---------------------------------------------------------------------------

/// The folio is one a region's PTE maps or its host gather still holds.
template <class S> typename S::domain::Bool region_folio(const S& s, int r, typename S::domain::Int f) {
    PROP_TYPES(S);
    const auto& g = s.region[r];
    B hit = D::select(g.gather, f) != I(0);
    for (const auto& p : g.pte) hit = hit || (p.present && p.folio == f);
    return hit;
}

template <class S> typename S::domain::Bool mshare_no_write_after_protect(const model::config&, const S& s) {
    PROP_TYPES(S);
    B ok = true;
    for (int r = 0; r < model::regions_of<P>; ++r) {
        const auto& g = s.region[r];
        const B done = g.live && g.readonly && !g.busy;
        if (D::known_false(done)) continue;
        for (const auto& per_cpu : s.tlb)
            for (const auto& per_mm : per_cpu)
                for (const auto& t : per_mm) {
                    if (D::known_false(t.valid && t.writable)) continue;
                    ok = ok && !(done && t.valid && t.writable && region_folio(s, r, t.folio));
                }
    }
    return ok;
}

template <class S> typename S::domain::Bool mshare_no_read_outside_window(const model::config&, const S& s) {
    PROP_TYPES(S);
    B ok = true;
    for (int r = 0; r < model::regions_of<P>; ++r)
        for (int c = 0; c < P::cpus; ++c)
            for (int m = 0; m < P::mms; ++m)
                for (int v = 0; v < P::va_pages; ++v) {
                    const auto& t = s.tlb[c][m][v];
                    if (D::known_false(t.valid)) continue;
                    const auto& g = s.region[r];
                    const B owed = g.busy && g.todo[m];
                    ok = ok && (!(t.valid && region_folio(s, r, t.folio)) ||
                                model::mshare::in_window(s, r, m, I(v)) || owed);
                }
    return ok;
}

template <class S> typename S::domain::Bool mshare_attached_list_exact(const model::config&, const S& s) {
    PROP_TYPES(S);
    B ok = true;
    for (const auto& g : s.region)
        for (int m = 0; m < P::mms; ++m) {
            // During the teardown walk the list keeps the windows still to be flushed and removed.
            const B listed_ok = g.attached[m] == g.windowed[m] && (!g.windowed[m] || s.mm[m].live);
            ok = ok && listed_ok && (!g.linked[m] || g.windowed[m]);
        }
    return ok;
}

template <class S> typename S::domain::Bool mshare_share_count_exact(const model::config&, const S& s) {
    PROP_TYPES(S);
    B ok = true;
    for (const auto& g : s.region) {
        I n = 0;
        for (const auto& l : g.linked) n = n + count1<D>(l);
        ok = ok && g.share == n;
    }
    return ok;
}

template <class S> typename S::domain::Bool mshare_table_lifetime(const model::config&, const S& s) {
    PROP_TYPES(S);
    B ok = true;
    for (int r = 0; r < model::regions_of<P>; ++r) {
        const auto& g = s.region[r];
        B walked = false;
        for (int c = 0; c < P::cpus; ++c)
            for (int m = 0; m < P::mms; ++m) walked = walked || s.psc[c][m][r];
        for (int m = 0; m < P::mms; ++m) {
            walked = walked || g.linked[m];
            ok = ok && (!g.windowed[m] || g.live);
        }
        ok = ok && (!walked || (g.live && g.table));
    }
    return ok;
}

/// Evaluate one invariant.
template <class S> typename S::domain::Bool holds(inv i, const model::config& cfg, const S& s) {
    switch (i) {
#define PROP_CASE(n) case inv::n: return n(cfg, s);
        PROP_CASE(reads_match_reference)
        PROP_CASE(every_read_matches_reference)
        PROP_CASE(rmap_complete)
        PROP_CASE(rmap_root_agrees)
        PROP_CASE(folio_index_linear)
        PROP_CASE(mapcount_exact)
        PROP_CASE(refcount_exact)
        PROP_CASE(anon_vma_refcount_exact)
        PROP_CASE(num_children_exact)
        PROP_CASE(num_active_vmas_exact)
        PROP_CASE(no_pte_to_freed_folio)
        PROP_CASE(no_tlb_to_freed_folio)
        PROP_CASE(mapped_folio_anon_vma_live)
        PROP_CASE(anon_vma_references_live)
        PROP_CASE(anon_vma_chain_shape)
        PROP_CASE(anon_exclusive_mapped_once)
        PROP_CASE(writable_pte_is_exclusive)
        PROP_CASE(writable_tlb_is_exclusive)
        PROP_CASE(anon_vma_chain_bounded)
        PROP_CASE(pincount_exact)
        PROP_CASE(pinned_folio_live)
        PROP_CASE(pinned_folio_exclusive)
        PROP_CASE(pins_see_own_data)
        PROP_CASE(zero_page_never_written)
        PROP_CASE(cow_context_refcount_exact)
        PROP_CASE(cow_context_references_live)
        PROP_CASE(cow_context_freed_when_unused)
        PROP_CASE(cow_context_children_listed)
        PROP_CASE(cow_context_ancestry)
        PROP_CASE(cow_remap_recorded)
        PROP_CASE(no_kernel_bug)
        PROP_CASE(vma_well_formed)
        PROP_CASE(unused_vma_cleared)
        PROP_CASE(dead_mm_empty)
        PROP_CASE(pte_in_vma)
        PROP_CASE(free_folio_cleared)
        PROP_CASE(free_anon_vma_cleared)
        PROP_CASE(anon_vma_tree_shape)
        PROP_CASE(cow_context_tree_shape)
        PROP_CASE(chain_closed_under_parents)
        PROP_CASE(cpu_runs_live_mm)
        PROP_CASE(free_pin_cleared)
        PROP_CASE(counters_bounded)
        PROP_CASE(tlb_entry_backed)
        PROP_CASE(memory_matches_reference)
        PROP_CASE(unused_design_state_initial)
        PROP_CASE(phases_well_formed)
        PROP_CASE(pinned_folio_reached_by_pinner)
        PROP_CASE(exclusive_folio_one_mm)
        PROP_CASE(mshare_no_write_after_protect)
        PROP_CASE(mshare_no_read_outside_window)
        PROP_CASE(mshare_attached_list_exact)
        PROP_CASE(mshare_share_count_exact)
        PROP_CASE(mshare_table_lifetime)
#undef PROP_CASE
        case inv::count_: break;
    }
    return true;
}

/// A set of selected invariants (bit i = invariant i).
using inv_set = std::uint64_t;
static_assert(inv_count < 64, "inv_set holds one bit per invariant");
inline constexpr inv_set all_invariants = (inv_set(1) << inv_count) - 1;

/// First selected invariant that fails on a concrete state, or -1.
template <class S> int first_violation(const model::config& cfg, const S& s, inv_set sel = all_invariants) {
    for (int i = 0; i < inv_count; ++i)
        if ((sel >> i & 1) && !holds(static_cast<inv>(i), cfg, s)) return i;
    return -1;
}

}  // namespace props
