// tests/test_invariants_fail.cpp — every invariant can fail.
//
// An invariant that can never be false checks nothing.  For every entry of
// props::invariants() (the registry is iterated, so a new invariant without a
// row here fails the test) this file builds a reachable state from a short
// action list, checks that every invariant holds on it, corrupts one field the
// way a known kind of kernel bug would, and checks that the invariant is now
// reported false by props::holds — together with exactly the other invariants
// listed in the row (`also`), which that corruption necessarily breaks as well.
//
// Two invariants are also shown to fail by the model's own steps, through
// mutants: anon_exclusive_mapped_once (fork_keeps_exclusive: mmap, write, fork)
// and anon_vma_chain_bounded (anon_vma_no_reuse: a fork-and-exit loop at
// preset_chain: two mms with one VMA each, B1 / 7a3ef208e662); zero_page_never_written
// through dirty_cow in tests/test_dirty_cow.cpp.
#include <functional>
#include <set>

#include "tests/scenario.hpp"

using namespace scenario;
using props::inv;

namespace {

/// A reachable state, one corrupted field, and what must break.
template <class S> struct corruption {
    inv target;
    const char* stands_for;         // the kernel bug this corruption stands for
    std::vector<action> base;       // a short valid trace
    std::function<void(S&)> corrupt;
    std::vector<inv> also;          // other invariants the corruption necessarily breaks
    int design = 0;                 // 0 anon_vma, 1 cow_context as coded, 2 cow_context with every --cow-fix, 3 mshare
};

constexpr int zero_pfn_ = model::zero_pfn;
const std::vector<action> faulted = {act::mmap(0, 0, 1), act::write(0, 0, 0, 1)};
const std::vector<action> forked = {act::mmap(0, 0, 1), act::write(0, 0, 0, 1), act::fork(0, 1)};
const action pin_write0{model::op::pin_user_pages, {.mm = 0, .start = 0, .value = 1}};
const std::vector<action> pinned = {act::mmap(0, 0, 1), pin_write0};
const std::vector<action> pinned_ro = {act::mmap(0, 0, 1), pin_write0,
                                       action{model::op::mprotect, {.mm = 0, .start = 0, .pages = 1, .value = 0}}};

const action mshare_create0{model::op::mshare_create, {.mm = 0, .value = 0}};
const action mshare_map0{model::op::mshare_map, {.value = 0}};
const std::vector<action> mshare_cached = {
    mshare_create0, mshare_map0, act::fork(0, 1),
    action{model::op::mshare_attach, {.mm = 0, .start = 0, .value = 0}},
    action{model::op::mshare_attach, {.mm = 1, .start = 2, .value = 0}},
    act::switch_mm(1, 1), act::write(0, 0, 1, 2), act::read(1, 1, 3)};
const std::vector<action> mshare_protected = [] {
    auto t = mshare_cached;
    t.push_back({model::op::mshare_protect, {.value = 0}});
    t.push_back({model::op::mshare_flush, {.mm = 0, .value = 0}});
    t.push_back({model::op::mshare_flush, {.mm = 1, .value = 0}});
    t.push_back({model::op::mshare_free, {.value = 0}});
    return t;
}();

// The mermap (model/mermap.hpp): mm0's page 0 mapped in cpu0's slot 0, accessed.
const std::vector<action> mermapped = {act::mmap(0, 0, 1), act::write(0, 0, 0, 1),
                                       action{model::op::mermap_get, {.mm = 0, .cpu = 0, .start = 0}},
                                       action{model::op::mermap_use, {.cpu = 0, .value = 0}}};

const std::vector<corruption<default_state>>& default_rows() {
    using S = default_state;
    static const std::vector<corruption<S>> rows = {
        {inv::reads_match_reference, "a read returned a value the process never wrote there",
         {act::mmap(0, 0, 1), act::write(0, 0, 0, 1), act::read(0, 0, 0)},
         [](S& s) { s.bad_read = true; }, {}},
        {inv::every_read_matches_reference, "the page changed under the process (a write through a stale TLB entry)",
         faulted, [](S& s) { s.folio[0].content = 2; }, {inv::memory_matches_reference}},
        {inv::rmap_complete, "anon_vma_clone lost the child's AVC to av0: rmap_walk misses the child's PTE",
         forked, [](S& s) { s.vma[1][0].chain[0] = false; }, {inv::chain_closed_under_parents}},
        // [0,1) av0 and [2,3) av1: two roots in one mm.
        {inv::rmap_root_agrees, "folio->mapping taken from another VMA's anon_vma (a different root)",
         {act::mmap(0, 0, 1), act::write(0, 0, 0, 1), act::mmap(0, 2, 1), act::write(0, 0, 2, 2)},
         [](S& s) { s.folio[0].mapping = 1; }, {inv::rmap_complete}},
        {inv::folio_index_linear, "folio->index not linear_page_index(vma, addr) (a missed vm_pgoff update)",
         {act::mmap(0, 0, 2), act::write(0, 0, 1, 1)}, [](S& s) { s.folio[0].index = 0; },
         {inv::rmap_complete}},
        {inv::mapcount_exact, "a missed folio_remove_rmap_pte", forked, [](S& s) { s.folio[0].mapcount = 3; }, {}},
        {inv::refcount_exact, "copy_present_ptes mapped the page without folio_get", forked,
         [](S& s) { s.folio[0].refcount = 1; }, {}},
        {inv::anon_vma_refcount_exact, "anon_vma_fork without get_anon_vma(root)", forked,
         [](S& s) { s.anon_vma[0].refcount = 1; }, {}},
        {inv::num_children_exact, "anon_vma_fork without parent->num_children++ (B2: a later underflow)", forked,
         [](S& s) { s.anon_vma[0].num_children = 1; }, {}},
        {inv::num_active_vmas_exact, "unlink_anon_vmas without num_active_vmas-- (B3: av0 is never reused)",
         {act::mmap(0, 0, 1), act::write(0, 0, 0, 1), act::fork(0, 1), act::exit(0)},
         [](S& s) { s.anon_vma[0].num_active_vmas = 1; }, {}},
        {inv::no_pte_to_freed_folio, "the folio was freed while a PTE still maps it",
         {act::mmap(0, 0, 1), act::write(0, 0, 0, 1), act::tlb_evict(0)},
         [](S& s) { s.folio[0].allocated = false; }, {inv::free_folio_cleared}},
        {inv::no_tlb_to_freed_folio, "tlb_finish_mmu freed the page before the flush (I11)",
         {act::mmap(0, 0, 1), act::write(0, 0, 0, 1), act::munmap(0, 0, 1), act::tlb_finish_mmu(0)},
         [](S& s) { s.tlb[0][0][0] = {true, 0, false}; }, {inv::tlb_entry_backed}},
        {inv::mapped_folio_anon_vma_live, "folio->mapping points at a freed anon_vma (the end state of B4)",
         faulted, [](S& s) { s.folio[0].mapping = 3; }, {inv::rmap_complete}},
        {inv::anon_vma_references_live, "an AVC left on a VMA's chain after its anon_vma was freed", faulted,
         [](S& s) { s.vma[0][0].chain[3] = true; }, {}},
        // [0,1) faulted (av0), [2,3) unfaulted.
        {inv::anon_vma_chain_shape, "an unfaulted VMA linked into an anon_vma (chain set, vma->anon_vma NULL)",
         {act::mmap(0, 0, 1), act::write(0, 0, 0, 1), act::mmap(0, 2, 1)},
         [](S& s) { s.vma[0][1].chain[0] = true; }, {}},
        {inv::anon_exclusive_mapped_once, "fork kept PageAnonExclusive on a page it shared", forked,
         [](S& s) { s.folio[0].anon_exclusive = true; }, {inv::exclusive_folio_one_mm}},
        {inv::writable_pte_is_exclusive, "copy_present_ptes did not write-protect the child's PTE", forked,
         [](S& s) { s.pte[1][0].writable = true; }, {}},
        {inv::writable_tlb_is_exclusive, "dup_mmap skipped flush_tlb_mm: the parent keeps a writable entry", forked,
         [](S& s) { s.tlb[0][0][0] = {true, 0, true}; }, {inv::tlb_entry_backed}},
        {inv::pincount_exact, "pin_user_pages raised the pin count twice for one pin", pinned,
         [](S& s) { s.folio[0].pincount = 2; s.folio[0].refcount = 3; }, {}},
        {inv::pinned_folio_live, "a pin left pointing at a folio that was freed", pinned,
         [](S& s) { s.pin[0].folio = 3; }, {inv::pincount_exact}},
        {inv::pinned_folio_exclusive, "a pinned page lost PageAnonExclusive (fork shared it, I8)", pinned_ro,
         [](S& s) { s.folio[0].anon_exclusive = false; }, {}},
        {inv::pins_see_own_data, "another process's write landed in the pinned page (CVE-2020-29374)", pinned,
         [](S& s) { s.folio[0].content = 2; s.ref[0][0] = 2; }, {}},
        {inv::zero_page_never_written, "a forced write landed in the shared zero page (Dirty COW, B5)",
         {act::mmap(0, 0, 1), act::read(0, 0, 0)}, [](S& s) { s.zero_page = 1; },
         {inv::every_read_matches_reference, inv::memory_matches_reference}},
        {inv::no_kernel_bug, "a VM_WARN_ON fired", faulted,
         [](S& s) { s.bug = static_cast<int>(model::bug::counter_underflow); }, {}},
        // COW contexts: mm0's context is slot 0, the child's slot 1.
        {inv::cow_context_refcount_exact, "dup_cow_context without get_cow_context(parent)", forked,
         [](S& s) { s.cow_ctx[0].refcount = 2; }, {}, 1},
        {inv::cow_context_references_live, "the folio's context was freed while the folio still points at it",
         faulted,
         [](S& s) {
             s.folio[0].cow_context = 3;     // a never-used (freed) slot
             s.cow_ctx[0].refcount = 1;      // and the reference moved with it
         },
         {inv::cow_context_ancestry, inv::rmap_complete}, 1},   // the walk from a freed context sees nothing
        {inv::cow_context_freed_when_unused, "a put_cow_context that reached zero without freeing", faulted,
         [](S& s) {
             auto& x = s.cow_ctx[2];
             x.live = true; x.mm = model::nil; x.parent = model::nil; x.refcount = 0;
             x.first_child = model::nil; x.next_sibling = model::nil;
             for (auto& r : x.rstart) r = model::nil;
         },
         {inv::cow_context_tree_shape}, 1},   // a live context without a reference
        {inv::cow_context_children_listed, "delete_child_from_parent run while the child still lives", forked,
         [](S& s) { s.cow_ctx[0].first_child = model::nil; }, {inv::rmap_complete}, 1},
        {inv::cow_context_ancestry, "the shared folio moved to the child's context (a wrong folio_move_anon_rmap)",
         forked,
         [](S& s) {
             s.folio[0].cow_context = 1;
             s.cow_ctx[0].refcount = 2;
             s.cow_ctx[1].refcount = 2;
         },
         {inv::rmap_complete}, 1},
        {inv::cow_remap_recorded, "copy_vma's cow_context_do_remap skipped: the moved VMA has no record",
         {act::mmap(0, 0, 1), act::write(0, 0, 0, 1), act::mremap(0, 0, 1, 1)},
         [](S& s) { s.cow_ctx[0].rstart[0] = model::nil; s.cow_ctx[0].rnr[0] = 0; }, {inv::rmap_complete}, 2},
        // Strengthening invariants (solver/prove.hpp).
        {inv::vma_well_formed, "two VMAs of one mm overlap (a MAP_FIXED mmap that missed the split)",
         {act::mmap(0, 0, 1), act::mmap(0, 2, 1)}, [](S& s) { s.vma[0][1].start = 0; }, {}},
        {inv::unused_vma_cleared, "vm_area_free left a stale field in the slot", {act::mmap(0, 0, 1)},
         [](S& s) { s.vma[0][1].pgoff = 2; }, {}},
        {inv::dead_mm_empty, "exit left the dead mm in a cpu's mm_cpumask", faulted,
         [](S& s) { s.mm[1].cpumask[0] = true; }, {}},
        {inv::pte_in_vma, "munmap removed the VMA but left a PTE behind (free_pgtables without the zap)", faulted,
         [](S& s) { s.pte[0][2] = {true, zero_pfn_, false}; }, {}},
        {inv::pte_in_vma, "do_anonymous_page mapped a folio before __anon_vma_prepare set vma->anon_vma", faulted,
         [](S& s) { s.vma[0][0].anon_vma = model::nil; }, {}, 2},
        {inv::free_folio_cleared, "a freed folio keeps its data (the allocator hands out a dirty page)", faulted,
         [](S& s) { s.folio[1].content = 5; }, {}},
        {inv::free_anon_vma_cleared, "a freed anon_vma keeps a reference count", faulted,
         [](S& s) { s.anon_vma[1].refcount = 1; }, {}},
        {inv::anon_vma_tree_shape, "a child anon_vma that is its own parent but not a root", forked,
         [](S& s) { s.anon_vma[1].parent = 1; }, {inv::num_children_exact}},
        {inv::cow_context_tree_shape, "__put_cow_context freed a context and left a remap offset in the slot",
         faulted, [](S& s) { s.cow_ctx[3].roff[0][0] = 2; }, {}, 1},
        // A root is on no children list, so no walk reads the stale pointer: only the shape breaks.
        {inv::cow_context_tree_shape, "mm_init_cow_context left a stale sibling pointer in the parent's new root context",
         forked, [](S& s) { s.cow_ctx[0].next_sibling = 1; }, {}, 1},
        // The child wrote after the fork: its folio maps av1, so only the closure breaks.
        {inv::chain_closed_under_parents, "anon_vma_clone dropped the child's AVC to the root anon_vma",
         {act::mmap(0, 0, 1), act::write(0, 0, 0, 1), act::fork(0, 1), act::switch_mm(0, 1),
          act::write(0, 1, 0, 2)},
         [](S& s) { s.vma[1][0].chain[0] = false; }, {}},
        {inv::cpu_runs_live_mm, "switch_mm without setting the mm_cpumask bit (flushes would miss the cpu)",
         forked, [](S& s) { s.cpu[0].mm = 1; }, {}},
        {inv::free_pin_cleared, "unpin_user_page left the pin's fields behind", faulted,
         [](S& s) { s.pin[1].expect = 3; }, {}},
        {inv::counters_bounded, "256 references queued on a folio: the 8-bit exact count wraps and looks right",
         forked, [](S& s) { s.mm[0].gather[0] = 128; s.mm[1].gather[0] = 128; }, {}},
        {inv::tlb_entry_backed, "change_protection write-protected the PTE without the flush: the TLB stays writable",
         faulted, [](S& s) { s.pte[0][0].writable = false; }, {}},
        // mm0's page 0 queued in its mmu_gather as munmap does, but its VMA still covers it.
        {inv::tlb_entry_backed, "unmap_region zapped the PTEs before vms_gather_munmap_vmas detached the VMA",
         faulted,
         [](S& s) {
             s.pte[0][0] = {};
             s.folio[0].mapcount = 0;
             s.mm[0].gather[0] = 1;
             s.mm[0].locked = true;
         },
         {inv::every_read_matches_reference, inv::memory_matches_reference}},
        {inv::memory_matches_reference, "tlb_finish_mmu did not forget the unmapped range's data",
         {act::mmap(0, 0, 1)}, [](S& s) { s.ref[0][2] = 3; }, {}},
        // One row per part of unused_design_state_initial: a hook of another design ran.
        {inv::unused_design_state_initial, "folio_put dropped a COW context reference under --design anon_vma",
         faulted, [](S& s) { s.cow_ctx[1].refcount = 1; }, {}},
        {inv::unused_design_state_initial, "__folio_set_anon stored an anon_vma under --design cow_context",
         faulted, [](S& s) { s.folio[0].mapping = 1; }, {}, 1},
        {inv::unused_design_state_initial, "a mermap slot was bump-allocated under --design anon_vma", faulted,
         [](S& s) { s.mermap[0].next = 1; }, {}},
        {inv::phases_well_formed, "tlb_finish_mmu released the mmap_lock before the flush it still owes", faulted,
         [](S& s) { s.mm[0].flush_pending = true; }, {}},
        {inv::phases_well_formed, "mem_rw returned without forgetting the page of its forced write", faulted,
         [](S& s) { s.mm[0].foll_vpage = 1; }, {}},
        {inv::phases_well_formed, "the forced write's page lies outside every VMA (as if munmap ran under it)",
         {act::mmap(0, 0, 1), act::mmap(0, 2, 1), action{model::op::mem_write_faultin, {.mm = 0, .start = 2}}},
         [](S& s) { s.mm[0].foll_vpage = 1; }, {}},
        {inv::phases_well_formed, "munmap took the mmap_lock for write while a forced write held it for read",
         {act::mmap(0, 0, 1), action{model::op::mem_write_faultin, {.mm = 0, .start = 0}}},
         [](S& s) { s.mm[0].locked = true; }, {}},
        {inv::pinned_folio_reached_by_pinner, "exit_mmap let the pin outlive the process without zapping its PTE",
         pinned, [](S& s) { s.pin[0].mm = model::nil; }, {}},
        // mm1 copied on its write after the fork, mm0 then reused folio0 (PageAnonExclusive).
        {inv::exclusive_folio_one_mm, "mm0 reused a page mm1's munmap still holds in its mmu_gather",
         {act::mmap(0, 0, 1), act::write(0, 0, 0, 1), act::fork(0, 1), act::switch_mm(0, 1), act::write(0, 1, 0, 2),
          act::switch_mm(0, 0), act::write(0, 0, 0, 3)},
         [](S& s) {
             s.mm[1].gather[0] = 1;
             s.mm[1].locked = true;
             s.folio[0].refcount = s.folio[0].refcount + 1;
         },
         {}},
        {inv::exclusive_folio_one_mm, "mremap moved the page without flushing the old address: two pages reach it",
         faulted, [](S& s) { s.tlb[0][0][1] = {true, 0, false}; },
         {inv::tlb_entry_backed, inv::every_read_matches_reference}},
        // mshare (design 3): mm0 owns region0, windows mm0 [0,2) and mm1 [2,4), page 1
        // written by mm0 and read by mm1 on cpu1 (see tests/test_mshare.cpp).
        {inv::mshare_no_write_after_protect, "mshare_protect's flush missed an attacher: its TLB still writes",
         mshare_protected, [](S& s) { s.tlb[1][1][3] = {true, s.region[0].pte[1].folio, true}; }, {inv::tlb_entry_backed}, 3},
        {inv::mshare_no_read_outside_window, "detach without flush: mm1 still reads the region at its old address",
         mshare_cached, [](S& s) { s.tlb[1][1][0] = s.tlb[1][1][3]; },
         {inv::tlb_entry_backed, inv::every_read_matches_reference}, 3},
        {inv::mshare_attached_list_exact, "attach made the window usable before list_add (H4)", mshare_cached,
         [](S& s) { s.region[0].attached[1] = false; }, {}, 3},
        {inv::mshare_share_count_exact, "find_shared_vma linked the table without the PUD share count", mshare_cached,
         [](S& s) { s.region[0].share = 1; }, {}, 3},
        {inv::mshare_table_lifetime, "an attacher's free_pgtables freed the linked host table (H8)", mshare_cached,
         [](S& s) { s.region[0].table = false; }, {}, 3},
        // The mermap's parts of three claims (design 3).
        {inv::refcount_exact, "mermap_get's caller mapped the page without get_page", mermapped,
         [](S& s) { s.folio[0].refcount = 1; }, {}, 3},
        {inv::counters_bounded, "mermap_get's bump allocator ran past the area without wrapping", mermapped,
         [](S& s) { s.mermap[0].next = model::mermap_slots + 1; }, {}, 3},
        {inv::no_tlb_to_freed_folio, "a mermapped page freed without arch_mermap_flush_tlb (H11)", mermapped,
         [](S& s) { s.mermap[0].tlb[1] = 1; }, {}, 3},
    };
    return rows;
}

/// The chain bound is 2 x VMA slots: at preset_default (8 VMA slots, 6 anon_vmas) no
/// chain can exceed 16, so this row runs at preset_chain (2 mms x 1 VMA: bound 4, 5 anon_vmas).
const std::vector<corruption<small_state>>& small_rows() {
    using S = small_state;
    static const std::vector<corruption<S>> rows = {
        // Graft a consistent 5-deep chain av0 <- av1 <- ... <- av4 onto mm0's VMA, as the
        // fork-and-exit loop without anon_vma reuse (B1) leaves it: every counter exact.
        {inv::anon_vma_chain_bounded, "fork never reuses an idle anon_vma (B1): the chain grew to 5 > 4", faulted,
         [](S& s) {
             for (int k = 1; k <= 4; ++k) {
                 auto& a = s.anon_vma[k];
                 a.live = true; a.root = 0; a.parent = k - 1; a.refcount = 1;
                 a.num_children = k < 4 ? 1 : 0; a.num_active_vmas = 0;
             }
             s.anon_vma[0].num_children = 2;        // self link + av1
             s.anon_vma[0].refcount = 1 + 4;        // its tree + get_anon_vma(root) by av1..av4
             s.anon_vma[0].num_active_vmas = 0;
             s.anon_vma[4].num_active_vmas = 1;
             auto& v = s.vma[0][0];
             v.anon_vma = 4;
             for (int k = 0; k <= 4; ++k) v.chain[k] = true;
         },
         {}},
    };
    return rows;
}

template <class S> std::set<int> broken_set(const model::config& cfg, const S& s) {
    std::set<int> out;
    for (const auto& i : props::invariants())
        if (!props::holds(i.id, cfg, s)) out.insert(static_cast<int>(i.id));
    return out;
}

std::string names(const std::set<int>& set) {
    std::string out;
    for (int i : set) out += (out.empty() ? "" : ", ") + std::string(props::inv_name(static_cast<inv>(i)));
    return out.empty() ? "(none)" : out;
}

/// The config a row is checked under: its preset's (preset_chain for the chain
/// rows: bound 2 x (VMA slots) = 4 inside its 5 anon_vma slots).
template <class S> model::config row_config(int design = 0) {
    auto cfg = model::config::defaults<typename S::preset>();
    if (design == 3) {
        cfg.rmap = model::design::mshare;
        return cfg;
    }
    if (design > 0) cfg.rmap = model::design::cow_context;
    if (design > 1)
        for (const auto& f : model::cow_fixes()) cfg.fix(f.id);
    return cfg;
}

template <class S> void check_row(const corruption<S>& r) {
    const auto cfg = row_config<S>(r.design);
    const auto o = run<S>(cfg, r.base);   // every invariant holds after every base step
    INFO("corruption: " << r.stands_for << " (at preset " << S::preset::name << ")\n" << trace_text(r.base));
    const S& good = o.final();
    for (const auto& i : props::invariants()) {
        INFO("invariant " << i.name << " on the uncorrupted state");
        CHECK(props::holds(i.id, cfg, good));
    }
    S bad = good;
    r.corrupt(bad);
    INFO("the corruption changed:\n" << solver::diff(good, bad));
    {
        INFO("invariant " << props::inv_name(r.target) << " must report the corrupted state");
        CHECK_FALSE(props::holds(r.target, cfg, bad));
    }
    std::set<int> expected = {static_cast<int>(r.target)};
    for (inv i : r.also) expected.insert(static_cast<int>(i));
    const auto got = broken_set(cfg, bad);
    INFO("broken: " << names(got) << "\nexpected: " << names(expected));
    CHECK(got == expected);
}

}  // namespace

TEST_CASE("every invariant can fail on a corrupted state", "[invariants]") {
    for (const auto& i : props::invariants()) {
        DYNAMIC_SECTION(i.name) {
            int found = 0;
            for (const auto& r : default_rows())
                if (r.target == i.id) ++found, check_row(r);
            for (const auto& r : small_rows())
                if (r.target == i.id) ++found, check_row(r);
            INFO("invariant " << i.name << " has no corruption row in tests/test_invariants_fail.cpp: "
                 "add one that shows it can fail");
            CHECK(found >= 1);
        }
    }
}

// ---------------------------------------------------------------------------
// Mutant routes: the model's own steps reach the violation.
// ---------------------------------------------------------------------------

TEST_CASE("anon_exclusive_mapped_once: fork_keeps_exclusive breaks it with mmap, write, fork",
          "[invariants][mutant]") {
    const std::vector<action> t = {act::mmap(0, 0, 1), act::write(0, 0, 0, 1), act::fork(0, 1)};
    SECTION("fixed model: the trace is clean") {
        const auto o = run<default_state>(t);   // checks every invariant after every step
        CHECK(props::holds(inv::anon_exclusive_mapped_once, o.cfg, o.final()));
    }
    SECTION("mutant: the fork leaves a PageAnonExclusive folio mapped twice") {
        auto cfg = model::config::defaults<model::preset_default>();
        cfg.inject(model::mutant::fork_keeps_exclusive);
        const auto o = run<default_state>(cfg, t, /*check_invariants=*/false);
        INFO(trace_text(t, 3));
        for (int k = 0; k < 3; ++k) {
            INFO("after step " << k << " nothing is broken yet");
            CHECK(broken_names(cfg, o.after(k)).empty());
        }
        const auto& s = o.final();
        CHECK_FALSE(props::holds(inv::anon_exclusive_mapped_once, cfg, s));
        CHECK(props::first_violation(cfg, s) == static_cast<int>(inv::anon_exclusive_mapped_once));
        // The consequence (CVE-2020-29374 shape): the child's write reuses the shared
        // page, and the parent sees it.
        auto next = s;
        REQUIRE(model::step(cfg, next, act::switch_mm(1, 1)));
        REQUIRE(model::step(cfg, next, act::write(1, 1, 0, 2)));
        CHECK(next.pte[1][0].folio == 0);
        CHECK(read_value(cfg, next, 0, 0, 0) == 2);
        CHECK_FALSE(props::holds(inv::every_read_matches_reference, cfg, next));
    }
}

namespace {

/// The B1 loop at preset_chain: mmap, write, then per generation fork the running
/// process into the other mm slot, let the parent exit, run the child on cpu0 and
/// write.  Stops at the first state where anon_vma_chain_bounded fails or after
/// `generations`.  Returns {generation of the violation or -1, longest chain seen}.
std::pair<int, int> fork_exit_loop(const model::config& cfg, int generations, std::vector<action>& trace) {
    small_state s = model::initial_state<small_state>();
    int longest = 0;
    auto take = [&](const action& x) {
        trace.push_back(x);
        INFO(trace_text(trace, static_cast<int>(trace.size())));
        REQUIRE(model::step(cfg, s, x));
        for (const auto& per_mm : s.vma)
            for (const auto& v : per_mm)
                if (v.used) longest = std::max(longest, chain_length(v));
    };
    take(act::mmap(0, 0, 1));
    take(act::write(0, 0, 0, 1));
    for (int g = 0; g < generations; ++g) {
        const int parent = g % 2, child = 1 - parent;
        take(act::fork(parent, child));
        if (!props::holds(inv::anon_vma_chain_bounded, cfg, s)) return {g, longest};
        take(act::exit(parent));
        take(act::switch_mm(0, child));
        take(act::write(0, child, 0, 1 + g % 2));
        INFO(trace_text(trace));
        const std::string b = broken_names(cfg, s);
        INFO("broken: " << b);
        REQUIRE(b.empty());
    }
    return {-1, longest};
}

}  // namespace

TEST_CASE("anon_vma_chain_bounded: anon_vma_no_reuse grows the chain in a fork-and-exit loop",
          "[invariants][mutant]") {
    const auto fixed = row_config<small_state>();
    REQUIRE(fixed.lim.mms * fixed.lim.vmas == 2);   // bound 2 x 2 VMA slots = 4
    SECTION("mutant: the chain passes the bound of 4") {
        auto cfg = fixed;
        cfg.inject(model::mutant::anon_vma_no_reuse);
        std::vector<action> trace;
        const auto [gen, longest] = fork_exit_loop(cfg, 8, trace);
        INFO(trace_text(trace) << "longest chain: " << longest);
        CHECK(gen >= 0);
        CHECK(longest == 5);   // av0 plus one new anon_vma per generation, none reused
        CHECK(gen == 3);       // the fourth fork
    }
    SECTION("fixed model: the same loop keeps the chain bounded") {
        std::vector<action> trace;
        const auto [gen, longest] = fork_exit_loop(fixed, 12, trace);
        INFO(trace_text(trace) << "longest chain: " << longest);
        CHECK(gen == -1);
        // The root (self link + a child) is never reused; two leaves alternate: {av0, av1, av2}.
        CHECK(longest == 3);
    }
}
