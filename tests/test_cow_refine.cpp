// tests/test_cow_refine.cpp — refinement of anon_vma by the COW context design
// (solver/refine.hpp), the COW context mutants, and the phased fork.
//
// Refinement: the same action sequence on both designs gives the same observations
// (PTEs, TLB entries, read results, reference memory) and the same confirmed rmap
// mappings.  With every --cow-fix on it holds (a RapidCheck property over random
// sequences, and every sequence to a depth); as coded it fails, and the check
// names the walk that misses a mapping.
#include <catch2/catch.hpp>
#include <rapidcheck/catch.h>

#include "cli_run.hpp"
#include "solver/dot.hpp"
#include "solver/explore.hpp"
#include "solver/narrative.hpp"
#include "solver/refine.hpp"
#include "tests/scenario.hpp"

using namespace scenario;
using props::inv;

namespace {

using S = model::state<model::concrete, model::preset_small>;

model::config pair_cfg(model::design d, bool fixes) {
    auto cfg = model::config::defaults<model::preset_small>();
    cfg.rmap = d;
    if (fixes)
        for (const auto& f : model::cow_fixes()) cfg.fix(f.id);
    return cfg;
}

/// Run RapidCheck-chosen words as actions on both designs (words whose action is
/// disabled in both are skipped); the divergence text, or "" if they agree.
std::string pair_walk(const model::config& ca, const model::config& cb, const solver::picker& pick,
                      const std::vector<std::uint32_t>& words) {
    std::vector<action> trace;
    for (auto w : words) trace.push_back(pick(w));
    const auto r = solver::run_pair<S>(ca, cb, trace, /*skip_disabled=*/true);
    return r.diverged ? r.what + " after: " + trace_text(r.trace) : std::string();
}

}  // namespace

TEST_CASE("refine: with every --cow-fix, random sequences agree with anon_vma (RapidCheck)", "[cow_context][refine][property]") {
    const auto ca = pair_cfg(model::design::anon_vma, false), cb = pair_cfg(model::design::cow_context, true);
    const solver::picker pick(ca);
    rc::prop("observations and confirmed rmap mappings agree", [&] {
        const auto words = *rc::gen::container<std::vector<std::uint32_t>>(80, rc::gen::arbitrary<std::uint32_t>());
        const std::string d = pair_walk(ca, cb, pick, words);
        if (!d.empty()) RC_FAIL(d);
    });
}

TEST_CASE("refine: as coded, the RapidCheck property finds a divergence", "[cow_context][refine][property]") {
    const auto ca = pair_cfg(model::design::anon_vma, false), cb = pair_cfg(model::design::cow_context, false);
    const solver::picker pick(ca);
    // The property must be able to fail: rc::check reports (and shrinks) the counterexample.
    const bool held = rc::check("as coded: observations and confirmed rmap mappings agree", [&] {
        const auto words = *rc::gen::container<std::vector<std::uint32_t>>(80, rc::gen::arbitrary<std::uint32_t>());
        RC_ASSERT(pair_walk(ca, cb, pick, words).empty());
    });
    CHECK_FALSE(held);
}

TEST_CASE("refine: every sequence to depth 4 at small agrees with every --cow-fix", "[cow_context][refine]") {
    const auto ca = pair_cfg(model::design::anon_vma, false), cb = pair_cfg(model::design::cow_context, true);
    solver::refine_options o;
    o.depth = 4;
    const auto r = solver::refine_search<S>(ca, cb, o);
    INFO(r.what << " after " << trace_text(r.trace));
    CHECK_FALSE(r.diverged);
    CHECK(r.complete);
    CHECK(r.clean_depth == 4);
    CHECK(r.pairs > 1000);
}

TEST_CASE("refine: as coded, the search finds the shortest divergence (mmap, write, mremap)", "[cow_context][refine]") {
    const auto ca = pair_cfg(model::design::anon_vma, false), cb = pair_cfg(model::design::cow_context, false);
    solver::refine_options o;
    o.depth = 4;
    const auto r = solver::refine_search<S>(ca, cb, o);
    REQUIRE(r.diverged);
    CHECK(r.clean_depth == 2);
    REQUIRE(r.trace.size() == 3);
    CHECK(r.trace[0].kind == op::mmap);
    CHECK(r.trace[1].kind == op::write);
    CHECK(r.trace[2].kind == op::mremap);
    // The moved exclusive folio: anon_vma's walk confirms the mapping, the PoC's stops early.
    CHECK(r.what.find("rmap walk confirms {mm0[") != std::string::npos);
    CHECK(r.what.find("{} under cow_context") != std::string::npos);
    // Replaying it gives the same divergence; with early_stop_if_found it agrees.
    CHECK(solver::run_pair<S>(ca, cb, r.trace).diverged);
    auto fixed = cb;
    fixed.fix(model::cow_fix::early_stop_if_found);
    CHECK_FALSE(solver::run_pair<S>(ca, fixed, r.trace).diverged);
}

TEST_CASE("refine: folio slots are names, a migration is compared under the pairing", "[cow_context][refine]") {
    // After the missed mapping, migration succeeds under anon_vma (the page moves to a
    // new folio) and fails under the PoC (the old folio stays): a process sees the same
    // memory, and the pairing maps anon_vma's new folio to the PoC's old one, whose walk
    // still misses the mapping.
    const auto ca = pair_cfg(model::design::anon_vma, false), cb = pair_cfg(model::design::cow_context, false);
    S a = model::initial_state<S>(&ca), b = model::initial_state<S>(&cb);
    for (const auto& x : {act::mmap(0, 0, 1), act::write(0, 0, 0, 1), act::mremap(0, 0, 1, 1)})
        REQUIRE(solver::step_pair(ca, a, cb, b, x) == solver::pair_step::both);
    REQUIRE(solver::step_pair(ca, a, cb, b, act::migrate(0)) == solver::pair_step::both);
    CHECK(a.pte[0][1].folio == 1);
    CHECK(b.pte[0][1].folio == 0);
    const auto [pairing, bad] = solver::folio_pairing(a, b);
    CHECK_FALSE(bad.has_value());
    CHECK(pairing == std::map<int, int>{{1, 0}});
    const auto d = solver::observation_diff(ca, a, cb, b);
    REQUIRE(d.has_value());
    CHECK(d->find("folio1 (folio0 under cow_context): the rmap walk confirms {mm0[1]}") != std::string::npos);
    // With the fix the PoC migrates too: the same pages, no difference.
    auto fixed = cb;
    fixed.fix(model::cow_fix::early_stop_if_found);
    CHECK_FALSE(solver::run_pair<S>(ca, fixed, {act::mmap(0, 0, 1), act::write(0, 0, 0, 1), act::mremap(0, 0, 1, 1),
                                                act::migrate(0)})
                    .diverged);
}

TEST_CASE("refine: a PTE difference is an observation difference", "[cow_context][refine]") {
    const auto ca = pair_cfg(model::design::anon_vma, false), cb = pair_cfg(model::design::cow_context, true);
    S a = model::initial_state<S>(&ca), b = model::initial_state<S>(&cb);
    for (const auto& x : {act::mmap(0, 0, 1), act::write(0, 0, 0, 1)})
        REQUIRE(solver::step_pair(ca, a, cb, b, x) == solver::pair_step::both);
    CHECK_FALSE(solver::observation_diff(ca, a, cb, b).has_value());
    b.pte[0][0].writable = false;   // a hand-made difference
    const auto d = solver::observation_diff(ca, a, cb, b);
    REQUIRE(d.has_value());
    CHECK(*d == "PTE mm0[0]");
    b = a;
    b.folio[0].content = model::cint(7);
    REQUIRE(solver::observation_diff(ca, a, cb, b).has_value());
}

// ---------------------------------------------------------------------------
// Mutants of the COW context design, on the fixed design.
// ---------------------------------------------------------------------------

namespace {

model::config cow_all(std::initializer_list<model::mutant> ms) {
    auto cfg = model::config::defaults<model::preset_default>();
    cfg.rmap = model::design::cow_context;
    for (const auto& f : model::cow_fixes()) cfg.fix(f.id);
    for (auto m : ms) cfg.inject(m);
    return cfg;
}

struct cow_mutant_case {
    model::mutant m;
    std::vector<action> trace;
    inv broken;
};

}  // namespace

TEST_CASE("cow_context mutants: each trace breaks the fixed design with the mutant, not without", "[cow_context][mutant]") {
    using M = model::mutant;
    const std::vector<cow_mutant_case> cases = {
        {M::cow_partial_remap_unrecorded,
         {act::mmap(0, 0, 2), act::write(0, 0, 0, 1), act::write(0, 0, 1, 1), act::mremap(0, 1, 1, 3)},
         inv::rmap_complete},
        {M::cow_walk_skips_descendants, {act::mmap(0, 0, 1), act::write(0, 0, 0, 1), act::fork(0, 1)},
         inv::rmap_complete},
        {M::cow_folio_ref_not_taken, {act::mmap(0, 0, 1), act::write(0, 0, 0, 1)}, inv::cow_context_refcount_exact},
        {M::cow_remap_wrong_side,
         {act::mmap(0, 0, 2), act::write(0, 0, 0, 1), act::write(0, 0, 1, 1), act::mremap(0, 1, 1, 3)},
         inv::rmap_complete},
    };
    for (const auto& c : cases) {
        const auto& info = model::mutants()[static_cast<int>(c.m)];
        DYNAMIC_SECTION(info.name) {
            CHECK(info.applies(model::design::cow_context));
            CHECK_FALSE(info.applies(model::design::anon_vma));
            const auto cfg = cow_all({c.m});
            const auto o = run<default_state>(cfg, c.trace, /*check_invariants=*/false);
            CHECK_FALSE(props::holds(c.broken, cfg, o.final()));
            run<default_state>(cow_all({}), c.trace);   // clean without the mutant, every invariant every step
        }
    }
}

TEST_CASE("cow_folio_ref_not_taken: the context is freed while a folio points to it", "[cow_context][mutant]") {
    const auto cfg = cow_all({model::mutant::cow_folio_ref_not_taken});
    // Two folios, the first one unmapped: its free puts the reference it never took,
    // and mm0's context goes while folio1 (and mm0 itself) still point to it.
    const auto o = run<default_state>(cfg,
                                      {act::mmap(0, 0, 2), act::write(0, 0, 0, 1), act::write(0, 0, 1, 1),
                                       act::munmap(0, 0, 1), act::tlb_finish_mmu(0)},
                                      /*check_invariants=*/false);
    const auto& s = o.final();
    REQUIRE(s.folio[1].allocated);
    CHECK_FALSE(s.cow_ctx[s.folio[1].cow_context.get()].live);
    auto t = s;
    REQUIRE(model::step(cfg, t, act::migrate(1)));
    CHECK(t.bug == static_cast<int>(model::bug::rmap_walk_freed_cow_context));
}

// ---------------------------------------------------------------------------
// The phased fork: an rmap walk between dup_mmap's VMA loop and dup_cow_context.
// ---------------------------------------------------------------------------

TEST_CASE("phased fork: the walk in dup_mmap's window misses the child under the PoC, not under anon_vma",
          "[cow_context][phased]") {
    auto cow = cow_all({});
    cow.cow_fixed &= ~(1u << static_cast<int>(model::cow_fix::fork_links_first));
    cow.phase(model::phased_op::fork);
    auto anon = model::config::defaults<model::preset_default>();
    anon.phase(model::phased_op::fork);
    const std::vector<action> t = {act::mmap(0, 0, 1), act::write(0, 0, 0, 1), act::fork(0, 1)};
    const action done{op::fork_done, {.mm = 0, .mm2 = 1}};
    {
        const auto o = run<default_state>(cow, t, /*check_invariants=*/false);
        const auto& s = o.final();
        CHECK(s.mm[0].locked);
        CHECK(s.mm[1].locked);
        CHECK(model::enabled(cow, s, done));
        CHECK_FALSE(model::enabled(cow, s, act::write(0, 0, 0, 2)));   // the fault waits for the mmap_lock
        CHECK_FALSE(props::holds(inv::rmap_complete, cow, s));
        CHECK(solver::confirmed_mappings(cow, s, 0) == std::set<std::pair<int, int>>{{0, 0}});
        // Migration in the window fails: the child's mapping was not found.
        auto m = s;
        REQUIRE(model::step(cow, m, act::migrate(0)));
        CHECK(m.folio[0].allocated);
        // After fork_done the walk finds both.
        auto d = s;
        REQUIRE(model::step(cow, d, done));
        CHECK_FALSE(d.mm[0].locked);
        CHECK(props::holds(inv::rmap_complete, cow, d));
    }
    {
        // anon_vma links the child's VMA (anon_vma_fork) before copy_page_range: complete.
        const auto o = run<default_state>(anon, t);
        CHECK(props::holds(inv::rmap_complete, anon, o.final()));
    }
    {
        // --cow-fix fork_links_first: dup_cow_context before the loop.
        auto fixed = cow;
        fixed.fix(model::cow_fix::fork_links_first);
        const auto o = run<default_state>(fixed, t);   // every invariant every step
        CHECK(solver::confirmed_mappings(fixed, o.final(), 0) == solver::mapped_at(o.final(), 0));
        auto d = o.final();
        REQUIRE(model::step(fixed, d, done));
        CHECK(props::holds(inv::rmap_complete, fixed, d));
    }
    // Without --phased the fork_done action does not exist and fork is one step.
    const auto plain = cow_all({});
    for (const auto& x : model::actions(plain)) CHECK(x.kind != op::fork_done);
}

TEST_CASE("refine with --phased fork: every fix on agrees, without fork_links_first it diverges", "[cow_context][refine][phased]") {
    auto ca = pair_cfg(model::design::anon_vma, false), cb = pair_cfg(model::design::cow_context, true);
    ca.phase(model::phased_op::fork);
    cb.phase(model::phased_op::fork);
    solver::refine_options o;
    o.depth = 4;
    const auto r = solver::refine_search<S>(ca, cb, o);
    INFO(r.what << " after " << trace_text(r.trace));
    CHECK_FALSE(r.diverged);
    CHECK(r.clean_depth == 4);
    auto unfixed = cb;
    unfixed.cow_fixed &= ~(1u << static_cast<int>(model::cow_fix::fork_links_first));
    const auto q = solver::refine_search<S>(ca, unfixed, o);
    REQUIRE(q.diverged);
    REQUIRE(q.trace.size() == 3);
    CHECK(q.trace[2].kind == op::fork);
}

// ---------------------------------------------------------------------------
// The command line: refine's exit codes, ci's per-design mutants.
// ---------------------------------------------------------------------------

TEST_CASE("cowcheck refine: 0 when the designs agree, 1 with the diverging trace, 2 on bad input", "[cow_context][refine][cli]") {
    auto r = cli_test::run("refine --bounds small --depth 3 --all-fixes");
    CHECK(r.code == 0);
    CHECK(r.out.find("refines: every sequence up to depth 3 agrees") != std::string::npos);
    r = cli_test::run("refine --bounds small --depth 4");
    CHECK(r.code == 1);
    CHECK(r.out.find("DIVERGED after 3 steps") != std::string::npos);
    CHECK(r.out.find("mm0 mremap [0,1) -> 1") != std::string::npos);
    r = cli_test::run("refine --bounds small --depth 4 --json");
    CHECK(r.code == 1);
    CHECK(r.out.find("\"result\": \"diverged\"") != std::string::npos);
    r = cli_test::run("refine --random --runs 300 --steps 30 --all-fixes --quiet");
    CHECK(r.code == 0);
    CHECK(cli_test::run("refine --depth 0").code == 2);
    CHECK(cli_test::run("refine --cow-fix no_such_fix").code == 2);
    CHECK(cli_test::run("refine --phased nothing").code == 2);
    CHECK(cli_test::run("refine --bounds small --depth 9 --all-fixes --max-pairs 1000").code == 3);
    CHECK(cli_test::run("bmc --phased fork --bounds small --depth 1").code == 2);
}

TEST_CASE("cowcheck ci --design cow_context: the design's mutants with every --cow-fix, not anon_vma's", "[cow_context][ci][cli]") {
    const std::string corpus = std::string(" --corpus ") + COWCHECK_SOURCE_DIR + "/counterexamples/anon_vma";
    const auto r = cli_test::run("ci --design cow_context --list" + corpus);
    REQUIRE(r.code == 0);
    CHECK(r.out.find("cow_context/explore/cow_walk_skips_descendants") != std::string::npos);
    CHECK(r.out.find("cow_context/check/cow_partial_remap_unrecorded") != std::string::npos);
    CHECK(r.out.find("--cow-fix early_stop_if_found") != std::string::npos);
    CHECK(r.out.find("cow_context/check/anon_vma_no_reuse") == std::string::npos);
    CHECK(r.out.find("cow_context/check/fork_keeps_exclusive") != std::string::npos);   // a design-neutral mutant
    CHECK(r.out.find("cow_context/fork_window_walk.itf.json") != std::string::npos);   // the sibling corpus
    const auto a = cli_test::run("ci --list" + corpus);
    REQUIRE(a.code == 0);
    CHECK(a.out.find("cow_walk_skips_descendants") == std::string::npos);
    const auto l = cli_test::run("list --json");
    CHECK(l.out.find("\"designs\"") != std::string::npos);
}

TEST_CASE("dot: cow_context objects are drawn under the COW context design only", "[cow_context][dot]") {
    const std::vector<action> t = {act::mmap(0, 0, 1), act::write(0, 0, 0, 1), act::mremap(0, 0, 1, 1), act::fork(0, 1)};
    const auto cow = cow_all({});
    const auto o = run<default_state>(cow, t);
    const std::string g = solver::to_dot(cow, o.final(), -1, "");
    CHECK(g.find("cow_ctx0 [label=\"cow_context0\\nmm0  refcnt 3\\nremap [0,0] {1} simple\"") != std::string::npos);
    CHECK(g.find("cow_ctx1 -> cow_ctx0 [label=\"parent\"") != std::string::npos);
    CHECK(g.find("cow_ctx0 -> cow_ctx1 [label=\"child 0\"") != std::string::npos);
    CHECK(g.find("folio0 -> cow_ctx0 [label=\"cow_context\"") != std::string::npos);
    CHECK(g.find("mm1 -> cow_ctx1") != std::string::npos);
    CHECK(g.find("offset 1  DUMMY_ANON_VMA") != std::string::npos);
    const auto anon = model::config::defaults<model::preset_default>();
    const auto p = run<default_state>(anon, t);
    CHECK(solver::to_dot(anon, p.final(), -1, "").find("cow_ctx") == std::string::npos);
}

TEST_CASE("phased fork: with every fix the design stays clean to depth 5 at small, the window holds the locks",
          "[cow_context][phased]") {
    auto cfg = model::config::defaults<model::preset_small>();
    cfg.rmap = model::design::cow_context;
    for (const auto& f : model::cow_fixes()) cfg.fix(f.id);
    cfg.phase(model::phased_op::fork);
    solver::explore_options eo;
    eo.depth = 5;
    const auto r = solver::explore<S>(cfg, eo);
    INFO((r.violated >= 0 ? props::inv_name(static_cast<inv>(r.violated)) : "clean") << " " << trace_text(r.trace));
    CHECK(r.violated < 0);
    CHECK(r.clean_depth == 5);
    // munmap's second phase must not release the fork's mmap_lock.
    auto s = run<S>(cfg, {act::mmap(0, 0, 1), act::write(0, 0, 0, 1), act::fork(0, 1)}).final();
    CHECK_FALSE(model::enabled(cfg, s, act::tlb_finish_mmu(0)));
    CHECK_FALSE(model::enabled(cfg, s, act::munmap(0, 0, 1)));
    CHECK_FALSE(model::enabled(cfg, s, act::exit(1)));
}

// ---------------------------------------------------------------------------
// The phased walk (model/cow_walk.hpp): what the walk does while contexts are freed.
// ---------------------------------------------------------------------------

namespace {

/// The COW context design with every fix except the two walk options and
/// unmap_removes_records (the traces of findings 6 to 11 keep a stale record, which it
/// removes; finding 12 turns it on), and --phased walk.
template <class P = model::preset_default> model::config walk_cfg(bool drops_rcu, bool pins) {
    auto cfg = model::config::defaults<P>();
    cfg.rmap = model::design::cow_context;
    for (const auto& f : model::cow_fixes())
        if (f.id != model::cow_fix::walk_drops_rcu && f.id != model::cow_fix::walk_pins_context &&
            f.id != model::cow_fix::unmap_removes_records)
            cfg.fix(f.id);
    if (drops_rcu) cfg.fix(model::cow_fix::walk_drops_rcu);
    if (pins) cfg.fix(model::cow_fix::walk_pins_context);
    cfg.phase(model::phased_op::walk);
    return cfg;
}

const action walk_step{op::walk_step, {}};
action walk_begin(int folio) { return {op::walk_begin, {.folio = folio}}; }

/// The walk visits the child's context and is inside rmap_one on the child's VMA
/// (walk_context holds the child's mm_users); the child tries to exit.
const std::vector<action> walk_in_child = {act::mmap(0, 0, 1), act::write(0, 0, 0, 1), act::fork(0, 1),
                                           walk_begin(0), walk_step};

/// Two children; mm1 unmaps its copy.  The walk visits mm2's context (rmap_one on mm2's
/// VMA), then mm1's, which hands no VMA: walk_context has returned, the walk holds RCU
/// and no mm.  mm1 exits (its context is freed); the walk steps on from it.
const std::vector<action> walk_exit_trace = {act::mmap(0, 0, 1), act::write(0, 0, 0, 1), act::fork(0, 1),
                                             act::fork(0, 2),    act::munmap(1, 0, 1),     act::tlb_finish_mmu(1),
                                             walk_begin(0),      walk_step,                walk_step,
                                             act::exit(1),       walk_step};
constexpr int after_walk_begin = 7, after_exit = 10;   // o.after(k): the state after k actions

/// Explore (at small unless St says otherwise) from cfg finds nothing, to exactly `depth` (eo.depth).
template <class St = S> void check_explore_clean(const model::config& cfg, const solver::explore_options& eo) {
    const auto r = solver::explore<St>(cfg, eo);
    INFO((r.violated >= 0 ? props::inv_name(static_cast<inv>(r.violated)) : "clean") << " " << trace_text(r.trace));
    CHECK(r.violated < 0);
    CHECK(r.clean_depth == eo.depth);
}

std::vector<int> walk_ops() {
    std::vector<int> ops;
    for (auto k : {op::mmap, op::write, op::fork, op::exit_mmap, op::walk_begin, op::walk_step})
        ops.push_back(static_cast<int>(k));
    return ops;
}

}  // namespace

TEST_CASE("phased walk: as coded, RCU keeps a context freed mid-walk readable, its slot is not reused",
          "[cow_context][phased][walk]") {
    const auto cfg = walk_cfg(false, false);
    const auto o = run<default_state>(cfg, walk_exit_trace);   // every invariant after every step
    const int c1 = o.after(3).mm[1].cow_context.get();
    CHECK(o.after(after_walk_begin + 1).walker.pin_mm == 2);   // rmap_one on mm2's VMA
    CHECK(o.after(after_walk_begin + 2).walker.curr == c1);    // mm1's context visited: no VMA
    CHECK(o.after(after_walk_begin + 2).walker.pin_mm == model::nil);   // handed, so no mm held
    {
        const auto& s = o.after(after_exit);   // after the exit: the walk is at mm1's freed context
        CHECK(s.walker.folio == 0);
        CHECK(s.walker.curr == c1);
        CHECK_FALSE(s.cow_ctx[c1].live);
        CHECK(s.walker.rcu_freed[c1] == 1);
        CHECK(s.walker.rcu_parent[c1] == o.after(3).mm[0].cow_context);
        CHECK(s.folio[0].refcount == 3);   // the PTEs of mm0 and mm2, and the walker's folio_get
        // kfree_rcu: a fork now takes another slot.
        auto t = s;
        REQUIRE(model::step(cfg, t, act::fork(0, 1)));
        CHECK(t.mm[1].cow_context != c1);
    }
    const auto& s = o.final();   // back at the root: the walk ended, the slot is free again
    CHECK(s.walker.folio == model::nil);
    CHECK(s.bug == 0);
    CHECK(s.walker.rcu_freed[c1] == 0);
    CHECK(s.folio[0].refcount == 2);
    // Without --phased walk the actions do not exist.
    auto plain = cfg;
    plain.phased = 0;
    for (const auto& x : model::actions(plain)) CHECK((x.kind != op::walk_begin && x.kind != op::walk_step));
}

TEST_CASE("phased walk: with RCU dropped around rmap_one, the visited context is kept by its mm's mm_users, a "
          "context freed while the walk is back under RCU stays readable",
          "[cow_context][phased][walk][finding]") {
    for (bool drops : {false, true}) {
        INFO((drops ? "walk_drops_rcu" : "as coded"));
        const auto cfg = walk_cfg(drops, false);
        auto s = run<default_state>(cfg, walk_in_child).final();
        const int c1 = s.mm[1].cow_context.get();
        REQUIRE(s.walker.curr == c1);
        CHECK(s.walker.pin_mm == 1);   // rmap_one on the child's VMA: mmget_not_zero(mm1) held
        CHECK(s.walker.rcu == (drops ? 0 : 1));
        // exit and exec's mmput are not the last: the teardown waits for the walk.
        CHECK_FALSE(model::enabled(cfg, s, act::exit(1)));
        CHECK_FALSE(model::enabled(cfg, s, model::action{op::execve, {.mm = 1}}));
        CHECK(model::enabled(cfg, s, act::munmap(1, 0, 1)));   // munmap needs no mm_users
        CHECK(model::enabled(cfg, s, act::exit(0)));   // mm0 is not held (walk_context(mm0) has returned)
        // What the pin prevents, shown on a hand-built step: forced past the guard, the exit
        // frees the context under the walk, and with RCU dropped the next step reads it.
        auto forced = s;
        model::apply(cfg, forced, act::exit(1));
        CHECK_FALSE(forced.cow_ctx[c1].live);
        REQUIRE(model::step(cfg, forced, walk_step));
        CHECK(forced.bug == (drops ? static_cast<int>(model::bug::rmap_walk_freed_cow_context) : 0));
        // The real order: the walk moves on (back at the root it ends), then the exit runs.
        REQUIRE(model::step(cfg, s, walk_step));
        CHECK(s.walker.folio == model::nil);
        CHECK(model::enabled(cfg, s, act::exit(1)));
        // A context freed while the walk holds RCU and no mm (walk_context handed no VMA).
        const auto o = run<default_state>(cfg, walk_exit_trace);   // every invariant every step
        CHECK(o.after(after_exit).walker.rcu_freed[o.after(3).mm[1].cow_context.get()] == 1);
        CHECK(o.final().bug == 0);
    }
    {
        // walk_pins_context: its reference is what keeps mm1's context after mm1's exit when
        // walk_context handed no VMA (no mm held); the walk's put frees it once it moved on.
        const auto cfg = walk_cfg(true, true);
        const auto o = run<default_state>(cfg, walk_exit_trace);   // every invariant every step
        const int c1 = o.after(3).mm[1].cow_context.get();
        CHECK(o.after(after_exit).cow_ctx[c1].live);
        CHECK(o.after(after_exit).cow_ctx[c1].refcount == 1);
        CHECK(o.after(after_exit).cow_ctx[c1].mm == model::nil);
        CHECK_FALSE(o.final().cow_ctx[c1].live);
        CHECK(o.final().bug == 0);

        // The walker's terms in refcount_exact and cow_context_freed_when_unused, each shown
        // necessary: drop the term (forget the walker's reference) and the claim fails on a
        // state the walk reaches.
        auto s = o.after(after_walk_begin);   // the walker's folio_get is in the refcount
        REQUIRE(s.walker.folio == 0);
        CHECK(props::holds(inv::refcount_exact, cfg, s));
        s.walker.folio = model::nil;
        CHECK_FALSE(props::holds(inv::refcount_exact, cfg, s));

        auto t = o.after(after_exit);   // mm1 exited: only the walk's reference keeps its context
        REQUIRE(t.walker.held == 1);
        REQUIRE(t.walker.curr == c1);
        CHECK(props::holds(inv::cow_context_freed_when_unused, cfg, t));
        t.walker.held = 0;
        CHECK_FALSE(props::holds(inv::cow_context_freed_when_unused, cfg, t));
    }
    // The pinned reference is part of C5 (cow_context_refcount_exact): without it the
    // claim fails on the state in the window.
    {
        const auto cfg = walk_cfg(true, true);
        auto s = run<default_state>(cfg, walk_in_child).final();
        REQUIRE(s.walker.held == 1);
        CHECK(props::holds(inv::cow_context_refcount_exact, cfg, s));
        s.walker.held = 0;
        CHECK_FALSE(props::holds(inv::cow_context_refcount_exact, cfg, s));
    }
}

TEST_CASE("phased walk: explore finds no freed-context read, as coded, with RCU dropped around rmap_one, and with "
          "the context pinned",
          "[cow_context][phased][walk]") {
    solver::explore_options eo;
    eo.depth = 8;
    eo.ops = walk_ops();
    eo.ops.push_back(static_cast<int>(op::munmap));
    check_explore_clean(walk_cfg<model::preset_small>(true, false), eo);
    eo.depth = 7;
    for (bool drops : {false, true}) {
        INFO((drops ? "walk_drops_rcu + walk_pins_context" : "as coded"));
        check_explore_clean(walk_cfg<model::preset_small>(drops, drops), eo);
    }
    // Every action, as coded and with RCU dropped, every other fix on, to depth 5.
    solver::explore_options all;
    all.depth = 5;
    check_explore_clean(walk_cfg<model::preset_small>(false, false), all);
    check_explore_clean(walk_cfg<model::preset_small>(true, false), all);
}

// ---------------------------------------------------------------------------
// --phased walk_vma (finding 9): between steps rmap_one holds the last VMA handed to it.
// ---------------------------------------------------------------------------

namespace {

/// walk_cfg (RCU dropped and the context pinned, or as coded) with one more phase, and
/// `fix` (which walk_cfg turns on with the other fixes) on or off.
template <class P>
model::config walk_phase_cfg(bool drops_rcu, model::phased_op phase, model::cow_fix fix, bool fixed) {
    auto cfg = walk_cfg<P>(drops_rcu, drops_rcu);
    cfg.phase(phase);
    if (!fixed) cfg.cow_fixed &= ~(1u << static_cast<int>(fix));
    return cfg;
}

/// --phased walk_vma; `locks`: --cow-fix walk_locks_vma.
template <class P = model::preset_default> model::config walk_vma_cfg(bool drops_rcu, bool locks) {
    return walk_phase_cfg<P>(drops_rcu, model::phased_op::walk_vma, model::cow_fix::walk_locks_vma, locks);
}

/// The walk starts at the parent's context (the root) and is inside rmap_one on the
/// parent's VMA; the parent unmaps it; rmap_one returns.
const std::vector<action> walk_unmap_trace = {act::mmap(0, 0, 1), act::write(0, 0, 0, 1), act::fork(0, 1),
                                              walk_begin(0),      act::munmap(0, 0, 1),    walk_step};

}  // namespace

TEST_CASE("phased walk_vma: a munmap frees the VMA rmap_one is using, with or without RCU, the VMA read lock "
          "makes the writers wait",
          "[cow_context][phased][walk][finding]") {
    CHECK(walk_vma_cfg(false, false).has_phase(model::phased_op::walk));   // walk_vma implies walk
    for (bool drops : {false, true}) {
        INFO((drops ? "walk_drops_rcu + walk_pins_context" : "as coded (RCU held)"));
        const auto cfg = walk_vma_cfg(drops, false);
        const auto o = run<default_state>(cfg, walk_unmap_trace, /*check_invariants=*/false);
        CHECK(o.after(4).walker.vma_mm == 0);
        CHECK(o.after(4).walker.vma == 0);
        CHECK(o.after(4).walker.vma_locked == 0);
        CHECK_FALSE(model::enabled(cfg, o.after(4), act::exit(0)));   // walk_context holds mm0's mm_users
        CHECK(o.after(5).walker.vma_freed == 1);
        CHECK(props::holds(inv::no_kernel_bug, cfg, o.after(5)));
        CHECK(o.final().bug == static_cast<int>(model::bug::rmap_one_freed_vma));
        CHECK_FALSE(props::holds(inv::no_kernel_bug, cfg, o.final()));
        CHECK(o.final().walker.folio == model::nil);   // the walk ended there
    }
    // Without walk_vma the VMA is not followed between steps: the same trace is clean.
    CHECK(run<default_state>(walk_cfg(false, false), walk_unmap_trace).final().bug == 0);
    // With walk_locks_vma the parent's writers wait while the walk holds its VMA; the
    // child's do not, and once the walk has moved to the child's context the roles swap.
    const auto cfg = walk_vma_cfg(false, true);
    auto s = run<default_state>(cfg, {act::mmap(0, 0, 1), act::write(0, 0, 0, 1), act::fork(0, 1), walk_begin(0)})
                 .final();
    CHECK(s.walker.vma_locked == 1);
    for (const auto& x : {act::munmap(0, 0, 1), act::exit(0), act::mprotect(0, 0, 1, false), act::mmap(0, 1, 1),
                          act::fork(0, 2)})
        CHECK_FALSE(model::enabled(cfg, s, x));
    CHECK(model::enabled(cfg, s, act::munmap(1, 0, 1)));
    // Per VMA: a writer of mm0 away from the locked VMA [0,1) goes on, and so does a forced
    // write (the mmap lock for read, no VMA write lock).
    CHECK(model::enabled(cfg, s, act::mmap(0, 2, 1)));
    CHECK(model::enabled(cfg, s, act::mem_write_faultin(0, 0)));
    REQUIRE(model::step(cfg, s, walk_step));
    CHECK(s.walker.vma_mm == 1);
    CHECK(model::enabled(cfg, s, act::munmap(0, 0, 1)));
    CHECK_FALSE(model::enabled(cfg, s, act::exit(1)));
    REQUIRE(model::step(cfg, s, walk_step));   // back at the root: the walk ends, nothing is held
    CHECK(s.walker.folio == model::nil);
    CHECK(model::enabled(cfg, s, act::exit(1)));
}

TEST_CASE("phased walk_vma: explore finds the freed VMA in 6 steps and not before, with walk_locks_vma it is clean",
          "[cow_context][phased][walk]") {
    solver::explore_options eo;
    eo.depth = 7;
    eo.ops = walk_ops();
    eo.ops.push_back(static_cast<int>(op::munmap));
    for (bool drops : {false, true}) {
        INFO((drops ? "walk_drops_rcu + walk_pins_context" : "as coded"));
        const auto r = solver::explore<S>(walk_vma_cfg<model::preset_small>(drops, false), eo);
        INFO(trace_text(r.trace));
        REQUIRE(r.violated == static_cast<int>(inv::no_kernel_bug));
        CHECK(r.trace.size() == 6);
        CHECK(r.clean_depth == 5);
        check_explore_clean(walk_vma_cfg<model::preset_small>(drops, true), eo);
    }
    // Every action, with every fix, to depth 5.
    solver::explore_options all;
    all.depth = 5;
    check_explore_clean(walk_vma_cfg<model::preset_small>(true, true), all);
}

// ---------------------------------------------------------------------------
// --phased walk_remap (finding 10): walk_context() loads the remap_mt entry, a heap
// dynarray, and reads it one step later; an mremap's krealloc() frees it in between.
// ---------------------------------------------------------------------------

namespace {

/// --phased walk_remap; `expand_rcu`: --cow-fix remap_expand_rcu.
template <class P = model::preset_default> model::config walk_remap_cfg(bool drops_rcu, bool expand_rcu) {
    return walk_phase_cfg<P>(drops_rcu, model::phased_op::walk_remap, model::cow_fix::remap_expand_rcu, expand_rcu);
}

/// One VMA at pgoff 0 is moved to [1,2), back to [0,1) (not tracked: the record {1} stays),
/// to [2,3) (a new offset: the simple entry becomes the heap dynarray {1, 2}, cap 2) and back
/// to [0,1).  After a fork the folio is shared, so the walk gets past the exclusive stop at
/// the root and loads pgoff 0's entry; the parent moves the VMA to [1,2) again: offset 0 is
/// not recorded, so add_new_remap() appends 1, and __dynarray_expand() krealloc()s the full
/// array (before the duplicate check) and kfree()s it; the walk then reads it.
const std::vector<action> walk_remap_trace = {
    act::mmap(0, 0, 1),       act::write(0, 0, 0, 1),   act::mremap(0, 0, 1, 1), act::mremap(0, 1, 1, 0),
    act::mremap(0, 0, 1, 2),  act::mremap(0, 2, 1, 0),  act::fork(0, 1),         walk_begin(0),
    act::mremap(0, 0, 1, 1),  walk_step};
constexpr int after_load = 8, after_realloc = 9;

}  // namespace

TEST_CASE("phased walk_remap: an mremap krealloc()s the remap array the walk has loaded, with or without RCU "
          "around rmap_one, and remap_expand_rcu keeps it readable",
          "[cow_context][phased][walk][finding]") {
    CHECK(walk_remap_cfg(false, false).has_phase(model::phased_op::walk));   // walk_remap implies walk
    for (bool drops : {false, true}) {
        INFO((drops ? "walk_drops_rcu + walk_pins_context" : "as coded (RCU held)"));
        const auto cfg = walk_remap_cfg(drops, false);
        const auto o = run<default_state>(cfg, walk_remap_trace, /*check_invariants=*/false);
        const auto& ld = o.after(after_load);
        const int c = ld.mm[0].cow_context.get();
        REQUIRE(ld.cow_ctx[c].rnr[0] == 2);
        CHECK(ld.walker.arr_loaded == 1);
        CHECK(ld.walker.curr == c);                       // the root: the parent's context
        CHECK(ld.walker.pin_mm == 0);                     // mmget_not_zero(mm0) held
        CHECK(ld.walker.rcu == 1);                        // the load is under RCU
        CHECK(ld.walker.arr_nr == 2);
        CHECK(ld.walker.arr_offs[0] == 1);
        CHECK(ld.walker.arr_offs[1] == 2);
        CHECK(ld.walker.arr_pgoffs[0] == 1);
        CHECK_FALSE(model::enabled(cfg, ld, act::exit(0)));   // walk_context holds mm0's mm_users
        CHECK(o.after(after_realloc).walker.arr_freed == 1);
        CHECK(o.after(after_realloc).cow_ctx[c].rnr[0] == 2);   // {1, 2}: the 1 was already there
        CHECK(props::holds(inv::no_kernel_bug, cfg, o.after(after_realloc)));
        CHECK(o.final().bug == static_cast<int>(model::bug::rmap_walk_freed_remap_array));
        CHECK_FALSE(props::holds(inv::no_kernel_bug, cfg, o.final()));
        CHECK(o.final().walker.folio == model::nil);   // the walk ended there
    }
    // With remap_expand_rcu the old array goes by kfree_rcu: the walk reads {1, 2}, hands
    // rmap_one the VMA now at offset 1, walks offset 2 at the next step (nothing there);
    // the mremap moved the context's sequence count (walk_rereads_remaps, among every
    // fix), so walk_context starts again and ends in rmap_one on the VMA at offset 1; then
    // the walk visits the child's context, and back at the root it ends.
    const auto fixed = walk_remap_cfg(false, true);
    auto s = run<default_state>(fixed, walk_remap_trace).final();
    CHECK(s.bug == 0);
    CHECK(s.walker.folio == 0);
    CHECK(s.walker.arr_loaded == 0);
    CHECK(s.walker.arr_walking == 1);
    CHECK(s.walker.arr_nr == 2);
    CHECK(s.walker.arr_next == 1);   // offset 1 walked, offset 2 next
    CHECK(s.walker.pin_mm == 0);     // walk_context(mm0's context) holds mm0
    REQUIRE(model::step(fixed, s, walk_step));
    CHECK(s.walker.arr_walking == 0);
    CHECK(s.walker.curr == s.mm[0].cow_context);
    CHECK(s.walker.pin_mm == 0);   // walk_context(root) again: rmap_one on mm0's VMA at [1,2)
    REQUIRE(model::step(fixed, s, walk_step));
    CHECK(s.walker.pin_mm == 1);   // the child's context: rmap_one on its VMA at [0,1)
    REQUIRE(model::step(fixed, s, walk_step));
    CHECK(s.walker.folio == model::nil);
    CHECK(s.bug == 0);
    // Without walk_remap the entry is read in the step that loads it: the same trace is clean.
    CHECK(run<default_state>(walk_cfg(false, false), walk_remap_trace).final().bug == 0);
}

TEST_CASE("phased walk_remap: which remap_mt writes free, copy or keep the loaded array",
          "[cow_context][phased][walk]") {
    const auto cfg = walk_remap_cfg(false, false);
    // The walk has loaded an array that pgoffs 0..2 of context 0 point to.
    default_state s{};
    using model::cow::remap_write;
    auto& x = s.cow_ctx[0];
    for (int q = 0; q < 3; ++q) {
        x.rstart[q] = 0;
        x.rnr[q] = 2;
        x.roff[q] = {1, 2, 0};
    }
    auto loaded = [&](default_state t) {
        t.walker.folio = 0;
        t.walker.curr = 0;
        t.walker.arr_loaded = 1;
        t.walker.arr_pgoffs = {1, 1, 1, 0};
        return t;
    };
    auto after = [&](const model::config& c, default_state t, int lo, int n, remap_write how, int old_off = 0) {
        t = loaded(t);
        model::cow::walker_remap_written(c, t, 0, t.cow_ctx[0], lo, n, how, old_off);
        return t.walker;
    };
    // A range that does not reach the array, or another context: nothing.
    auto w = after(cfg, s, 3, 1, remap_write::append);
    CHECK(w.arr_freed == 0);
    CHECK(w.arr_pgoffs == std::array<std::uint8_t, 4>{1, 1, 1, 0});
    // An append over pgoff 1 only: split_remap() gives pgoffs 0 and 2 copies, then the
    // full array (nr 2 = cap) is krealloc()ed: freed, or with remap_expand_rcu replaced.
    w = after(cfg, s, 1, 1, remap_write::append);
    CHECK(w.arr_freed == 1);
    CHECK(w.arr_pgoffs == std::array<std::uint8_t, 4>{0, 1, 0, 0});
    w = after(walk_remap_cfg(false, true), s, 1, 1, remap_write::append);
    CHECK(w.arr_freed == 0);
    CHECK(w.arr_pgoffs == std::array<std::uint8_t, 4>{0, 0, 0, 0});
    // remap_clips_entries' split alone: copies outside, the array kept inside.
    w = after(cfg, s, 0, 2, remap_write::clip);
    CHECK(w.arr_freed == 0);
    CHECK(w.arr_pgoffs == std::array<std::uint8_t, 4>{1, 1, 0, 0});
    // shrink_remaps(): nr 2 holding the offset -> a simple entry, the array kfree_rcu()ed
    // (readable, no longer the entry's); an offset it does not hold -> nothing.
    w = after(cfg, s, 0, 1, remap_write::shrink, 2);
    CHECK(w.arr_freed == 0);
    CHECK(w.arr_pgoffs == std::array<std::uint8_t, 4>{0, 0, 0, 0});
    w = after(cfg, s, 0, 1, remap_write::shrink, 3);
    CHECK(w.arr_pgoffs == std::array<std::uint8_t, 4>{1, 1, 1, 0});
    // nr 3 (cap 4): the append goes in place, the array stays.
    for (int q = 0; q < 3; ++q) {
        x.rnr[q] = 3;
        x.roff[q] = {1, 2, 3};
    }
    w = after(cfg, s, 0, 3, remap_write::append);
    CHECK(w.arr_freed == 0);
    CHECK(w.arr_pgoffs == std::array<std::uint8_t, 4>{1, 1, 1, 0});
}

TEST_CASE("phased walk_remap: explore finds the krealloc()ed array in 10 steps as coded and not before, with "
          "remap_expand_rcu it is clean",
          "[cow_context][phased][walk]") {
    // As coded (no fix): the fewest objects the trace needs, its actions; finding 1 breaks
    // rmap_complete first, so only no_kernel_bug is checked.
    auto cfg = model::config::defaults<model::preset_default>();
    cfg.rmap = model::design::cow_context;
    cfg.phase(model::phased_op::walk_remap);
    cfg.lim = {2, 2, 3, 1, 2, 1};   // mms, vmas, va_pages, folios, anon_vmas (contexts), cpus
    solver::explore_options eo;
    eo.depth = 11;
    eo.selected = props::inv_set(1) << static_cast<int>(inv::no_kernel_bug);
    for (auto k : {op::mmap, op::write, op::mremap, op::fork, op::walk_begin, op::walk_step})
        eo.ops.push_back(static_cast<int>(k));
    const auto r = solver::explore<default_state>(cfg, eo);
    INFO(trace_text(r.trace));
    REQUIRE(r.violated == static_cast<int>(inv::no_kernel_bug));
    CHECK(r.trace.size() == 10);
    CHECK(r.clean_depth == 9);
    CHECK(trace_text(r.trace) == trace_text(walk_remap_trace));   // the hand-written trace is the one explore finds
    cfg.fix(model::cow_fix::remap_expand_rcu);
    const auto fixed = solver::explore<default_state>(cfg, eo);
    INFO(trace_text(fixed.trace));
    CHECK(fixed.violated < 0);
    CHECK(fixed.clean_depth == 11);
    // The corpus trace's setting (every other fix, 9 steps) with its fix: every fix, every
    // invariant, clean to depth 10 at the same bounds and actions.
    auto all = walk_remap_cfg(false, true);
    all.lim = cfg.lim;
    solver::explore_options every = eo;
    every.depth = 10;
    every.selected = props::all_invariants;
    check_explore_clean<default_state>(all, every);
}

// ---------------------------------------------------------------------------
// Finding 11: the walk has read the remap entry's offsets; an mremap moves the mapping
// to an offset it did not read; the walk ends without reaching it (rmap_complete).
// ---------------------------------------------------------------------------

namespace {

/// The VMA is moved to [1,2), back (the record {1} stays) and to [2,3): the heap array
/// {1, 2}.  The walk (early_stop_if_found: nothing at offset 0, so it goes on) loads it;
/// the VMA moves to [3,4), which rewrites 2 to 3 in place; the walk walks offset 1, then
/// offset 2, finds nothing, and ends at the root.
const std::vector<action> walk_moved_trace = {
    act::mmap(0, 0, 1),      act::write(0, 0, 0, 1), act::mremap(0, 0, 1, 1), act::mremap(0, 1, 1, 0),
    act::mremap(0, 0, 1, 2), walk_begin(0),          act::mremap(0, 2, 1, 3), walk_step,
    walk_step,               walk_step};

/// The window between two offsets: the walk has read {1, 2} and walked offset 1 (nothing
/// there); the VMA moves from [2,3) to [1,2), which rewrites 2 to 1 in place; the walk
/// walks offset 2, finds nothing, and ends at the root.  A check of the sequence count
/// when the remaps are read cannot see this move: it comes after the read.
const std::vector<action> walk_between_offsets_trace = {
    act::mmap(0, 0, 1),      act::write(0, 0, 0, 1), act::mremap(0, 0, 1, 1), act::mremap(0, 1, 1, 0),
    act::mremap(0, 0, 1, 2), walk_begin(0),          walk_step,               act::mremap(0, 2, 1, 1),
    walk_step,               walk_step};

/// --phased walk_remap with every fix but walk_rereads_remaps (or with it).
model::config walk_moved_cfg(bool rereads) {
    return walk_phase_cfg<model::preset_default>(false, model::phased_op::walk_remap,
                                                 model::cow_fix::walk_rereads_remaps, rereads);
}

}  // namespace

TEST_CASE("phased walk_remap: an mremap moves the mapping to an offset the walk did not read and the walk misses "
          "it, walk_rereads_remaps starts walk_context again",
          "[cow_context][phased][walk][finding]") {
    const auto cfg = walk_moved_cfg(false);
    const auto o = run<default_state>(cfg, walk_moved_trace, /*check_invariants=*/false);
    const int c = o.after(6).mm[0].cow_context.get();
    CHECK(o.after(6).walker.arr_loaded == 1);
    CHECK(o.after(6).walker.pending[0] == 1);                 // mm0 maps folio0: not yet reached
    CHECK(o.after(7).walker.arr_changed == 1);                // 2 rewritten to 3 in place
    CHECK(o.after(7).walker.arr_freed == 0);
    CHECK(o.after(7).cow_ctx[c].roff[0][1] == 3);
    CHECK(o.after(8).walker.arr_walking == 1);                // offset 1 walked: nothing there
    CHECK(o.after(8).walker.arr_changed == 1);                // the count moved since the load
    CHECK(o.after(9).walker.folio == 0);                      // offset 2 walked: nothing there
    CHECK(o.after(9).walker.arr_walking == 0);
    CHECK(o.after(9).walker.pending[0] == 1);
    for (int k = 0; k < 10; ++k) CHECK(props::holds(inv::rmap_complete, cfg, o.after(k)));
    const auto& s = o.final();
    CHECK(s.walker.folio == model::nil);
    CHECK(s.walk_missed == 1);                                 // mm0 + 1
    CHECK(s.bug == 0);
    CHECK_FALSE(props::holds(inv::rmap_complete, cfg, s));
    // The record is right ({1, 3}): a walk now would find it; only the walk in steps missed it.
    auto t = s;
    t.walk_missed = 0;
    CHECK(props::holds(inv::rmap_complete, cfg, t));
    // With walk_rereads_remaps the walk, after its last offset, sees that the count moved,
    // starts walk_context(root) again, reads {1, 3} and reaches [3,4).
    const auto fixed = walk_moved_cfg(true);
    const auto f = run<default_state>(fixed, walk_moved_trace);   // every invariant, every step
    CHECK(f.after(8).walker.pending[0] == 1);
    CHECK(f.after(9).walker.pending[0] == 0);
    CHECK(f.final().walk_missed == 0);
}

TEST_CASE("phased walk_remap: an mremap between two offsets of one walk_context moves the mapping to the offset "
          "walked already, and the walk misses it, walk_rereads_remaps checks the count after the last offset",
          "[cow_context][phased][walk][finding]") {
    const auto cfg = walk_moved_cfg(false);
    const auto o = run<default_state>(cfg, walk_between_offsets_trace, /*check_invariants=*/false);
    const int c = o.after(6).mm[0].cow_context.get();
    CHECK(o.after(7).walker.arr_walking == 1);                // read {1, 2}, walked offset 1
    CHECK(o.after(7).walker.arr_changed == 0);                // nothing moved yet
    CHECK(o.after(7).walker.pending[0] == 1);
    CHECK(o.after(8).walker.arr_changed == 1);                // the move, after the read
    CHECK(o.after(8).cow_ctx[c].roff[0][1] == 1);             // 2 rewritten to 1 in place
    CHECK(o.after(8).pte[0][1].present);                      // the folio is now at offset 1, walked
    CHECK(o.after(9).walker.pending[0] == 1);                 // offset 2: nothing there
    for (int k = 0; k < 10; ++k) CHECK(props::holds(inv::rmap_complete, cfg, o.after(k)));
    CHECK(o.final().walk_missed == 1);
    CHECK_FALSE(props::holds(inv::rmap_complete, cfg, o.final()));
    // With walk_rereads_remaps the count is checked after the last offset (where
    // read_seqcount_retry() closes the read section), so this move is seen too.
    const auto f = run<default_state>(walk_moved_cfg(true), walk_between_offsets_trace);
    CHECK(f.after(9).walker.pending[0] == 0);
    CHECK(f.final().walk_missed == 0);
}

namespace {

/// The walk reads {1, 2} and walks offset 1, where the VMA [1,2) maps the folio; between
/// the two offsets the VMA is unmapped while rmap_one is still on it.
const std::vector<action> walk_offset_unmap_trace = {
    act::mmap(0, 0, 1),      act::write(0, 0, 0, 1), act::mremap(0, 0, 1, 2), act::mremap(0, 2, 1, 0),
    act::mremap(0, 0, 1, 1), walk_begin(0),          walk_step,               act::munmap(0, 1, 1),
    walk_step};

/// --phased walk_remap and walk_vma, every fix but (or with) walk_locks_vma.
model::config walk_offset_vma_cfg(bool locks) {
    auto cfg = walk_vma_cfg(false, locks);
    cfg.phase(model::phased_op::walk_remap);
    return cfg;
}

}  // namespace

TEST_CASE("phased walk_remap + walk_vma: between two offsets the walk is inside rmap_one on the VMA of the first, "
          "a munmap frees it, walk_locks_vma makes the munmap wait",
          "[cow_context][phased][walk][finding]") {
    const auto cfg = walk_offset_vma_cfg(false);
    const auto o = run<default_state>(cfg, walk_offset_unmap_trace, /*check_invariants=*/false);
    const int c = o.after(5).mm[0].cow_context.get();
    CHECK(o.after(5).cow_ctx[c].rnr[0] == 2);                   // pgoff 0 recorded at offsets 1 and 2
    CHECK(o.after(6).walker.arr_loaded == 1);
    CHECK(o.after(6).walker.vma_mm == model::nil);             // offset 0: nothing mapped there
    CHECK(o.after(7).walker.arr_walking == 1);                 // read {1, 2}, walked offset 1
    CHECK(o.after(7).walker.pending[0] == 0);                  // and confirmed mm0[1] there
    CHECK(o.after(7).walker.vma_mm == 0);                      // still inside rmap_one on that VMA
    CHECK(o.after(7).walker.vma == model::find_vma(o.after(5), 0, model::cint(1)));
    CHECK(o.after(8).walker.vma_freed == 1);
    CHECK(props::holds(inv::no_kernel_bug, cfg, o.after(8)));
    CHECK(o.final().bug == static_cast<int>(model::bug::rmap_one_freed_vma));
    CHECK(o.final().walker.folio == model::nil);
    // With walk_locks_vma the VMA handed at offset 1 stays read-locked until rmap_one
    // returns: the munmap waits, and after the last offset the walk moves on as before.
    const auto lcfg = walk_offset_vma_cfg(true);
    auto s = run<default_state>(lcfg, std::vector<action>(walk_offset_unmap_trace.begin(),
                                                          walk_offset_unmap_trace.begin() + 7))
                 .final();
    CHECK(s.walker.vma_locked == 1);
    CHECK_FALSE(model::enabled(lcfg, s, act::munmap(0, 1, 1)));
    REQUIRE(model::step(lcfg, s, walk_step));                   // offset 2: nothing there
    CHECK(s.walker.arr_walking == 0);
    CHECK(s.walker.vma_mm == model::nil);
    CHECK(model::enabled(lcfg, s, act::munmap(0, 1, 1)));
    // Without walk_vma the VMA is not followed between steps: the same trace is clean.
    auto nocfg = walk_moved_cfg(true);
    CHECK(run<default_state>(nocfg, walk_offset_unmap_trace).final().bug == 0);
}

TEST_CASE("phased walk_remap + walk_vma: the walk pauses inside rmap_one on offset 0's VMA before the remaps, a "
          "munmap frees it, walk_locks_vma makes the munmap wait",
          "[cow_context][phased][walk][finding]") {
    // pgoff 0 keeps its record {1} after the VMA moved back to offset 0; the fork maps the
    // folio twice, so the walk does not stop early at offset 0.
    const std::vector<action> trace = {act::mmap(0, 0, 1),      act::write(0, 0, 0, 1), act::mremap(0, 0, 1, 1),
                                       act::mremap(0, 1, 1, 0), act::fork(0, 1),        walk_begin(0),
                                       act::munmap(0, 0, 1),    walk_step};
    const auto cfg = walk_offset_vma_cfg(false);
    const auto o = run<default_state>(cfg, trace, /*check_invariants=*/false);
    const int c = o.after(5).mm[0].cow_context.get();
    CHECK(o.after(5).cow_ctx[c].rnr[0] == 1);
    const auto& w = o.after(6).walker;
    CHECK(w.arr_pending == 1);                                  // inside rmap_one on offset 0's VMA
    CHECK(w.arr_loaded == 0);
    CHECK(w.vma_mm == 0);
    CHECK(w.vma == model::find_vma(o.after(5), 0, model::cint(0)));
    CHECK(w.pending[0] == 0);                                   // mm0 confirmed at offset 0
    CHECK(o.after(7).walker.vma_freed == 1);
    CHECK(o.final().bug == static_cast<int>(model::bug::rmap_one_freed_vma));
    // Without the munmap the walk goes on to offset 1 (nothing there); the next step moves
    // to the child's context.
    auto s = o.after(6);
    REQUIRE(model::step(cfg, s, walk_step));
    CHECK(s.walker.arr_pending == 0);
    CHECK(s.walker.vma_mm == model::nil);
    CHECK(s.walker.folio == 0);
    // With walk_locks_vma the munmap waits until rmap_one returns.
    const auto lcfg = walk_offset_vma_cfg(true);
    auto l = run<default_state>(lcfg, std::vector<action>(trace.begin(), trace.begin() + 6)).final();
    CHECK(l.walker.arr_pending == 1);
    CHECK(l.walker.vma_locked == 1);
    CHECK_FALSE(model::enabled(lcfg, l, act::munmap(0, 0, 1)));
    REQUIRE(model::step(lcfg, l, walk_step));
    CHECK(model::enabled(lcfg, l, act::munmap(0, 0, 1)));
    // Without walk_vma the walk does not pause there: offset 0 and offset 1 in one step.
    CHECK(run<default_state>(walk_moved_cfg(true), std::vector<action>(trace.begin(), trace.begin() + 6))
              .final()
              .walker.arr_pending == 0);
}

TEST_CASE("phased walk_remap: explore finds the missed mapping in 9 steps and not before, with walk_rereads_remaps "
          "it is clean",
          "[cow_context][phased][walk]") {
    auto cfg = walk_moved_cfg(false);
    cfg.lim = {1, 2, 4, 1, 1, 1};   // mms, vmas, va_pages, folios, anon_vmas (contexts), cpus
    solver::explore_options eo;
    eo.depth = 11;
    for (auto k : {op::mmap, op::write, op::mremap, op::walk_begin, op::walk_step}) eo.ops.push_back(static_cast<int>(k));
    const auto r = solver::explore<default_state>(cfg, eo);
    INFO(trace_text(r.trace));
    REQUIRE(r.violated == static_cast<int>(inv::rmap_complete));
    CHECK(r.trace.size() == 9);
    CHECK(r.clean_depth == 8);
    auto fcfg = walk_moved_cfg(true);
    fcfg.lim = cfg.lim;
    const auto fixed = solver::explore<default_state>(fcfg, eo);
    INFO(trace_text(fixed.trace));
    CHECK(fixed.violated < 0);
    CHECK(fixed.clean_depth == 11);
}

namespace {

using double_state = model::state<model::concrete, model::preset_double>;

/// Race (a) of docs/cow-context-findings.md (finding 12), at the double preset (three VMAs
/// in one mm).  VMAs A, B and C are each mapped at [0,1) (pgoff 0), written (folios 0, 1
/// and 2) and moved away: A to [3,4), B to [2,3), C to [1,2); pgoff 0's entry becomes the
/// heap array {1, 2, 3}.  The walk of folio 1 finds nothing at offset 0, loads the array
/// and reads slot 0 (1).  C is unmapped: find_and_unmap_existing() shifts {2, 3} down in
/// place and dynarray_shrink() sets nr to 2.  The walk reads slot 1 (3), then nr 2: done.
/// It collected {1, 3} and never walks offset 2, where B maps folio 1.
const std::vector<action> unmap_shift_trace = {
    act::mmap(0, 0, 1), act::write(0, 0, 0, 1), act::mremap(0, 0, 1, 3),   // A: {3}
    act::mmap(0, 0, 1), act::write(0, 0, 0, 2), act::mremap(0, 0, 1, 2),   // B: {2, 3}
    act::mmap(0, 0, 1), act::write(0, 0, 0, 1), act::mremap(0, 0, 1, 1),   // C: {1, 2, 3}
    walk_begin(1),      walk_step,              act::munmap(0, 1, 1),      walk_step,
    walk_step,          walk_step,              walk_step};

/// --phased walk_remap_slots and --cow-fix unmap_removes_records, with every other fix but
/// walk_rereads_remaps (or with it).
model::config unmap_shift_cfg(bool rereads) {
    auto cfg = walk_phase_cfg<model::preset_double>(false, model::phased_op::walk_remap_slots,
                                                    model::cow_fix::walk_rereads_remaps, rereads);
    cfg.fix(model::cow_fix::unmap_removes_records);
    return cfg;
}

}  // namespace

TEST_CASE("phased walk_remap_slots: with unmap_removes_records a munmap shifts the remap array under the walk "
          "reading it slot by slot and the walk misses a mapping (race (a)), walk_rereads_remaps starts it again",
          "[cow_context][phased][walk][finding]") {
    const auto cfg = unmap_shift_cfg(false);
    CHECK(cfg.has_phase(model::phased_op::walk_remap));   // walk_remap_slots implies walk_remap
    const auto o = run<double_state>(cfg, unmap_shift_trace, /*check_invariants=*/false);
    const int c = o.after(9).mm[0].cow_context.get();
    const auto& x = o.after(9).cow_ctx[c];
    CHECK(x.rnr[0] == 3);                                     // {1, 2, 3}
    CHECK(x.roff[0][0] == 1);
    CHECK(x.roff[0][1] == 2);
    CHECK(x.roff[0][2] == 3);
    CHECK(o.after(10).walker.arr_loaded == 1);                // offset 0: nothing; the array loaded
    CHECK(o.after(10).walker.arr_slot == 0);
    CHECK(o.after(11).walker.arr_slot == 1);                  // slot 0 read: 1
    CHECK(o.after(11).walker.arr_got_nr == 1);
    CHECK(o.after(12).cow_ctx[c].rnr[0] == 2);                // C's offset removed in place: {2, 3}
    CHECK(o.after(12).walker.arr_nr == 2);                    // the reader's array is that array
    CHECK(o.after(12).walker.arr_offs[1] == 3);
    CHECK(o.after(12).walker.arr_changed == 1);
    CHECK(o.after(13).walker.arr_slot == 2);                  // slot 1 read: 3
    CHECK(o.after(14).walker.arr_walking == 1);               // nr 2: done, {1, 3}; offset 1 walked
    CHECK(o.after(14).walker.arr_nr == 2);
    CHECK(o.after(14).walker.arr_offs[0] == 1);
    CHECK(o.after(14).walker.arr_offs[1] == 3);
    CHECK(o.after(15).walker.arr_walking == 0);               // offset 3 walked: A maps folio 0
    CHECK(o.after(15).walker.pending[0] == 1);
    const auto& s = o.final();
    CHECK(s.walker.folio == model::nil);
    CHECK(s.walk_missed == 1);                                // mm0 + 1: B at [2,3) was not reached
    CHECK(s.bug == 0);
    CHECK_FALSE(props::holds(inv::rmap_complete, cfg, s));
    // The narrative tells each slot read.
    const auto told = solver::narrative<double_state>(cfg, unmap_shift_trace, static_cast<int>(inv::rmap_complete));
    CHECK_THAT(told, Catch::Contains("walk_context reads nr (3) and slot 0 of the remap array it loaded"));
    CHECK_THAT(told, Catch::Contains("walk_context reads nr (2) and slot 1 of the remap array it loaded"));
    CHECK_THAT(told, Catch::Contains("walk_context reads nr (2): no slot left, it walks the first offset collected"));
    CHECK_THAT(told, Catch::Contains("(a heap dynarray {2, 3}), has read slot 0 and collected {1}"));
    // Read whole (walk_remap without the slots), the reader's copy is taken to come before
    // the in-place shift: it walks 1, 2 (B, confirmed) and 3.
    auto whole = cfg;
    whole.phased &= ~(1u << static_cast<int>(model::phased_op::walk_remap_slots));
    std::vector<action> one_read = unmap_shift_trace;
    one_read.erase(one_read.begin() + 10);   // no slot read before the munmap
    const auto w = run<double_state>(whole, one_read, /*check_invariants=*/false);
    CHECK(w.final().walker.folio == model::nil);
    CHECK(w.final().walk_missed == 0);
    // As coded (no unmap_removes_records) the munmap removes nothing: the walk reads
    // {1, 2, 3} and reaches B at offset 2 (the trace ends just after).
    auto coded = cfg;
    coded.cow_fixed &= ~(1u << static_cast<int>(model::cow_fix::unmap_removes_records));
    const auto k = run<double_state>(coded, unmap_shift_trace, /*check_invariants=*/false);
    CHECK(k.after(12).cow_ctx[c].rnr[0] == 3);
    CHECK(k.final().walker.pending[0] == 0);
    CHECK(k.final().walk_missed == 0);
    // With walk_rereads_remaps the walk, after its last offset, sees the count moved and
    // starts walk_context(root) again: it reads {2, 3} and reaches B at [2,3).
    const auto fixed = unmap_shift_cfg(true);
    const auto f = run<double_state>(fixed, unmap_shift_trace);   // every invariant, every step
    CHECK(f.final().walker.pending[0] == 0);
    CHECK(f.final().walk_missed == 0);
    CHECK(f.final().bug == 0);
}

TEST_CASE("phased walk_remap_slots: from the three moved VMAs of race (a), explore finds the shift under the walk "
          "with munmap and the walk's steps, and walk_rereads_remaps closes it to the same depth",
          "[cow_context][phased][walk][finding][explore]") {
    // The state after the setup (pgoff 0's entry is {1, 2, 3}); no mremap from there, so
    // finding 11 (a move during the walk) cannot come first.  The engine finds the walk's
    // interleaving with the munmap from scratch.
    solver::explore_options eo;
    eo.prefix.assign(unmap_shift_trace.begin(), unmap_shift_trace.begin() + 9);
    eo.ops = {static_cast<int>(op::munmap), static_cast<int>(op::walk_begin), static_cast<int>(op::walk_step)};
    eo.depth = 7;
    eo.threads = 1;
    const auto r = solver::explore<double_state>(unmap_shift_cfg(false), eo);
    INFO(trace_text(r.trace));
    REQUIRE(r.violated == static_cast<int>(inv::rmap_complete));
    CHECK(r.clean_depth == 6);                                 // a shortest continuation: 7 steps
    REQUIRE(r.trace.size() == 16);
    for (std::size_t k = 0; k < eo.prefix.size(); ++k) CHECK(model::describe(r.trace[k]) == model::describe(eo.prefix[k]));
    // The munmap comes while the walk reads the array slot by slot: after a slot read,
    // before the read ends, and it shrinks the array under the reader.
    const auto o = run<double_state>(unmap_shift_cfg(false), r.trace, /*check_invariants=*/false);
    int munmap_at = -1;
    for (int k = 9; k < 16; ++k)
        if (r.trace[k].kind == op::munmap) munmap_at = k;
    REQUIRE(munmap_at > 9);
    const auto& before = o.after(munmap_at).walker;            // the state before the munmap
    CHECK(before.arr_slot >= 1);
    CHECK(before.arr_nr == 3);
    CHECK(before.arr_walking == 0);
    const auto& shifted = o.after(munmap_at + 1).walker;
    CHECK(shifted.arr_nr == 2);                                // the reader's array shrank in place
    CHECK(shifted.arr_changed == 1);                           // the shift moved the count
    CHECK(o.final().walk_missed == 1);
    const auto fixed = solver::explore<double_state>(unmap_shift_cfg(true), eo);
    INFO(trace_text(fixed.trace));
    CHECK(fixed.violated < 0);
    CHECK(fixed.clean_depth == 7);
}
