// tests/test_anon_vma_degree.cpp — CVE-2022-42703 (anon_vma_degree_reuse) step by step.
//
// The pre-2555283eb40d kernel decided anon_vma reuse in anon_vma_clone() by one
// counter, degree = (VMAs whose vma->anon_vma it is) + (child anon_vmas, plus the
// root's self link), reusing any anon_vma on the source chain other than
// src->anon_vma with degree < 2.  It assumed such an anon_vma always has a child
// (so degree 1 meant "no VMA").  Reuse breaks that assumption: a VMA that reused an
// interior anon_vma A and then forks gives its child a new anon_vma under A, so a
// chain can hold a leaf B that is nobody's ancestor.  Such a leaf with no VMA and
// no child (degree 0) is reused twice by one fork with two VMAs: the first reuse
// makes degree 1, which the old rule still admits.  The two VMAs of the new mm then
// share anon_vma B with different chains, vma_merge() trusts the pointer equality
// (is_mergeable_anon_vma), and the merged VMA drops one chain's AVCs: a folio of
// the dropped anon_vma stays mapped after its anon_vma is freed.
//
// The trace (default preset; av = anon_vma slot, at most 4 mms live):
//
//    1 mm0 mmap [0,2)               mm0 [  av0  ]  (root R)
//    2 cpu0 write mm0[0] = 1        folio0, mapping av0
//    3 mm0 fork -> mm1              mm1 av1 (parent av0)               chain {0,1}
//    4 mm1 fork -> mm2              mm2 av2 (parent av1)               chain {0,1,2}
//    5 mm1 exit                     av1: no VMA, one child (av2)
//    6 mm2 fork -> mm1              mm1 reuses av1 (legitimately)      chain {0,1,2}
//    7 mm2 mprotect [1,2) R         mm2 splits: av2 has two VMAs (degree 2)
//    8 mm1 mprotect [1,2) R         mm1 splits: [0,1) rw, [1,2) r, both av1
//    9 mm1 fork -> mm3              av2 not reusable (two VMAs): new anon_vmas under av1,
//                                   mm3 [0,1) av3 chain {0,1,2,3}, [1,2) av4 chain {0,1,2,4}
//   10 mm2 exit                     av2: no VMA, no child: a degree-0 leaf on both chains
//   11 cpu0 switch_mm -> mm3
//   12 cpu0 write mm3[0] = 2        COW: folio1, mapping av3
//   13 mm3 fork -> mm2              [0,1) reuses av2 (degree 0); [1,2) reuses av2 again
//                                   (degree 1 < 2): same anon_vma, chains {0,1,2,3} and
//                                   {0,1,2,4}  -> anon_vma_chain_shape (I4) breaks
//   14 mm2 mprotect [0,1) R         vma_merge: [0,1) merges into [1,2), whose chain lacks av3;
//                                   folio1 (av3) is mapped there -> rmap_complete (I3) breaks
//   15 mm3 exit                     av3's tree empties: av3 is freed while folio1 is mapped
//                                   -> mapped_folio_anon_vma_live (I6) breaks
//   16 migrate folio1               rmap_walk_anon reads the freed av3 -> no_kernel_bug
//
// The fixed model takes the same trace cleanly: at step 13 the second VMA gets a
// new anon_vma (av2 has an active VMA by then), and step 14 cannot merge.
#include "tests/scenario.hpp"

using namespace scenario;
using props::inv;
using S = default_state;

namespace {

const std::vector<action> trace = {
    act::mmap(0, 0, 2),        act::write(0, 0, 0, 1),    act::fork(0, 1),          act::fork(1, 2),
    act::exit(1),              act::fork(2, 1),           act::mprotect(2, 1, 1, false),
    act::mprotect(1, 1, 1, false), act::fork(1, 3),       act::exit(2),             act::switch_mm(0, 3),
    act::write(0, 3, 0, 2),    act::fork(3, 2),           act::mprotect(2, 0, 1, false), act::exit(3),
    act::migrate(1),
};

model::config mutant_cfg() {
    auto cfg = model::config::defaults<model::preset_default>();
    cfg.inject(model::mutant::anon_vma_degree_reuse);
    return cfg;
}

std::vector<bool> chain_of(const model::vma_t<model::concrete, model::preset_default>& v) {
    std::vector<bool> c;
    for (const bool k : v.chain) c.push_back(k);
    return c;
}

}  // namespace

TEST_CASE("anon_vma_degree_reuse: double reuse, merge, use-after-free (CVE-2022-42703)",
          "[scenario][anon_vma][mutant]") {
    SECTION("fixed model: the whole trace is clean") {
        const auto o = run<S>(trace);   // every invariant after every step
        const auto& s = o.after(13);
        INFO(trace_text(trace, 13) << solver::dump(s));
        CHECK(s.vma[2][0].anon_vma == 2);   // the idle leaf is reused once (num_active_vmas 0)
        CHECK(s.vma[2][1].anon_vma == 5);   // then it has a VMA: a new anon_vma under av4
        CHECK(s.anon_vma[5].parent == 4);
        CHECK(vma_count(o.after(14), 2) == 2);   // different anon_vmas: no merge
    }

    SECTION("mutant: each invariant breaks where the trace says") {
        const auto cfg = mutant_cfg();
        const auto o = run<S>(cfg, trace, /*check_invariants=*/false);
        INFO(trace_text(trace));
        for (int k = 0; k <= 12; ++k) {
            INFO("after step " << k << " nothing is broken yet");
            CHECK(broken_names(cfg, o.after(k)).empty());
        }
        // Steps 1-12 are the fixed kernel's own: the reuse at step 6 is legitimate and at
        // step 9 av2 (two VMAs) is not reusable, so mm3 gets av3 and av4 under av1.
        {
            const auto& s = o.after(10);
            CHECK(s.vma[3][0].anon_vma == 3);
            CHECK(s.vma[3][1].anon_vma == 4);
            CHECK(s.anon_vma[3].parent == 1);
            CHECK(s.anon_vma[4].parent == 1);
            INFO("av2 is a leaf with no VMA and no child: old degree 0");
            CHECK(s.anon_vma[2].live);
            CHECK(s.anon_vma[2].num_active_vmas == 0);
            CHECK(s.anon_vma[2].num_children == 0);
            CHECK(s.vma[3][0].chain[2]);
            CHECK(s.vma[3][1].chain[2]);
        }
        // Step 13: both VMAs of mm2 reuse av2, with the different chains of their sources.
        {
            const auto& s = o.after(13);
            CHECK(s.vma[2][0].anon_vma == 2);
            CHECK(s.vma[2][1].anon_vma == 2);
            CHECK(s.anon_vma[2].num_active_vmas == 2);
            CHECK(chain_of(s.vma[2][0]) == chain_of(o.after(12).vma[3][0]));
            CHECK(chain_of(s.vma[2][1]) == chain_of(o.after(12).vma[3][1]));
            CHECK(s.vma[2][0].chain[3]);
            CHECK_FALSE(s.vma[2][1].chain[3]);
            CHECK(live_anon_vmas(s) == 5);   // nothing allocated by this fork
            CHECK(broken_names(cfg, s) == "anon_vma_chain_shape");
        }
        // Step 14: the merge keeps [1,2)'s VMA and chain; folio1 (av3) is no longer reachable.
        {
            const auto& s = o.after(14);
            CHECK(vma_count(s, 2) == 1);
            CHECK(s.pte[2][0].folio == 1);
            CHECK(s.folio[1].mapping == 3);
            CHECK_FALSE(s.vma[2][vma_at(s, 2, 0)].chain[3]);
            CHECK(broken_names(cfg, s) == "rmap_complete");
        }
        // Step 15: av3 freed while folio1 is still mapped by mm2.
        {
            const auto& s = o.after(15);
            CHECK_FALSE(s.anon_vma[3].live);
            CHECK(s.folio[1].allocated);
            CHECK(s.folio[1].mapcount == 1);
            CHECK(broken_names(cfg, s) == "rmap_complete, mapped_folio_anon_vma_live");
        }
        // Step 16: the rmap walk of migration dereferences the freed anon_vma.
        {
            const auto& s = o.final();
            CHECK(s.bug == static_cast<int>(model::bug::rmap_walk_freed_anon_vma));
            CHECK_FALSE(props::holds(inv::no_kernel_bug, cfg, s));
        }
    }
}
