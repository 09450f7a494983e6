// solver/bmc.hpp — bounded model checking: the model unrolled into z3, by iterative deepening.
//
// Step 0 is the concrete initial state lifted to constants.  Step k -> k+1 has
// one choice variable c_k (a bit-vector numbering model::actions(cfg)); every
// action is applied symbolically to a copy of s_k (solver/symbolic.hpp: the
// same model code the explorer runs), and s_{k+1} is the ite-chain over those
// results selected by c_k (leaves an action leaves alone are not in its arm).
// The chosen action must be enabled and stay inside the bounds (model::step):
// c_k < |actions| and OR_a (c_k == a && enabled_a(s_k) && !out_of_bounds_a).
//
// How s_{k+1} enters the formula: as long as the chain is small (the first
// steps from the constant initial state fold to a few terms over c_0..c_k) it
// is used directly; once it has bmc_tuning::substitute_below distinct terms or
// more, s_{k+1} is a fresh state (one z3 constant per leaf, named
// "s<k+1>.<leaf path>") constrained leaf by leaf to equal the chain, so the
// formula grows by one transition per step instead of compounding.  Measured
// on preset_small with the fork_keeps_exclusive mutant (97 actions, depth 3):
// all-fresh about 40 s, substitute_below = 2000: 1-3 s.
//
// At each depth d = 0..max_depth the solver is asked, under push/pop, whether
// some selected invariant fails at s_d:
//   unsat   -> clean at d; the invariants are then asserted at s_d (sound: they
//              hold at every state reachable in d steps) and the next step is added;
//   sat     -> a violation: the choice variables decode into a concrete trace,
//              which is replayed on the concrete model before it is reported;
//   unknown -> the solver gave up (time budget, resource limit): the run stops
//              and is never reported clean.
// Violations are found at the smallest depth, so the trace is a shortest one at
// these bounds (no sequence of listed actions reaches a violation in fewer steps).
//
// The solver is created for logic QF_BV: the default solver was 14-68x slower
// with push/pop on the prototype (DESIGN.md "Engines").
//
// Cost (2 cores, measured with 97 actions per step at preset_small; see
// tests/test_symbolic.cpp): each depth costs several times the one before, and
// the fresh steps dominate.  preset_small is clean to depth 3 in 7-14 s; depth
// 4 took about 10 minutes.  With one virtual page per mm (47 actions) depth 4
// takes 6-10 s and depth 5 about two minutes.
#pragma once
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "../props/props.hpp"
#include "replay.hpp"
#include "symbolic.hpp"

namespace solver {

enum class bmc_status { clean, violation, unknown };

inline const char* bmc_status_name(bmc_status s) {
    switch (s) {
        case bmc_status::clean: return "clean";
        case bmc_status::violation: return "violation";
        case bmc_status::unknown: return "unknown";
    }
    return "?";
}

/// One depth of the iterative deepening.
struct bmc_depth {
    int depth = 0;
    bmc_status status = bmc_status::unknown;
    double build_seconds = 0;      // unrolling the step into this depth (0 for depth 0)
    double solve_seconds = 0;      // the check at this depth
    std::size_t assertions = 0;    // assertions on the solver (the query included)
    std::size_t step_nodes = 0;    // distinct z3 terms of the step into this depth
};

/// Knobs of the unrolling; the defaults are the measured best.
struct bmc_tuning {
    /// A step's result is used as it is (terms over the earlier choice variables)
    /// while it has fewer distinct terms than this; from then on each step gets a
    /// fresh state.  0: every step gets a fresh state.
    std::size_t substitute_below = 2000;
};

struct bmc_result {
    bmc_status status = bmc_status::unknown;
    int clean_depth = -1;          // no selected invariant fails at any depth <= this
    int depth = -1;                // violation: the number of steps of the trace
    int violated = -1;             // violation: the first selected invariant false at `depth`
    std::vector<action> trace;     // violation: the decoded trace
    replay_result replay;          // violation: the trace replayed on the concrete model
    bool replay_agrees = false;    // replay broke `violated` after exactly `depth` steps
    std::string reason;            // unknown: why (z3's reason, or the time budget)
    std::size_t actions = 0;       // size of model::actions(cfg)
    double seconds = 0;
    std::vector<bmc_depth> depths;
};

namespace detail {

/// Thrown by unroll_step when the run's wall-clock budget runs out part-way (one depth's
/// unrolling at `default` can take minutes; bmc reports `unknown`, never waits it out).
struct unroll_timeout {};

/// Number of distinct terms reachable from `roots`.
inline std::size_t dag_size(const std::vector<z3::expr>& roots) {
    std::unordered_set<Z3_ast> seen;
    std::vector<z3::expr> todo(roots.begin(), roots.end());
    while (!todo.empty()) {
        z3::expr e = todo.back();
        todo.pop_back();
        if (!seen.insert(static_cast<Z3_ast>(e)).second) continue;
        if (e.is_app())
            for (unsigned k = 0; k < e.num_args(); ++k) todo.push_back(e.arg(k));
    }
    return seen.size();
}

/// Bits needed to number n choices (at least 1).
inline unsigned choice_width(std::size_t n) {
    unsigned w = 1;
    while ((std::size_t(1) << w) < n) ++w;
    return w;
}

/// The step into depth d: a choice variable c (appended to `choices`), the next
/// state (appended to `states`), and the assertions "c names an action, that action
/// is enabled at the current state and stays in bounds, and the next state is its
/// result".  `nodes` receives the number of distinct terms of the step.  `next_values`,
/// if given, receives each leaf's next value over the current state and the choice (an
/// ite over the actions that change it; the current leaf itself when none does).
template <class SS>
std::vector<z3::expr> unroll_step(const model::config& cfg, const std::vector<action>& acts, int d, unsigned width,
                                  const bmc_tuning& tuning, std::vector<z3::expr>& choices, std::vector<SS>& states,
                                  std::size_t& nodes,
                                  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max(),
                                  std::vector<z3::expr>* next_values = nullptr) {
    z3::context& ctx = z3ctx();
    const SS cur = states.back();
    const z3::expr c = ctx.bv_const(("c" + std::to_string(d - 1)).c_str(), width);
    const std::vector<z3::expr> base = leaf_exprs(cur);
    std::vector<z3::expr> chain = base;   // per leaf: ite over the actions that change it
    z3::expr_vector guard(ctx);
    // Checked before each action and, since simplifying a deep step takes longer than its
    // action loop (default, depth 3: 3.6 million terms, 217 s to build in all), before each
    // leaf is simplified.
    auto check_deadline = [&] {
        if (std::chrono::steady_clock::now() > deadline) throw unroll_timeout{};
    };
    for (std::size_t a = 0; a < acts.size(); ++a) {
        check_deadline();
        const sbool en = model::enabled(cfg, cur, acts[a]);
        if (symbolic::known_false(en)) continue;
        const z3::expr chosen = c == ctx.bv_val(static_cast<unsigned>(a), width);
        SS t = cur;
        model::apply(cfg, t, acts[a]);
        const sbool ok = en && !t.out_of_bounds;
        if (symbolic::known_false(ok)) continue;
        guard.push_back(mk_and(chosen, ok.e));
        std::size_t k = 0;
        model::generic::for_each_leaf(
            [&](const std::string&, const auto& leaf) {
                if (!same(leaf.e, base[k])) chain[k] = mk_ite(chosen, leaf.e, chain[k]);
                ++k;
            },
            "", t);
    }
    std::vector<z3::expr> step;
    step.push_back(z3::ult(c, ctx.bv_val(static_cast<unsigned>(acts.size()), width)));
    step.push_back(guard.empty() ? ctx.bool_val(false) : z3::mk_or(guard));
    // z3's simplifier folds what is left constant (slot numbers, reset values) before the
    // solver bit-blasts it: measured 2-3x faster checks at depths 3 and 4.
    for (auto& e : step) {
        check_deadline();
        e = e.simplify();
    }
    SS next;
    if (dag_size(chain) < tuning.substitute_below) {
        std::size_t k = 0;
        model::generic::for_each_leaf(
            [&](const std::string&, auto& leaf) {
                check_deadline();
                leaf.e = chain[k++].simplify();
            },
            "", next);
        nodes = dag_size(step) + dag_size(leaf_exprs(next));
    } else {
        next = fresh<SS>("s" + std::to_string(d) + ".");
        const std::vector<z3::expr> next_leaves = leaf_exprs(next);
        for (std::size_t k = 0; k < chain.size(); ++k) {
            check_deadline();
            step.push_back((next_leaves[k] == chain[k]).simplify());
        }
        nodes = dag_size(step);
    }
    if (next_values) *next_values = chain;
    choices.push_back(c);
    states.push_back(std::move(next));
    return step;
}

}  // namespace detail

/// Interrupts the Z3 context at a deadline (ctx.interrupt()), so that every long Z3 call
/// stops there, not only check() (whose "timeout" parameter bounds the search alone):
/// push() internalizes the step assertions added since the last check, which at
/// `default` depth 3 ran for minutes past the budget, growing to 10 GB.  An interrupt
/// while no Z3 call runs has no lasting effect (the next call runs normally).
class z3_watchdog {
public:
    z3_watchdog(z3::context& ctx, std::chrono::steady_clock::time_point deadline)
        : thread_([this, &ctx, deadline] {
              std::unique_lock<std::mutex> lock(mutex_);
              if (!wake_.wait_until(lock, deadline, [this] { return done_; })) {
                  fired_ = true;
                  ctx.interrupt();
              }
          }) {}
    ~z3_watchdog() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            done_ = true;
        }
        wake_.notify_all();
        thread_.join();
    }
    z3_watchdog(const z3_watchdog&) = delete;
    z3_watchdog& operator=(const z3_watchdog&) = delete;
    bool fired() const { return fired_; }

private:
    std::mutex mutex_;
    std::condition_variable wake_;
    bool done_ = false;
    std::atomic<bool> fired_{false};
    std::thread thread_;   // last: it starts once the members above exist
};

/// Bounded model checking of the selected invariants from the initial state to
/// `max_depth` steps.  `timeout_ms` is a wall-clock budget for the whole run
/// (0 = none); each check gets what is left of it.
///
/// `prefix` (`bmc --from FILE`): start from the concrete state those actions reach
/// instead of the initial state (the caller has checked that it replays); depths then
/// count the steps after the prefix, and a violating trace is prefix + the solver's
/// steps, replayed from the initial state.
template <class P>
bmc_result bmc(const model::config& cfg, int max_depth, props::inv_set selected, unsigned timeout_ms,
               const bmc_tuning& tuning = {}, const std::vector<action>& prefix = {}) {
    using SS = sym_state<P>;
    using CS = conc_state<P>;
    using clock = std::chrono::steady_clock;
    const auto since = [](clock::time_point t) { return std::chrono::duration<double>(clock::now() - t).count(); };
    const auto started = clock::now();

    z3::context& ctx = z3ctx();
    z3::solver sol(ctx, "QF_BV");
    std::optional<z3_watchdog> watchdog;
    if (timeout_ms) watchdog.emplace(ctx, started + std::chrono::milliseconds(timeout_ms));
    const std::vector<action> acts = model::actions(cfg);
    const unsigned width = detail::choice_width(acts.size());

    bmc_result r;
    r.actions = acts.size();
    CS start = model::initial_state<CS>(&cfg);
    for (const action& x : prefix) model::step(cfg, start, x);
    std::vector<SS> states{lift(start)};
    std::vector<z3::expr> choices;

    for (int d = 0; d <= max_depth; ++d) {
        bmc_depth row;
        row.depth = d;
        // The time budget ran out at depth d: the run stops with `unknown`, never "clean".
        const auto budget_gone = [&](const std::string& where) {
            row.status = bmc_status::unknown;
            r.depths.push_back(row);
            r.status = bmc_status::unknown;
            r.reason = "time budget of " + std::to_string(timeout_ms) + " ms used up " + where + std::to_string(d);
        };
        // A Z3 call the watchdog interrupted (a simplify() in the unrolling, push(),
        // check()) throws "canceled": the budget is gone, the run is unknown.
        std::optional<clock::time_point> solving;   // since when this depth is in push()/check()
        try {
            if (d > 0) {
                // unroll_step checks the deadline before each action (the first check also covers
                // a budget already used up), so one depth's unrolling cannot run far past it.
                const auto t0 = clock::now();
                const auto deadline = timeout_ms ? started + std::chrono::milliseconds(timeout_ms) : clock::time_point::max();
                std::vector<z3::expr> step;
                try {
                    step = detail::unroll_step(cfg, acts, d, width, tuning, choices, states, row.step_nodes, deadline);
                } catch (const detail::unroll_timeout&) {
                    row.build_seconds = since(t0);
                    budget_gone("while unrolling depth ");
                    break;
                }
                for (const auto& e : step) sol.add(e);
                row.build_seconds = since(t0);
            }

            // Does some selected invariant fail at s_d?
            const SS& s = states.back();
            std::vector<z3::expr> holds;
            z3::expr_vector bad(ctx);
            // The invariants over a deep state are large terms too: the budget is checked
            // between them (the check after the loop reports it).
            for (int i = 0; i < props::inv_count && !(timeout_ms && since(started) * 1000.0 >= timeout_ms); ++i) {
                holds.push_back(props::holds(static_cast<props::inv>(i), cfg, s).e.simplify());
                if (selected >> i & 1) bad.push_back(!holds.back());
            }
            const double used_ms = since(started) * 1000.0;
            // Stopped between the invariants, or nothing left for the solver.
            if (holds.size() < static_cast<std::size_t>(props::inv_count) || (!bad.empty() && timeout_ms && used_ms >= timeout_ms)) {
                budget_gone("before depth ");
                break;
            }
            const auto t1 = clock::now();
            solving = t1;
            z3::check_result res = z3::unsat;
            if (!bad.empty()) {
                sol.push();
                sol.add(z3::mk_or(bad));
                // push() may have taken long (or been interrupted): check() gets what is left.
                const double left_ms = timeout_ms - since(started) * 1000.0;
                if ((watchdog && watchdog->fired()) || (timeout_ms && left_ms < 1)) {
                    row.solve_seconds = since(t1);
                    budget_gone("during depth ");
                    break;
                }
                z3::params p(ctx);
                // z3 reads 4294967295 as "no timeout"; a budget is at least 1 ms.
                p.set("timeout", timeout_ms ? static_cast<unsigned>(left_ms) : 4294967295u);
                sol.set(p);
                res = sol.check();
                // Interrupted (whatever push() or check() said), or check()'s own timeout:
                // the budget is gone.
                if ((watchdog && watchdog->fired()) ||
                    (res == z3::unknown && timeout_ms && since(started) * 1000.0 >= timeout_ms)) {
                    row.solve_seconds = since(t1);
                    budget_gone("during depth ");
                    break;
                }
                row.assertions = sol.assertions().size();
                if (res == z3::sat) {
                    const z3::model m = sol.get_model();
                    r.depth = d;
                    r.trace = prefix;
                    for (const auto& c : choices) r.trace.push_back(acts.at(m.eval(c, true).get_numeral_uint()));
                    for (int i = 0; i < props::inv_count && r.violated < 0; ++i)
                        if ((selected >> i & 1) && m.eval(holds[i], true).is_false()) r.violated = i;
                } else if (res == z3::unknown) {
                    r.reason = sol.reason_unknown();
                }
                sol.pop();
            }
            row.solve_seconds = since(t1);
            row.status = res == z3::sat     ? bmc_status::violation
                         : res == z3::unsat ? bmc_status::clean
                                            : bmc_status::unknown;
            r.depths.push_back(row);
            if (res != z3::unsat) {
                r.status = row.status;
                break;
            }
            r.clean_depth = d;
            r.status = bmc_status::clean;
            // Every state reachable in d steps satisfies the invariants: say so, to help the deeper checks.
            for (int i = 0; i < props::inv_count; ++i)
                if (selected >> i & 1) sol.add(holds[i]);
        } catch (const z3::exception&) {
            if (!(watchdog && watchdog->fired())) throw;
            if (solving) row.solve_seconds = since(*solving);
            budget_gone("during depth ");
            break;
        }
    }

    if (r.status == bmc_status::violation) {
        r.replay = replay<CS>(cfg, r.trace, selected);
        r.replay_agrees = r.replay.valid && r.replay.violated == r.violated &&
                          r.replay.violated_at == r.depth + static_cast<int>(prefix.size());
    }
    r.seconds = since(started);
    return r;
}

}  // namespace solver
