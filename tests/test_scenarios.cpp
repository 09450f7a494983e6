// tests/test_scenarios.cpp — hand-written scenarios of the anon rmap, COW and TLBs.
//
// In the manner of tools/testing/selftests/mm/cow.c and tools/testing/vma/vma.c:
// each TEST_CASE is a table of {description, actions, expectations}; each row
// runs from the initial state (mm0 live on cpu0, no VMAs) at preset_default
// through scenario::run, which requires every step to be enabled and checks every
// invariant after every step.  The expectations then state, in kernel terms,
// what the final state must show.  A failed expectation prints the claim that
// broke and the numbered trace.
//
// Conventions of the sketches: one column per virtual page; [ A ] is a VMA,
// "av0" anon_vma slot 0, "folio0" folio slot 0.  Write faults take the lowest
// free folio slot, new anon_vmas the lowest free anon_vma slot, fork's child the
// lowest free mm slot.  Written values are 1 or 2; a fresh page reads 0.
#include <functional>

#include "tests/scenario.hpp"

using namespace scenario;
using model::nil;
using model::zero_pfn;
using model::VM_WRITE;
using S = default_state;

namespace {

/// An expectation with the claim it checks, printed when it fails.  The
/// expression may combine several comparisons with && (Catch cannot decompose
/// that); the claim, the trace and the final state are printed instead.
#define EXPECT(claim, ...)    \
    do {                      \
        INFO(claim);          \
        CHECK((__VA_ARGS__)); \
    } while (0)

struct scenario_case {
    const char* description;
    std::vector<action> actions;
    std::function<void(const outcome<S>&)> expect;
};

/// Run every row of a table as its own section.
void run_table(const std::vector<scenario_case>& table) {
    for (const auto& c : table) {
        DYNAMIC_SECTION(c.description) {
            const auto o = run<S>(c.actions);
            INFO(trace_text(c.actions) << "final state:\n" << solver::dump(o.final()));
            c.expect(o);
        }
    }
}

const model::config cfg = model::config::defaults<model::preset_default>();

}  // namespace

// ---------------------------------------------------------------------------
// Fork and COW
//
//   mm0   [ A ]   folio0 = 1, PageAnonExclusive, PTE writable, av0
//   fork -> mm1: copy_present_ptes shares folio0 (mapcount 2, PAE cleared) and
//   write-protects the PTE in both; the first write of either side decides:
//   refcount > 1 -> wp_page_copy, refcount == 1 -> reuse (folio_move_anon_rmap).
// ---------------------------------------------------------------------------
TEST_CASE("COW after fork: each process keeps its own copy", "[scenario][cow]") {
    run_table({
        {"child write after fork copies the page; the parent keeps its value",
         {act::mmap(0, 0, 1), act::write(0, 0, 0, 1), act::fork(0, 1), act::switch_mm(1, 1),
          act::write(1, 1, 0, 2)},
         [](const outcome<S>& o) {
             const auto& s = o.final();
             EXPECT("the parent still reads 1", read_value(o, 0, 0, 0) == 1);
             EXPECT("the child reads its own write", read_value(o, 1, 1, 0) == 2);
             EXPECT("the parent keeps folio0", s.pte[0][0].folio == 0);
             EXPECT("the child got a new folio (wp_page_copy)", s.pte[1][0].folio == 1);
             EXPECT("the new folio is exclusive to the child", s.folio[1].anon_exclusive);
             EXPECT("the new folio belongs to the child's anon_vma",
                    s.folio[1].mapping == s.vma[1][0].anon_vma);
             EXPECT("the child's anon_vma is not the parent's", s.vma[1][0].anon_vma != s.vma[0][0].anon_vma);
             EXPECT("folio0 is mapped once now", s.folio[0].mapcount == 1);
             EXPECT("folio0 stays non-exclusive until the parent's next write fault",
                    !s.folio[0].anon_exclusive);
         }},
        {"parent write after fork copies the page (wp_page_copy); the child still reads the old value",
         {act::mmap(0, 0, 1), act::write(0, 0, 0, 1), act::fork(0, 1), act::write(0, 0, 0, 2)},
         [](const outcome<S>& o) {
             const auto& s = o.final();
             EXPECT("the parent reads its write", read_value(o, 0, 0, 0) == 2);
             EXPECT("the child still reads 1", read_value(o, 1, 1, 0) == 1);
             EXPECT("the parent's PTE maps the copy", s.pte[0][0].folio == 1 && s.pte[0][0].writable);
             EXPECT("the child's PTE still maps folio0, read-only",
                    s.pte[1][0].folio == 0 && !s.pte[1][0].writable);
             EXPECT("the copy belongs to the parent's anon_vma (av0)", s.folio[1].mapping == 0);
             EXPECT("folio0 keeps its anon_vma: only the child maps it, through av0 on its chain",
                    s.folio[0].mapping == 0 && s.vma[1][0].chain[0]);
             EXPECT("folio0 is mapped once, by the child", s.folio[0].mapcount == 1 && s.folio[0].refcount == 1);
         }},
        {"parent write after the child exits reuses the folio: PageAnonExclusive set again, no copy",
         {act::mmap(0, 0, 1), act::write(0, 0, 0, 1), act::fork(0, 1), act::exit(1), act::write(0, 0, 0, 2)},
         [](const outcome<S>& o) {
             const auto& before = o.after(4);
             const auto& s = o.final();
             EXPECT("after the child's exit folio0 is no longer exclusive, but only the parent holds it",
                    !before.folio[0].anon_exclusive && before.folio[0].refcount == 1);
             EXPECT("wp_can_reuse_anon_folio: refcount 1 -> reuse, no second folio", live_folios(s) == 1);
             EXPECT("the parent's PTE maps folio0, now writable", s.pte[0][0].folio == 0 && s.pte[0][0].writable);
             EXPECT("PageAnonExclusive is set again", s.folio[0].anon_exclusive);
             EXPECT("folio->mapping is the parent VMA's anon_vma", s.folio[0].mapping == s.vma[0][0].anon_vma);
             EXPECT("the parent reads 2", read_value(o, 0, 0, 0) == 2);
         }},
        {"child write after the parent exits reuses the folio and moves folio->mapping to the child's anon_vma",
         {act::mmap(0, 0, 1), act::write(0, 0, 0, 1), act::fork(0, 1), act::switch_mm(1, 1), act::exit(0),
          act::write(1, 1, 0, 2)},
         [](const outcome<S>& o) {
             const auto& before = o.after(5);
             const auto& s = o.final();
             EXPECT("before the write folio0 still points to the parent's anon_vma av0",
                    before.folio[0].mapping == 0 && !before.folio[0].anon_exclusive);
             EXPECT("no copy was made", live_folios(s) == 1 && s.pte[1][0].folio == 0);
             EXPECT("folio_move_anon_rmap: folio->mapping is now the child's own anon_vma (av1)",
                    s.folio[0].mapping == 1 && s.vma[1][0].anon_vma == 1);
             EXPECT("PageAnonExclusive is set again", s.folio[0].anon_exclusive);
             EXPECT("av0 stays alive: the child's chain still links it", s.anon_vma[0].live && s.vma[1][0].chain[0]);
             EXPECT("the child reads 2", read_value(o, 1, 1, 0) == 2);
         }},
        {"a reference queued in the child's mmu_gather (munmap before tlb_finish_mmu) makes the parent copy",
         {act::mmap(0, 0, 1), act::write(0, 0, 0, 1), act::fork(0, 1), act::munmap(1, 0, 1),
          act::write(0, 0, 0, 2), act::tlb_finish_mmu(1)},
         [](const outcome<S>& o) {
             const auto& queued = o.after(4);
             EXPECT("folio0: one mapping, but a second reference in mm1's gather",
                    queued.folio[0].mapcount == 1 && queued.folio[0].refcount == 2 && queued.mm[1].gather[0] == 1);
             const auto& wrote = o.after(5);
             EXPECT("wp_can_reuse_anon_folio refuses (refcount 2): wp_page_copy", wrote.pte[0][0].folio == 1);
             const auto& s = o.final();
             EXPECT("tlb_finish_mmu dropped the last reference to folio0", !s.folio[0].allocated);
             EXPECT("the parent reads 2", read_value(o, 0, 0, 0) == 2);
         }},
    });
}

// ---------------------------------------------------------------------------
// The shared zero page
// ---------------------------------------------------------------------------
TEST_CASE("zero page: read faults map it, write faults allocate", "[scenario][fault]") {
    run_table({
        {"read fault maps the shared zero page read-only and prepares no anon_vma",
         {act::mmap(0, 0, 1), act::read(0, 0, 0)},
         [](const outcome<S>& o) {
             const auto& s = o.final();
             EXPECT("the PTE maps zero_pfn, read-only",
                    s.pte[0][0].present && s.pte[0][0].folio == zero_pfn && !s.pte[0][0].writable);
             EXPECT("no folio was allocated", live_folios(s) == 0);
             EXPECT("do_anonymous_page does not call vmf_anon_prepare for reads",
                    s.vma[0][0].anon_vma == nil && live_anon_vmas(s) == 0);
             EXPECT("the TLB caches the zero page", s.tlb[0][0][0].valid && s.tlb[0][0][0].folio == zero_pfn);
             EXPECT("the read returns 0", read_value(o, 0, 0, 0) == 0);
         }},
        {"a write after the zero-page read allocates a folio and an anon_vma",
         {act::mmap(0, 0, 1), act::read(0, 0, 0), act::write(0, 0, 0, 1)},
         [](const outcome<S>& o) {
             const auto& s = o.final();
             EXPECT("the PTE maps a new folio, writable", s.pte[0][0].folio == 0 && s.pte[0][0].writable);
             EXPECT("the folio is exclusive, mapped and referenced once",
                    s.folio[0].anon_exclusive && s.folio[0].mapcount == 1 && s.folio[0].refcount == 1);
             EXPECT("the fault prepared av0 and filed the folio under it",
                    s.vma[0][0].anon_vma == 0 && s.folio[0].mapping == 0 && s.folio[0].index == 0);
             EXPECT("the write landed", s.folio[0].content == 1 && read_value(o, 0, 0, 0) == 1);
         }},
        {"fork of a VMA that only maps the zero page copies no PTE (vma_needs_copy: no anon_vma)",
         {act::mmap(0, 0, 1), act::read(0, 0, 0), act::fork(0, 1)},
         [](const outcome<S>& o) {
             const auto& s = o.final();
             EXPECT("the child VMA exists", vma_at(s, 1, 0) == 0);
             EXPECT("the child has no PTE: it will fault its own zero page", !s.pte[1][0].present);
             EXPECT("the child reads 0", read_value(o, 1, 1, 0) == 0);
         }},
    });
}

// ---------------------------------------------------------------------------
// mremap
//
//   vpage:    0   1   2   3
//   before:  [ A   A ]            vm_pgoff 0, av0, folio0 at index 1 (vpage 1)
//   mremap [0,2) -> 2:
//   after:           [ A   A ]    vm_pgoff 0 kept: folio0 is found at
//                                 vma_address = vm_start + (1 - vm_pgoff) = 3
// ---------------------------------------------------------------------------
TEST_CASE("mremap: page offsets, rmap and TLB", "[scenario][mremap]") {
    run_table({
        {"mremap of a faulted VMA keeps vm_pgoff, and migration still finds the page",
         {act::mmap(0, 0, 2), act::write(0, 0, 1, 1), act::mremap(0, 0, 2, 2), act::migrate(0)},
         [](const outcome<S>& o) {
             const auto& moved = o.after(3);
             const int i = vma_at(moved, 0, 2);
             REQUIRE(i >= 0);
             EXPECT("one VMA, now [2,4)", vma_count(moved, 0) == 1 && moved.vma[0][i].pages == 2);
             EXPECT("copy_vma: new_pgoff = vm_pgoff + (addr - vm_start) keeps vm_pgoff 0",
                    moved.vma[0][i].pgoff == 0);
             EXPECT("the PTE moved with its folio", moved.pte[0][3].folio == 0 && !moved.pte[0][1].present);
             EXPECT("the folio kept its index", moved.folio[0].index == 1);
             const auto& s = o.final();
             EXPECT("migration reached the moved PTE: it maps the new folio", s.pte[0][3].folio == 1);
             EXPECT("the old folio was freed", !s.folio[0].allocated);
             EXPECT("the new folio inherits mapping and index", s.folio[1].mapping == 0 && s.folio[1].index == 1);
             EXPECT("the data moved with it", read_value(o, 0, 0, 3) == 1);
         }},
        //   before:  [ A   A ]
        //   mremap [1,2) -> 3:
        //   after:   [ A ]     [ A']      A [0,1) pgoff 0; A' [3,4) pgoff 1; both av0
        {"mremap of part of a faulted VMA splits it; the moved piece keeps its pgoff and the walk finds it",
         {act::mmap(0, 0, 2), act::write(0, 0, 1, 1), act::mremap(0, 1, 1, 3), act::migrate(0)},
         [](const outcome<S>& o) {
             const auto& s = o.final();
             const int a = vma_at(s, 0, 0), b = vma_at(s, 0, 3);
             REQUIRE(a >= 0);
             REQUIRE(b >= 0);
             EXPECT("the remaining head is [0,1), vm_pgoff 0", s.vma[0][a].pages == 1 && s.vma[0][a].pgoff == 0);
             EXPECT("the moved piece is [3,4), vm_pgoff 1", s.vma[0][b].pages == 1 && s.vma[0][b].pgoff == 1);
             EXPECT("both pieces share av0 (anon_vma_clone VMA_OP_REMAP)",
                    s.vma[0][a].anon_vma == 0 && s.vma[0][b].anon_vma == 0);
             EXPECT("num_active_vmas counts both", s.anon_vma[0].num_active_vmas == 2);
             EXPECT("migration reached vpage 3", s.pte[0][3].folio == 1 && !s.folio[0].allocated);
             EXPECT("the moved page reads 1", read_value(o, 0, 0, 3) == 1);
         }},
        {"mremap of an unfaulted VMA resets vm_pgoff to the new address",
         {act::mmap(0, 0, 1), act::mremap(0, 0, 1, 3), act::write(0, 0, 3, 1)},
         [](const outcome<S>& o) {
             const auto& moved = o.after(2);
             const int i = vma_at(moved, 0, 3);
             REQUIRE(i >= 0);
             EXPECT("copy_vma: a never-faulted anon VMA gets pgoff = new_addr >> PAGE_SHIFT",
                    moved.vma[0][i].pgoff == 3);
             EXPECT("the later fault files the folio at index 3", o.final().folio[0].index == 3);
         }},
        {"mremap of a VMA that only maps the zero page also resets vm_pgoff (no anon_vma yet)",
         {act::mmap(0, 0, 1), act::read(0, 0, 0), act::mremap(0, 0, 1, 2)},
         [](const outcome<S>& o) {
             const auto& s = o.final();
             const int i = vma_at(s, 0, 2);
             REQUIRE(i >= 0);
             EXPECT("vm_pgoff follows the new address", s.vma[0][i].pgoff == 2);
             EXPECT("the zero-page PTE moved", s.pte[0][2].present && s.pte[0][2].folio == zero_pfn);
             EXPECT("the new address reads 0", read_value(o, 0, 0, 2) == 0);
         }},
        //   before:  [ A   A ]
        //   mremap [1,2) -> 3, then back [3,4) -> 1:
        //   after:   [ A   A ]      the moved piece merges into A again (same anon_vma, pgoff linear)
        {"mremap away and back: the piece merges into its old VMA again (the B11 trigger shape)",
         {act::mmap(0, 0, 2), act::write(0, 0, 0, 1), act::write(0, 0, 1, 2), act::mremap(0, 1, 1, 3),
          act::mremap(0, 3, 1, 1), act::migrate(1)},
         [](const outcome<S>& o) {
             EXPECT("while away: two VMAs", vma_count(o.after(4), 0) == 2);
             const auto& back = o.after(5);
             EXPECT("back: one VMA [0,2) at vm_pgoff 0",
                    vma_count(back, 0) == 1 && back.vma[0][vma_at(back, 0, 0)].pages == 2 &&
                        back.vma[0][vma_at(back, 0, 0)].pgoff == 0);
             EXPECT("av0 has one active VMA again", back.anon_vma[0].num_active_vmas == 1);
             const auto& s = o.final();
             EXPECT("migration reaches the page that travelled", s.pte[0][1].folio == 2 && !s.folio[1].allocated);
             EXPECT("both pages read their values", read_value(o, 0, 0, 0) == 1 && read_value(o, 0, 0, 1) == 2);
         }},
        {"mremap moves the reference values, and TLB entries of the old address are flushed on every cpu",
         {act::mmap(0, 0, 1), act::write(0, 0, 0, 1), act::switch_mm(1, 0), act::read(1, 0, 0),
          act::mremap(0, 0, 1, 2)},
         [](const outcome<S>& o) {
             const auto& before = o.after(4);
             const auto& s = o.final();
             EXPECT("before the move both cpus cache vpage 0", before.tlb[0][0][0].valid && before.tlb[1][0][0].valid);
             EXPECT("move_ptes flushed the old range on cpu0 and cpu1",
                    !s.tlb[0][0][0].valid && !s.tlb[1][0][0].valid);
             EXPECT("the value moved to the new address", s.ref[0][2] == 1 && s.ref[0][0] == 0);
             EXPECT("cpu1 reads 1 at the new address", read_value(o, 1, 0, 2) == 1);
             EXPECT("the old address has no mapping any more", read_value(o, 0, 0, 0) == sigsegv);
         }},
    });
}

// ---------------------------------------------------------------------------
// munmap of part of a VMA
//
//   vpage:     0   1   2   3
//   mmap:     [ A   A   A   A ]    vm_pgoff 0, av0; folio k at vpage k (index k)
//
//   munmap [0,1):     [ A   A   A ]     tail [1,4), vm_pgoff 1
//   munmap [3,4): [ A   A   A ]         head [0,3), vm_pgoff 0
//   munmap [1,3): [ A ]         [ A ]   head [0,1) pgoff 0, tail [3,4) pgoff 3
// ---------------------------------------------------------------------------
TEST_CASE("munmap splits a VMA: head, tail, middle", "[scenario][munmap]") {
    struct piece {
        int start, pages, pgoff;
    };
    struct row {
        const char* description;
        int start, pages;
        std::vector<piece> left;
    };
    const std::vector<row> table = {
        {"munmap of the first page leaves the tail [1,4) at vm_pgoff 1", 0, 1, {{1, 3, 1}}},
        {"munmap of the last page leaves the head [0,3) at vm_pgoff 0", 3, 1, {{0, 3, 0}}},
        {"munmap of the middle leaves head [0,1) pgoff 0 and tail [3,4) pgoff 3", 1, 2, {{0, 1, 0}, {3, 1, 3}}},
    };
    for (const auto& r : table) {
        DYNAMIC_SECTION(r.description) {
            std::vector<action> t = {act::mmap(0, 0, 4)};
            for (int v = 0; v < 4; ++v) t.push_back(act::write(0, 0, v, 1 + v % 2));
            t.push_back(act::munmap(0, r.start, r.pages));
            t.push_back(act::tlb_finish_mmu(0));
            // Migrate every surviving folio: the walk must find it through the new pgoffs.
            for (int v = 0; v < 4; ++v)
                if (v < r.start || v >= r.start + r.pages) t.push_back(act::migrate(v));
            const auto o = run<S>(t);
            INFO(trace_text(t) << "final state:\n" << solver::dump(o.final()));
            const auto& s = o.final();
            EXPECT("the number of VMAs left", vma_count(s, 0) == static_cast<int>(r.left.size()));
            for (const auto& p : r.left) {
                const int i = vma_at(s, 0, p.start);
                INFO("piece [" << p.start << "," << p.start + p.pages << ")");
                REQUIRE(i >= 0);
                EXPECT("vm_start and size", s.vma[0][i].start == p.start && s.vma[0][i].pages == p.pages);
                EXPECT("vm_pgoff keeps every page at its old index", s.vma[0][i].pgoff == p.pgoff);
                EXPECT("every piece keeps av0 (anon_vma_clone on split)", s.vma[0][i].anon_vma == 0);
                EXPECT("the chain is av0 alone", chain_length(s.vma[0][i]) == 1 && s.vma[0][i].chain[0]);
            }
            EXPECT("num_active_vmas = number of pieces",
                   s.anon_vma[0].num_active_vmas == static_cast<int>(r.left.size()));
            for (int v = 0; v < 4; ++v) {
                INFO("vpage " << v);
                const bool gone = v >= r.start && v < r.start + r.pages;
                if (gone) {
                    EXPECT("an unmapped page faults", read_value(o, 0, 0, v) == sigsegv);
                } else {
                    EXPECT("a surviving page was migrated", s.pte[0][v].present && s.pte[0][v].folio != v);
                    EXPECT("its folio keeps index v", s.folio[s.pte[0][v].folio.get()].index == v);
                    EXPECT("it still reads its value", read_value(o, 0, 0, v) == 1 + v % 2);
                }
            }
            EXPECT("only the surviving pages hold folios",
                   live_folios(s) == 4 - r.pages);
        }
    }
}

// ---------------------------------------------------------------------------
// munmap is phased: unmap_vmas + free_pgtables, then tlb_finish_mmu.
//
//   cpu0 (mm0) writes vpage 0, cpu1 (mm0, a second thread) reads it: both cache it.
//   munmap:          PTE cleared, folio0 in mm0.gather (refcount 1, mapcount 0),
//                    anon_vma unlinked; cpu1's TLB entry is still there.
//   tlb_finish_mmu:  flush every cpu in mm_cpumask, then free folio0.
// ---------------------------------------------------------------------------
TEST_CASE("munmap is phased: the folio is freed only after the TLB flush", "[scenario][munmap][tlb]") {
    const std::vector<action> prefix = {act::mmap(0, 0, 1), act::write(0, 0, 0, 1), act::switch_mm(1, 0),
                                        act::read(1, 0, 0), act::munmap(0, 0, 1)};
    auto full = prefix;
    full.push_back(act::tlb_finish_mmu(0));
    run_table({
        {"until tlb_finish_mmu the folio sits in mm.gather and a stale TLB entry still reads the old value",
         prefix,
         [](const outcome<S>& o) {
             const auto& s = o.final();
             EXPECT("the PTE and the VMA are gone", !s.pte[0][0].present && vma_count(s, 0) == 0);
             EXPECT("the folio is unmapped but not freed",
                    s.folio[0].allocated && s.folio[0].mapcount == 0 && s.folio[0].refcount == 1);
             EXPECT("its reference waits in the mmu_gather", s.mm[0].gather[0] == 1);
             EXPECT("free_pgtables already unlinked and freed the anon_vma", live_anon_vmas(s) == 0);
             EXPECT("cpu1 still caches the translation", s.tlb[1][0][0].valid && s.tlb[1][0][0].folio == 0);
             EXPECT("a read through the stale entry returns the old value", read_value(o, 1, 0, 0) == 1);
             EXPECT("the mmap_lock is still held: no mmap until tlb_finish_mmu",
                    s.mm[0].locked && !model::enabled(cfg, s, act::mmap(0, 0, 1)));
         }},
        {"after tlb_finish_mmu every TLB entry is flushed and the folio is freed",
         full,
         [](const outcome<S>& o) {
             const auto& s = o.final();
             EXPECT("no TLB entry is left", tlb_entries(s) == 0);
             EXPECT("the folio is freed", live_folios(s) == 0 && s.mm[0].gather[0] == 0);
             EXPECT("the mmap_lock is released", !s.mm[0].locked);
             EXPECT("the address no longer reads", read_value(o, 1, 0, 0) == sigsegv);
         }},
    });
}

// ---------------------------------------------------------------------------
// mprotect: split, SIGSEGV, merge back
//
//   vpage:   0   1
//   mmap:   [ A   A ]      rw, vm_pgoff 0, av0
//   mprotect [1,2) PROT_READ:
//           [ A ][ B ]     A rw [0,1) pgoff 0; B r [1,2) pgoff 1; both av0
//   mprotect [1,2) PROT_READ|PROT_WRITE:
//           [ A   A ]      merged again (same anon_vma)
// ---------------------------------------------------------------------------
TEST_CASE("mprotect splits and merges VMAs", "[scenario][mprotect]") {
    const std::vector<action> split = {act::mmap(0, 0, 2), act::write(0, 0, 0, 1), act::write(0, 0, 1, 2),
                                       act::mprotect(0, 1, 1, false), act::write(0, 0, 1, 1)};
    auto merged = split;
    merged.push_back(act::mprotect(0, 1, 1, true));
    merged.push_back(act::write(0, 0, 1, 1));
    run_table({
        {"mprotect PROT_READ of the tail splits the VMA; a write there SIGSEGVs and changes nothing",
         split,
         [](const outcome<S>& o) {
             const auto& s = o.final();
             const int a = vma_at(s, 0, 0), b = vma_at(s, 0, 1);
             REQUIRE(a >= 0);
             REQUIRE(b >= 0);
             EXPECT("two VMAs", a != b && vma_count(s, 0) == 2);
             EXPECT("A stays rw [0,1) pgoff 0",
                    s.vma[0][a].flags == VM_WRITE && s.vma[0][a].pages == 1 && s.vma[0][a].pgoff == 0);
             EXPECT("B is read-only [1,2) pgoff 1",
                    s.vma[0][b].flags == 0 && s.vma[0][b].pages == 1 && s.vma[0][b].pgoff == 1);
             EXPECT("both share av0 (__split_vma clones the chain)",
                    s.vma[0][a].anon_vma == 0 && s.vma[0][b].anon_vma == 0 && s.anon_vma[0].num_active_vmas == 2);
             EXPECT("change_protection write-protected the PTE", !s.pte[0][1].writable);
             EXPECT("the failed write changed no state", model::generic::equal(o.after(4), s));
             EXPECT("the page still holds 2", s.ref[0][1] == 2 && read_value(o, 0, 0, 1) == 2);
         }},
        {"mprotect PROT_READ|PROT_WRITE back merges the pieces again; the next write reuses the page",
         merged,
         [](const outcome<S>& o) {
             const auto& back = o.after(6);
             EXPECT("one VMA again", vma_count(back, 0) == 1);
             const int i = vma_at(back, 0, 0);
             REQUIRE(i >= 0);
             EXPECT("[0,2) at vm_pgoff 0", back.vma[0][i].pages == 2 && back.vma[0][i].pgoff == 0);
             EXPECT("same anon_vma, one active VMA",
                    back.vma[0][i].anon_vma == 0 && back.anon_vma[0].num_active_vmas == 1 &&
                        live_anon_vmas(back) == 1);
             const auto& s = o.final();
             EXPECT("the write reused folio1 (still PageAnonExclusive)",
                    s.pte[0][1].folio == 1 && s.pte[0][1].writable && live_folios(s) == 2);
             EXPECT("the write landed", read_value(o, 0, 0, 1) == 1);
         }},
    });
}

// ---------------------------------------------------------------------------
// Merges and find_mergeable_anon_vma
// ---------------------------------------------------------------------------
TEST_CASE("anon_vma sharing between neighbours: reuse and refused merges", "[scenario][merge]") {
    //   vpage:   0   1
    //           [ A ][ B ]   A r, faulted (av0, never forked); B rw, new (flags differ: no mmap merge)
    //   write B: __anon_vma_prepare -> find_mergeable_anon_vma: A is compatible (flags differ only
    //            in VM_WRITE, pgoff linear) and its chain is singular -> B->anon_vma = av0
    const std::vector<action> reuse = {act::mmap(0, 0, 1), act::write(0, 0, 0, 1), act::mprotect(0, 0, 1, false),
                                       act::mmap(0, 1, 1), act::write(0, 0, 1, 2)};
    auto reuse_merge = reuse;
    reuse_merge.push_back(act::mprotect(0, 0, 1, true));
    //   mm1 (fork child):  [ A ][ B ]   A: av1, chain {av0, av1} (a fork child); B: faulted later
    //   B's fault cannot reuse av1 (A's chain is not singular) -> new root av2.
    //   mprotect B PROT_READ, then PROT_READ|PROT_WRITE: flags equal A's again, but av1 != av2.
    const std::vector<action> fork_child = {act::mmap(0, 0, 1), act::write(0, 0, 0, 1), act::fork(0, 1),
                                            act::switch_mm(1, 1), act::mmap(1, 1, 1), act::write(1, 1, 1, 2),
                                            act::mprotect(1, 1, 1, false), act::mprotect(1, 1, 1, true)};
    //   vpage:   0   1
    //           [ A ][ B ]   A rw; B rw|VM_DONTCOPY (MADV_DONTFORK): incompatible, so each fault
    //                        allocates its own root; MADV_DONTFORK on A makes the flags equal.
    const std::vector<action> two_roots = {act::mmap(0, 0, 2),       act::madv_dontfork(0, 1, 1),
                                           act::write(0, 0, 0, 1),   act::write(0, 0, 1, 2),
                                           act::madv_dontfork(0, 0, 1)};
    run_table({
        {"find_mergeable_anon_vma: a fault next to a faulted, never-forked VMA reuses its anon_vma",
         reuse,
         [](const outcome<S>& o) {
             EXPECT("mmap of B did not merge (flags differ)", vma_count(o.after(4), 0) == 2);
             const auto& s = o.final();
             const int b = vma_at(s, 0, 1);
             REQUIRE(b >= 0);
             EXPECT("B took A's anon_vma", s.vma[0][b].anon_vma == 0 && chain_length(s.vma[0][b]) == 1);
             EXPECT("no second anon_vma was allocated", live_anon_vmas(s) == 1);
             EXPECT("av0 has two active VMAs", s.anon_vma[0].num_active_vmas == 2);
             EXPECT("B's folio is filed under av0 at index 1", s.folio[1].mapping == 0 && s.folio[1].index == 1);
         }},
        {"... and once the flags match again A and B merge into one VMA (same anon_vma)",
         reuse_merge,
         [](const outcome<S>& o) {
             const auto& s = o.final();
             EXPECT("one VMA [0,2)", vma_count(s, 0) == 1 && s.vma[0][vma_at(s, 0, 0)].pages == 2);
             EXPECT("av0 has one active VMA", s.anon_vma[0].num_active_vmas == 1);
             EXPECT("both pages still read their values", read_value(o, 0, 0, 0) == 1 && read_value(o, 0, 0, 1) == 2);
         }},
        {"merge refused: a fork child's VMA and a separately faulted neighbour stay two VMAs",
         fork_child,
         [](const outcome<S>& o) {
             const auto& mapped = o.after(5);
             EXPECT("is_mergeable_anon_vma: an unfaulted range does not join a fork child",
                    vma_count(mapped, 1) == 2);
             const auto& s = o.final();
             const int a = vma_at(s, 1, 0), b = vma_at(s, 1, 1);
             REQUIRE(a >= 0);
             REQUIRE(b >= 0);
             EXPECT("A is the fork child: av1 on chain {av0, av1}",
                    s.vma[1][a].anon_vma == 1 && chain_length(s.vma[1][a]) == 2);
             EXPECT("B got its own root av2 (A's chain is not singular)",
                    s.vma[1][b].anon_vma == 2 && s.anon_vma[2].root == 2 && chain_length(s.vma[1][b]) == 1);
             EXPECT("the flags are equal again", s.vma[1][a].flags == s.vma[1][b].flags);
             EXPECT("page offsets are linear", s.vma[1][b].pgoff == s.vma[1][a].pgoff + 1);
             EXPECT("still two VMAs: the anon_vmas differ", vma_count(s, 1) == 2);
         }},
        {"merge refused: two separately faulted roots stay two VMAs after madvise makes the flags equal",
         two_roots,
         [](const outcome<S>& o) {
             const auto& s = o.final();
             const int a = vma_at(s, 0, 0), b = vma_at(s, 0, 1);
             REQUIRE(a >= 0);
             REQUIRE(b >= 0);
             EXPECT("two roots", s.vma[0][a].anon_vma == 0 && s.vma[0][b].anon_vma == 1);
             EXPECT("the flags are equal", s.vma[0][a].flags == s.vma[0][b].flags);
             EXPECT("still two VMAs", vma_count(s, 0) == 2);
         }},
    });
}

// ---------------------------------------------------------------------------
// madvise
// ---------------------------------------------------------------------------
TEST_CASE("madvise: WIPEONFORK, DONTFORK, DONTNEED", "[scenario][madvise]") {
    run_table({
        {"fork with MADV_WIPEONFORK: the child VMA exists, reads zero and has no anon_vma",
         {act::mmap(0, 0, 1), act::write(0, 0, 0, 1), act::madv_wipeonfork(0, 0, 1), act::fork(0, 1)},
         [](const outcome<S>& o) {
             const auto& s = o.final();
             const int i = vma_at(s, 1, 0);
             REQUIRE(i >= 0);
             EXPECT("the child VMA keeps VM_WIPEONFORK", (s.vma[1][i].flags & model::VM_WIPEONFORK) != 0);
             EXPECT("dup_mmap gives it no anon_vma", s.vma[1][i].anon_vma == nil && chain_length(s.vma[1][i]) == 0);
             EXPECT("no PTE was copied", !s.pte[1][0].present);
             EXPECT("the child reads 0", read_value(o, 1, 1, 0) == 0);
             EXPECT("the parent's page was not shared: still exclusive, writable",
                    s.folio[0].mapcount == 1 && s.folio[0].anon_exclusive && s.pte[0][0].writable);
             EXPECT("the parent reads 1", read_value(o, 0, 0, 0) == 1);
         }},
        {"fork with MADV_DONTFORK: the child has no VMA there",
         {act::mmap(0, 0, 1), act::write(0, 0, 0, 1), act::madv_dontfork(0, 0, 1), act::fork(0, 1)},
         [](const outcome<S>& o) {
             const auto& s = o.final();
             EXPECT("VM_DONTCOPY: the VMA is not copied", vma_count(s, 1) == 0);
             EXPECT("the child's access faults", read_value(o, 1, 1, 0) == sigsegv);
             EXPECT("the parent's page is untouched", s.folio[0].mapcount == 1 && s.folio[0].anon_exclusive);
         }},
        {"MADV_DONTNEED frees the folio; the next read gives zero",
         {act::mmap(0, 0, 1), act::write(0, 0, 0, 1), act::madv_dontneed(0, 0, 1)},
         [](const outcome<S>& o) {
             const auto& s = o.final();
             EXPECT("the PTE is zapped", !s.pte[0][0].present);
             EXPECT("the folio is freed", live_folios(s) == 0);
             EXPECT("the TLB was flushed", tlb_entries(s) == 0);
             EXPECT("the VMA keeps its anon_vma", s.vma[0][0].anon_vma == 0);
             EXPECT("the read gives zero", read_value(o, 0, 0, 0) == 0);
         }},
        {"MADV_DONTNEED in a fork child drops only the child's mapping",
         {act::mmap(0, 0, 1), act::write(0, 0, 0, 1), act::fork(0, 1), act::switch_mm(1, 1), act::read(1, 1, 0),
          act::madv_dontneed(1, 0, 1)},
         [](const outcome<S>& o) {
             const auto& s = o.final();
             EXPECT("folio0 is mapped and referenced by the parent only",
                    s.folio[0].mapcount == 1 && s.folio[0].refcount == 1);
             EXPECT("cpu1's entry for the child was flushed", !s.tlb[1][1][0].valid);
             EXPECT("the child reads zero", read_value(o, 1, 1, 0) == 0);
             EXPECT("the parent reads 1", read_value(o, 0, 0, 0) == 1);
         }},
    });
}

// ---------------------------------------------------------------------------
// Migration: rmap_walk_anon must reach every mapping
//
//   mm0 [ A ] av0 --fork--> mm1 [ A ] av1 --fork--> mm2 [ A ] av2
//   folio0 (mapping av0) is mapped by all three; av0's tree holds every VMA.
// ---------------------------------------------------------------------------
TEST_CASE("migration reaches every mapping", "[scenario][migrate]") {
    run_table({
        {"after a fork chain (parent, child, grandchild) every PTE points to the new folio",
         {act::mmap(0, 0, 1), act::write(0, 0, 0, 1), act::fork(0, 1), act::fork(1, 2), act::switch_mm(1, 2),
          act::read(1, 2, 0), act::read(0, 0, 0), act::migrate(0)},
         [](const outcome<S>& o) {
             const auto& before = o.after(7);
             EXPECT("folio0 is mapped three times", before.folio[0].mapcount == 3);
             EXPECT("the grandchild's chain is {av0, av1, av2}", chain_length(before.vma[2][0]) == 3);
             const auto& s = o.final();
             for (int m = 0; m < 3; ++m) {
                 INFO("mm" << m);
                 EXPECT("the PTE maps the new folio", s.pte[m][0].present && s.pte[m][0].folio == 1);
                 EXPECT("it reads 1", read_value(o, 0, m, 0) == 1);
             }
             EXPECT("the old folio is freed", !s.folio[0].allocated);
             EXPECT("the new folio: three mappings, mapping av0, index 0",
                    s.folio[1].mapcount == 3 && s.folio[1].refcount == 3 && s.folio[1].mapping == 0 &&
                        s.folio[1].index == 0);
             EXPECT("the TLB entries of the old folio were flushed",
                    !s.tlb[0][0][0].valid && !s.tlb[1][2][0].valid);
         }},
        {"after the parent exits, the child's chain keeps av0 alive and the walk still finds the page",
         {act::mmap(0, 0, 1), act::write(0, 0, 0, 1), act::fork(0, 1), act::exit(0), act::migrate(0)},
         [](const outcome<S>& o) {
             const auto& s = o.final();
             EXPECT("av0 is live with no active VMA", s.anon_vma[0].live && s.anon_vma[0].num_active_vmas == 0);
             EXPECT("the child's PTE maps the new folio", s.pte[1][0].folio == 1 && !s.folio[0].allocated);
             EXPECT("the child reads 1", read_value(o, 0, 1, 0) == 1);
         }},
    });
}

// ---------------------------------------------------------------------------
// anon_vma_fork: reuse of an idle anon_vma (7a3ef208e662, rule of 2555283eb40d)
//
//   gen 0:  mm0 [A] av0 (root: num_children 1, its self link)
//   fork 0->1, exit 0: mm1 [A] av1 (parent av0); av0: no VMA, num_children 2 (self + av1)
//   fork 1->0:  the root is never reused (num_children 2); av1 has a VMA -> new av2
//   exit 1:     av1: no VMA, num_children 1 (av2)
//   fork 0->1:  av1 is idle with one child -> reused; no new anon_vma
// ---------------------------------------------------------------------------
TEST_CASE("anon_vma_fork reuses an idle anon_vma", "[scenario][anon_vma]") {
    const std::vector<action> gen2 = {act::mmap(0, 0, 1), act::write(0, 0, 0, 1), act::fork(0, 1), act::exit(0),
                                      act::fork(1, 0)};
    auto gen3 = gen2;
    gen3.push_back(act::exit(1));
    gen3.push_back(act::fork(0, 1));
    run_table({
        {"fork, parent exits, child forks: the root is not reusable (self link + child), a new anon_vma is made",
         gen2,
         [](const outcome<S>& o) {
             const auto& s = o.final();
             EXPECT("av0: no active VMA but num_children 2",
                    s.anon_vma[0].num_active_vmas == 0 && s.anon_vma[0].num_children == 2);
             EXPECT("the grandchild got a new anon_vma av2 under av1",
                    s.vma[0][0].anon_vma == 2 && s.anon_vma[2].parent == 1 && s.anon_vma[2].root == 0);
             EXPECT("three anon_vmas", live_anon_vmas(s) == 3);
         }},
        {"one more generation: the idle av1 (no VMA, one child) is reused instead of allocating",
         gen3,
         [](const outcome<S>& o) {
             const auto& s = o.final();
             EXPECT("the new child's VMA reuses av1", s.vma[1][0].anon_vma == 1);
             EXPECT("av1: one active VMA, one child",
                    s.anon_vma[1].num_active_vmas == 1 && s.anon_vma[1].num_children == 1);
             EXPECT("no anon_vma was allocated", live_anon_vmas(s) == 3);
             EXPECT("the chain does not grow: {av0, av1, av2}", chain_length(s.vma[1][0]) == 3);
             EXPECT("the page still reads 1", read_value(o, 0, 1, 0) == 1);
         }},
        {"grandchild whose parent exited: its own fork reuses the idle middle anon_vma",
         {act::mmap(0, 0, 1), act::write(0, 0, 0, 1), act::fork(0, 1), act::fork(1, 2), act::exit(1),
          act::fork(2, 1)},
         [](const outcome<S>& o) {
             const auto& before = o.after(5);
             EXPECT("after the exit av1 is idle with one child (av2)",
                    before.anon_vma[1].num_active_vmas == 0 && before.anon_vma[1].num_children == 1);
             const auto& s = o.final();
             EXPECT("the new VMA of mm1 reuses av1", s.vma[1][0].anon_vma == 1);
             EXPECT("no fourth anon_vma", live_anon_vmas(s) == 3);
         }},
    });
}

// ---------------------------------------------------------------------------
// Teardown: exit and execve
// ---------------------------------------------------------------------------
TEST_CASE("exit and execve tear the address space down", "[scenario][exit]") {
    run_table({
        // mm1 is forked first, empty: the last live process (init) never exits.
        {"exit frees everything: no folio, no anon_vma, no TLB entry is left",
         {act::fork(0, 1), act::mmap(0, 0, 2), act::write(0, 0, 0, 1), act::write(0, 0, 1, 2), act::fork(0, 2),
          act::switch_mm(1, 2), act::write(1, 2, 0, 2), act::read(1, 2, 1), act::exit(2), act::exit(0)},
         [](const outcome<S>& o) {
             const auto& before = o.after(8);
             EXPECT("before the exits: three folios, two anon_vmas",
                    live_folios(before) == 3 && live_anon_vmas(before) == 2);
             const auto& s = o.final();
             EXPECT("no live folio", live_folios(s) == 0);
             EXPECT("no live anon_vma", live_anon_vmas(s) == 0);
             EXPECT("no TLB entry", tlb_entries(s) == 0);
             EXPECT("the exited mms are gone", !s.mm[0].live && !s.mm[2].live);
             EXPECT("their cpus are idle", s.cpu[0].mm == nil && s.cpu[1].mm == nil);
         }},
        {"execve tears down and leaves an empty live mm",
         {act::fork(0, 1), act::switch_mm(1, 0), act::mmap(0, 0, 1), act::write(0, 0, 0, 1), act::read(1, 0, 0),
          act::switch_mm(1, 1), act::execve(0)},
         [](const outcome<S>& o) {
             const auto& s = o.final();
             EXPECT("mm0 is live and empty", s.mm[0].live && vma_count(s, 0) == 0);
             EXPECT("nothing of the old image is left",
                    live_folios(s) == 0 && live_anon_vmas(s) == 0 && tlb_entries(s) == 0);
             EXPECT("the new mm_cpumask holds only the cpu running it",
                    s.mm[0].cpumask[0] && !s.mm[0].cpumask[1] && s.cpu[0].mm == 0);
             EXPECT("the old address faults", read_value(o, 0, 0, 0) == sigsegv);
         }},
    });
}

// ---------------------------------------------------------------------------
// TLBs
// ---------------------------------------------------------------------------
TEST_CASE("TLB flushes and mm_cpumask", "[scenario][tlb]") {
    run_table({
        {"after fork the parent's writable TLB entries are flushed (write-protect + flush_tlb_mm)",
         {act::mmap(0, 0, 1), act::write(0, 0, 0, 1), act::switch_mm(1, 0), act::write(1, 0, 0, 1),
          act::fork(0, 1)},
         [](const outcome<S>& o) {
             const auto& before = o.after(4);
             EXPECT("before fork both cpus cache a writable translation",
                    before.tlb[0][0][0].writable && before.tlb[1][0][0].writable);
             const auto& s = o.final();
             EXPECT("the parent's PTE is write-protected", !s.pte[0][0].writable);
             EXPECT("flush_tlb_mm reached both cpus", !s.tlb[0][0][0].valid && !s.tlb[1][0][0].valid);
         }},
        {"switch_mm adds the cpu to mm_cpumask; the bit stays and later flushes reach it",
         {act::fork(0, 1), act::switch_mm(1, 0), act::mmap(0, 0, 1), act::write(0, 0, 0, 1), act::read(1, 0, 0),
          act::switch_mm(1, 1), act::mprotect(0, 0, 1, false)},
         [](const outcome<S>& o) {
             EXPECT("initially only cpu0 is in mm0's mask", o.after(1).mm[0].cpumask[0] && !o.after(1).mm[0].cpumask[1]);
             EXPECT("switch_mm added cpu1", o.after(2).mm[0].cpumask[1] && o.after(2).cpu[1].mm == 0);
             const auto& away = o.after(6);
             EXPECT("after switching away cpu1 stays in mm0's mask and keeps its PCID-tagged entry",
                    away.mm[0].cpumask[1] && away.mm[1].cpumask[1] && away.tlb[1][0][0].valid);
             const auto& s = o.final();
             EXPECT("mprotect's flush reached cpu1 although it runs mm1 now", !s.tlb[1][0][0].valid);
         }},
        //   cpu0, cpu1 run mm0 (two threads); mm1 is the fork child, folio0 = 1 shared read-only.
        //   cpu1 reads [0]       -> cpu1 caches folio0, read-only
        //   cpu0 writes [0] = 2  -> wp_page_copy: folio1; ptep_clear_flush drops cpu1's entry
        //   cpu1 reads 2, then writes 2 through a fresh writable entry to folio1
        {"a write through the TLB on a second cpu after the COW break on the first is coherent",
         {act::mmap(0, 0, 1), act::write(0, 0, 0, 1), act::fork(0, 1), act::switch_mm(1, 0), act::read(1, 0, 0),
          act::write(0, 0, 0, 2), act::read(1, 0, 0), act::write(1, 0, 0, 2)},
         [](const outcome<S>& o) {
             const auto& broken = o.after(6);
             EXPECT("the COW break flushed cpu1's stale entry to folio0", !broken.tlb[1][0][0].valid);
             EXPECT("cpu1 sees cpu0's write at once", read_value(o.cfg, broken, 1, 0, 0) == 2);
             const auto& s = o.final();
             EXPECT("both cpus translate to folio1",
                    s.tlb[0][0][0].folio == 1 && s.tlb[1][0][0].folio == 1 && s.tlb[1][0][0].writable);
             EXPECT("cpu1's write did not land in the child's folio0", s.folio[0].content == 1);
             EXPECT("the parent reads 2 on both cpus", read_value(o, 0, 0, 0) == 2 && read_value(o, 1, 0, 0) == 2);
             EXPECT("the child still reads 1", read_value(o, 0, 1, 0) == 1);
         }},
    });
}
