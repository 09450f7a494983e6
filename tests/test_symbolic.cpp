// tests/test_symbolic.cpp — the symbolic interpretation and the BMC unroller.
//
// The two interpretations check each other (DESIGN.md "One model, two
// interpretations"): the same action run concretely and on the lifted state
// must agree leaf for leaf, in its guard and in every invariant; BMC must keep
// the fixed model clean and find the fork_keeps_exclusive mutant at its minimal
// depth with a trace that replays concretely.
//
// BMC cost (2 cores; each depth costs several times the one before, and the
// action list grows with the model):
//   preset_small, 97 actions: depth 3 in 7-14 s; depth 4 took about 10 minutes and
//   depth 5 is out of reach of a unit test, so the clean run stops at depth 3 here;
//   preset_small with va_pages = 1 (47 actions): depth 4 in 6-10 s; depth 5 took
//   about 2 minutes;
//   fork_keeps_exclusive at preset_small: found at depth 3 in 1-3 s (every step a
//   fresh state: about 40 s; with va_pages = 1: about 4.5 s).
#include <chrono>
#include <optional>
#include <catch2/catch.hpp>

#include <random>
#include <sstream>

#include "solver/bmc.hpp"
#include "solver/symbolic.hpp"

namespace {

using model::action;
using model::config;

/// "depth 0: clean 0.00 s, depth 1: ..." for failure messages and the log.
std::string depths_text(const solver::bmc_result& r) {
    std::ostringstream out;
    for (const auto& d : r.depths)
        out << "  depth " << d.depth << ": " << solver::bmc_status_name(d.status) << ", build " << d.build_seconds
            << " s, solve " << d.solve_seconds << " s, " << d.assertions << " assertions, " << d.step_nodes
            << " step terms\n";
    return out.str();
}

std::string trace_text(const std::vector<action>& trace) {
    std::string out;
    for (std::size_t k = 0; k < trace.size(); ++k) out += "  " + std::to_string(k + 1) + ". " + model::describe(trace[k]) + "\n";
    return out;
}

/// BMC on the fixed model: clean at every depth up to `depth`.
template <class P> void require_clean(const config& cfg, int depth) {
    const auto r = solver::bmc<P>(cfg, depth, props::all_invariants, 0);
    INFO("actions per step: " << r.actions << ", total " << r.seconds << " s\n" << depths_text(r));
    if (r.status == solver::bmc_status::violation)
        INFO("violated " << props::inv_name(static_cast<props::inv>(r.violated)) << " by\n" << trace_text(r.trace));
    REQUIRE(r.status == solver::bmc_status::clean);
    REQUIRE(r.clean_depth == depth);
    REQUIRE(r.depths.size() == static_cast<std::size_t>(depth + 1));
    for (const auto& d : r.depths) CHECK(d.status == solver::bmc_status::clean);
    WARN("BMC clean to depth " << depth << " (" << r.actions << " actions) in " << r.seconds << " s\n" << depths_text(r));
}

}  // namespace

TEST_CASE("BMC: the fixed model is clean at every depth", "[symbolic][bmc]") {
    using P = model::preset_small;
    SECTION("preset_small, every action, depth 3") {
        // Depth 5 at full preset_small takes far longer than a unit test may (see the header).
        require_clean<P>(config::defaults<P>(), 3);
    }
    SECTION("preset_small with one virtual page per mm, depth 4") {
        // One page per mm keeps every action but mremap and multi-page ranges, and
        // halves the action list, which buys one more depth in the same time.
        config cfg = config::defaults<P>();
        cfg.lim.va_pages = 1;
        require_clean<P>(cfg, 4);
    }
}

TEST_CASE("BMC: fork_keeps_exclusive breaks anon_exclusive_mapped_once at minimal depth 3, and the trace replays",
          "[symbolic][bmc][mutant]") {
    using P = model::preset_small;
    config cfg = config::defaults<P>();
    cfg.inject(model::mutant::fork_keeps_exclusive);
    const auto r = solver::bmc<P>(cfg, 5, props::all_invariants, 0);
    INFO(depths_text(r) << trace_text(r.trace));
    REQUIRE(r.status == solver::bmc_status::violation);
    // mmap, write (a new PageAnonExclusive folio), fork (shares it, still exclusive).
    REQUIRE(r.depth == 3);
    REQUIRE(r.clean_depth == 2);   // no violation at depths 0, 1, 2
    REQUIRE(r.depths.size() == 4);
    for (int d = 0; d < 3; ++d) CHECK(r.depths[d].status == solver::bmc_status::clean);
    REQUIRE(r.trace.size() == 3);
    CHECK(r.trace[0].kind == model::op::mmap);
    CHECK(r.trace[1].kind == model::op::write);
    CHECK(r.trace[2].kind == model::op::fork);
    CHECK(props::inv_name(static_cast<props::inv>(r.violated)) == std::string("anon_exclusive_mapped_once"));
    // The solver's trace on the concrete model: same invariant, same step.
    CHECK(r.replay.valid);
    CHECK(r.replay.violated == r.violated);
    CHECK(r.replay.violated_at == 3);
    CHECK(r.replay_agrees);
    WARN("fork_keeps_exclusive found at depth 3 in " << r.seconds << " s\n" << depths_text(r));
}

TEST_CASE("BMC: every step as a fresh state finds the same minimal violation", "[symbolic][bmc][mutant]") {
    // substitute_below = 0 is the plain encoding (a fresh state per step, equal leaf by
    // leaf to the ite-chain); it must agree with the default one.  One page per mm
    // keeps it to a few seconds (all-fresh at full preset_small: about 40 s).
    using P = model::preset_small;
    config cfg = config::defaults<P>();
    cfg.lim.va_pages = 1;
    cfg.inject(model::mutant::fork_keeps_exclusive);
    const auto r = solver::bmc<P>(cfg, 4, props::all_invariants, 0, solver::bmc_tuning{.substitute_below = 0});
    INFO(depths_text(r) << trace_text(r.trace));
    REQUIRE(r.status == solver::bmc_status::violation);
    CHECK(r.depth == 3);
    CHECK(r.clean_depth == 2);
    CHECK(props::inv_name(static_cast<props::inv>(r.violated)) == std::string("anon_exclusive_mapped_once"));
    CHECK(r.replay_agrees);
}

TEST_CASE("BMC: a time budget that runs out is unknown, never clean", "[symbolic][bmc]") {
    using P = model::preset_small;
    const auto r = solver::bmc<P>(config::defaults<P>(), 8, props::all_invariants, 1);
    CHECK(r.status == solver::bmc_status::unknown);
    CHECK_FALSE(r.reason.empty());
    CHECK(r.clean_depth < 8);
}

TEST_CASE("BMC: the budget holds through every Z3 call (push() internalizing a deep step, simplify(), check())",
          "[symbolic][bmc]") {
    // At small, depth 4 takes minutes after a quick unrolling: the 20 s budget runs out
    // inside Z3 (push() or check()).  The watchdog interrupts whichever call runs; before
    // it, push() at default depth 3 ran for minutes past a 150 s budget.
    using P = model::preset_small;
    const auto t0 = std::chrono::steady_clock::now();
    const auto r = solver::bmc<P>(config::defaults<P>(), 4, props::all_invariants, 20000);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    INFO(r.reason << ", " << secs << " s");
    CHECK(r.status == solver::bmc_status::unknown);
    CHECK(r.clean_depth < 4);
    CHECK(r.reason.find("20000 ms") != std::string::npos);   // said as the budget, not as a Z3 error
    CHECK(secs < 50);   // the budget and slack for a loaded machine; not a speed figure
}

namespace {

using PD = model::preset_default;
using CS = solver::conc_state<PD>;
using SS = solver::sym_state<PD>;

/// Every leaf of the symbolic result is the constant the concrete run computed.
template <class C, class Sy> void require_same_state(const C& c, const Sy& s, const std::string& what) {
    const std::vector<int> want = model::generic::leaf_values(c);
    std::size_t k = 0;
    model::generic::for_each_leaf<true>(
        [&](const std::string& path, const auto& leaf) {
            const auto got = solver::constant(leaf);
            if (!got || *got != want[k])
                FAIL(what << ": leaf " << path << " is " << want[k] << " concretely but "
                          << (got ? std::to_string(*got) : leaf.e.simplify().to_string()) << " symbolically");
            ++k;
        },
        "", s);
}

/// The guard and every invariant agree on a state and its lifted copy.
template <class C, class Sy>
void require_same_verdicts(const config& cfg, const C& c, const Sy& s, const action& x, const std::string& what) {
    {
        INFO(what << ": enabled(" << model::describe(x) << ")");
        const auto en = solver::constant(model::enabled(cfg, s, x));
        REQUIRE(en.has_value());
        REQUIRE((*en != 0) == model::enabled(cfg, c, x));
    }
    for (int i = 0; i < props::inv_count; ++i) {
        const auto id = static_cast<props::inv>(i);
        INFO(what << ": invariant " << props::inv_name(id));
        const auto h = solver::constant(props::holds(id, cfg, s));
        REQUIRE(h.has_value());
        REQUIRE((*h != 0) == props::holds(id, cfg, c));
    }
}

/// Run `samples` random (reachable state, action) pairs through both interpretations.
void agreement(const config& cfg, unsigned seed, int samples) {
    std::mt19937 rng(seed);
    const std::vector<action> acts = model::actions(cfg);
    std::uniform_int_distribution<std::size_t> pick(0, acts.size() - 1);
    std::uniform_int_distribution<int> length(0, 60);
    for (int n = 0; n < samples; ++n) {
        // A reachable state: a random walk of enabled, in-bounds steps.
        CS s = model::initial_state<CS>();
        std::vector<action> walk;
        for (int len = length(rng), tries = 0; static_cast<int>(walk.size()) < len && tries < 20 * len; ++tries) {
            const action& x = acts[pick(rng)];
            if (model::step(cfg, s, x)) walk.push_back(x);
        }
        // Half the time an enabled action, else any (apply is total: disabled actions must agree too).
        action x = acts[pick(rng)];
        if (n % 2 == 0)
            for (int tries = 0; tries < 200 && !model::enabled(cfg, s, x); ++tries) x = acts[pick(rng)];
        const std::string what = "sample " + std::to_string(n) + " (walk:\n" + trace_text(walk) + ") then " +
                                 model::describe(x);

        const SS ls = solver::lift(s);
        require_same_state(s, ls, what + ", lifted state");
        require_same_verdicts(cfg, s, ls, x, what + ", before");
        CS c = s;
        model::apply(cfg, c, x);
        SS t = ls;
        model::apply(cfg, t, x);
        require_same_state(c, t, what);
        require_same_verdicts(cfg, c, t, x, what + ", after");
        // On constants every branch folds; BMC's deeper states are terms.  Every tenth
        // sample also runs the step on fresh constants constrained to s, so each D::when
        // merges for real, and the solver's value of the result must be the concrete one.
        if (n % 10 == 0) {
            using FS = SS;
            const FS fx = solver::fresh<FS>("a" + std::to_string(n) + ".");
            z3::solver sv(solver::z3ctx());
            for (const auto& e : solver::leafwise_equal(fx, ls)) sv.add(e);
            FS ft = fx;
            model::apply(cfg, ft, x);
            REQUIRE(sv.check() == z3::sat);
            INFO(what << ", on fresh constants");
            CHECK(model::generic::equal(solver::evaluate(sv.get_model(), ft), c));
        }
    }
}

}  // namespace

TEST_CASE("symbolic and concrete interpretations agree on random reachable states", "[symbolic]") {
    const config cfg = config::defaults<PD>();
    SECTION("terms folded while built (as BMC runs them)") { agreement(cfg, 20240601u, 600); }
    SECTION("terms built as written: z3's own bit-vector semantics") {
        solver::set_folding(false);
        agreement(cfg, 7u, 200);
        solver::set_folding(true);
    }
    SECTION("COW context design, as coded and with every --cow-fix (walk_parent_first's pre-order walk too)") {
        config c = cfg;
        c.rmap = model::design::cow_context;
        agreement(c, 41u, 200);
        for (const auto& f : model::cow_fixes()) c.fix(f.id);
        agreement(c, 43u, 200);
    }
    SECTION("mshare design, every flush strategy and address mode (model/mshare.hpp)") {
        for (auto f : {model::mshare_flush::attacher_list, model::mshare_flush::notifier, model::mshare_flush::flush_all})
            for (auto a : {model::mshare_addr::per_process, model::mshare_addr::same}) {
                config c = cfg;
                c.rmap = model::design::mshare;
                c.flush = f;
                c.addr = a;
                agreement(c, 31u + static_cast<unsigned>(f) * 2 + static_cast<unsigned>(a), 150);
            }
    }
}

TEST_CASE("a step applied to a fresh symbolic state computes the concrete step (the BMC mshare trace)",
          "[symbolic][mshare]") {
    // bmc --design mshare --bounds small --vmas 1 --va-pages 1 --depth 5 reported
    // mshare_attached_list_exact after this trace and it did not replay (exit 4): in
    // mm_exit, `D::when(s.region[r].windowed[m], s, detach)` passed a leaf of s as the
    // condition by reference, merge() overwrote it part-way, and the leaves merged after it
    // (linked, todo) kept their old values.  On constant states the branch is folded away,
    // so each step here runs on fresh constants constrained to the concrete state, as BMC's
    // later depths do, and the solver's value of the result must be the concrete result.
    using P = model::preset_small;
    using CS2 = solver::conc_state<P>;
    using SS2 = solver::sym_state<P>;
    config cfg = config::defaults<P>();
    cfg.rmap = model::design::mshare;
    cfg.lim.vmas = 1;
    cfg.lim.va_pages = 1;
    const std::vector<std::string> trace = {"mm0 mshare_create -> region0", "mm0 mshare_attach region0 at 0",
                                            "region0 mshare_map (MSHAREFS_CREATE_MAPPING)", "cpu0 write mm0[0] = 1",
                                            "mm0 execve"};
    CS2 c = model::initial_state<CS2>();
    int n = 0;
    for (const auto& d : trace) {
        INFO(d);
        std::optional<action> x;
        for (const auto& a : model::actions(cfg))
            if (model::describe(a) == d) x = a;
        REQUIRE(x);
        std::string prefix = "s";   // built piecewise: GCC 12 warns (-Wrestrict) on "s" + std::string
        prefix += std::to_string(n++);
        prefix += '.';
        const SS2 fx = solver::fresh<SS2>(prefix);
        z3::solver sv(solver::z3ctx());
        for (const auto& e : solver::leafwise_equal(fx, solver::lift(c))) sv.add(e);
        SS2 t = fx;
        model::apply(cfg, t, *x);
        REQUIRE(model::step(cfg, c, *x));
        REQUIRE(sv.check() == z3::sat);
        CHECK(model::generic::equal(solver::evaluate(sv.get_model(), t), c));
    }
    CHECK(!c.region[0].linked[0]);   // execve detached mm0's window: no link is left behind
}

TEST_CASE("symbolic corner cases match the concrete domain", "[symbolic]") {
    using D = solver::symbolic;
    using C = model::concrete;
    for (bool fold : {true, false}) {
        solver::set_folding(fold);
        // Wrap-around and unsigned comparison on every pair of a spread of values.
        for (int a : {0, 1, 2, 127, 128, 200, 254, 255})
            for (int b : {0, 1, 3, 127, 128, 255}) {
                INFO("fold " << fold << ", a " << a << ", b " << b);
                const solver::sint x(a), y(b);
                const model::cint cx(a), cy(b);
                CHECK(solver::constant(x + y) == (cx + cy).get());
                CHECK(solver::constant(x - y) == (cx - cy).get());
                CHECK(solver::constant(x & y) == (cx & cy).get());
                CHECK(solver::constant(x | y) == (cx | cy).get());
                CHECK(solver::constant(x ^ y) == (cx ^ cy).get());
                CHECK(solver::constant(~x) == (~cx).get());
                CHECK(solver::constant(x < y) == int(cx < cy));
                CHECK(solver::constant(x <= y) == int(cx <= cy));
                CHECK(solver::constant(x > y) == int(cx > cy));
                CHECK(solver::constant(x >= y) == int(cx >= cy));
                CHECK(solver::constant(x == y) == int(cx == cy));
                CHECK(solver::constant(x != y) == int(cx != cy));
            }
        // select / update out of range: the zero element, and no change.
        std::array<solver::sint, 3> arr{solver::sint(5), solver::sint(6), solver::sint(7)};
        std::array<model::cint, 3> carr{5, 6, 7};
        for (int i : {0, 2, 3, model::nil}) {
            INFO("fold " << fold << ", index " << i);
            CHECK(solver::constant(D::select(arr, i)) == C::select(carr, i).get());
            auto a2 = arr;
            auto c2 = carr;
            D::update(a2, i, [](solver::sint& v) { v = v + 1; });
            C::update(c2, i, [](model::cint& v) { v = v + 1; });
            for (int k = 0; k < 3; ++k) CHECK(solver::constant(a2[k]) == c2[k].get());
        }
        // An ite-tree index (how slot choices look) selects and updates like its value.
        const solver::sbool p(solver::z3ctx().bool_const("p"));
        const solver::sint idx = D::ite(p, solver::sint(1), solver::sint(model::nil));
        const auto sel = D::select(arr, idx);
        z3::solver s(solver::z3ctx());
        s.add(p.e);
        s.add(sel.e != 6);
        CHECK(s.check() == z3::unsat);
    }
    solver::set_folding(true);
}

TEST_CASE("fresh, lift and evaluate: a model of fresh constants reads back as the concrete state", "[symbolic]") {
    using P = model::preset_small;
    using CS2 = solver::conc_state<P>;
    using SS2 = solver::sym_state<P>;
    const config cfg = config::defaults<P>();
    CS2 c = model::initial_state<CS2>();
    REQUIRE(model::step(cfg, c, {model::op::mmap, {.mm = 0, .start = 0, .pages = 1}}));
    REQUIRE(model::step(cfg, c, {model::op::write, {.mm = 0, .cpu = 0, .start = 0, .value = 2}}));
    const SS2 x = solver::fresh<SS2>("x.");
    z3::solver s(solver::z3ctx());
    for (const auto& e : solver::leafwise_equal(x, solver::lift(c))) s.add(e);
    REQUIRE(s.check() == z3::sat);
    const CS2 back = solver::evaluate(s.get_model(), x);
    CHECK(model::generic::equal(back, c));
    CHECK(solver::leaf_exprs(x).size() == model::generic::leaf_count<CS2>());
    CHECK(solver::leaf_exprs(x).front().to_string() == "|x.mm[0].live|");
}

// ---- the two exhaustive engines agree ------------------------------------------------

#include "solver/explore.hpp"

namespace {

/// Explore, then BMC, with the same configuration and invariants: both must find a
/// violation at the same (minimal) depth, each trace replaying concretely.
void engines_agree(const config& cfg, int depth, int expect) {
    using P = model::preset_small;
    using S = model::state<model::concrete, P>;
    solver::explore_options eo;
    eo.depth = depth;
    const auto e = solver::explore<S>(cfg, eo);
    INFO("explore: clean to " << e.clean_depth << ", " << e.states << " states\n" << trace_text(e.trace));
    REQUIRE(e.violated >= 0);
    CHECK(static_cast<int>(e.trace.size()) == expect);
    CHECK(e.clean_depth == expect - 1);
    const auto b = solver::bmc<P>(cfg, depth, props::all_invariants, 0);
    INFO(depths_text(b) << trace_text(b.trace));
    REQUIRE(b.status == solver::bmc_status::violation);
    CHECK(b.depth == expect);
    CHECK(b.clean_depth == expect - 1);
    CHECK(b.replay_agrees);
    // Both traces break an invariant after exactly `expect` steps on the concrete model.
    const auto re = solver::replay<S>(cfg, e.trace, props::all_invariants);
    CHECK(re.violated_at == expect);
    WARN("explore " << e.seconds << " s, BMC " << b.seconds << " s, both at depth " << expect);
}

}  // namespace

TEST_CASE("explore and BMC find fork_keeps_exclusive at the same minimal depth 3", "[symbolic][bmc][explore][mutant]") {
    config cfg = config::defaults<model::preset_small>();
    cfg.inject(model::mutant::fork_keeps_exclusive);
    engines_agree(cfg, 5, 3);
}

TEST_CASE("a mutant that needs exactly 4 steps is found at depth 4 and not before, by explore and BMC",
          "[symbolic][bmc][explore][mutant]") {
    // gup_cow_leak (CVE-2020-29374): mmap, write, fork, then a read-only pin of the
    // shared page that does not unshare: no 3-step trace breaks anything.  One VMA and one
    // page per mm keep BMC's depth 4 to seconds.
    config cfg = config::defaults<model::preset_small>();
    cfg.lim.vmas = 1;
    cfg.lim.va_pages = 1;
    cfg.inject(model::mutant::gup_cow_leak);
    engines_agree(cfg, 5, 4);
}

TEST_CASE("BMC from a saved prefix: the continuation is found after it, and replays from the start",
          "[symbolic][bmc][mutant]") {
    // bmc --from: start from the state after mmap, write (of the fork_keeps_exclusive
    // trace); one more step (fork) breaks it.
    using P = model::preset_small;
    using S = model::state<model::concrete, P>;
    config cfg = config::defaults<P>();
    cfg.inject(model::mutant::fork_keeps_exclusive);
    const auto full = solver::bmc<P>(cfg, 3, props::all_invariants, 0);
    REQUIRE(full.status == solver::bmc_status::violation);
    const std::vector<action> prefix(full.trace.begin(), full.trace.begin() + 2);
    const auto r = solver::bmc<P>(cfg, 3, props::all_invariants, 0, {}, prefix);
    INFO(depths_text(r) << trace_text(r.trace));
    REQUIRE(r.status == solver::bmc_status::violation);
    CHECK(r.depth == 1);
    REQUIRE(r.trace.size() == 3);
    CHECK(r.trace[2].kind == model::op::fork);
    CHECK(r.replay_agrees);
    // On the fixed model the same start is clean for two more steps.
    const auto fixed = solver::bmc<P>(config::defaults<P>(), 2, props::all_invariants, 0, {}, prefix);
    CHECK(fixed.status == solver::bmc_status::clean);
    (void)sizeof(S);
}
