// solver/prove.hpp — k-induction over the symbolic model: "proved for these bounds".
//
// An invariant X is proved at these bounds when
//   base case:      no trace of at most k steps from the initial state breaks any
//                   assumed invariant (BMC to depth k, solver/bmc.hpp), and
//   inductive step: from any state s_0 (a fresh symbolic state: every leaf a free
//                   z3 constant) and any k steps s_0 -> ... -> s_k along which the
//                   assumed invariants hold at s_0 .. s_{k-1}, X holds at s_k.
// Then X holds in every reachable state, at every depth (for these bounds).
//
// Which invariants are assumed (the strengthening) is decided by the Houdini
// scheme: start from every invariant of the registry that passes the base case
// (a selected one that fails it is a violation, replayed like bmc's), ask once
// whether some assumed invariant can fail at s_k (one query over the
// conjunction), and drop every assumed invariant the solver's model breaks at
// s_k: that model is a counterexample to induction (CTI) for each of them — a
// state satisfying all the others that one step breaks.  Repeat until the query
// is unsat: the invariants left are inductive together and each of them is
// proved; the dropped ones are "not proved" with their CTI.  A CTI is not a bug
// (s_0 need not be reachable): it shows which strengthening is missing.  Each
// CTI is checked on the concrete model (s_0 evaluated from the solver's model,
// the decoded action stepped concretely): if the concrete step does not break
// the invariant, that is an internal error, never a CTI.
//
// The frame (detail::frame_leaves): besides the registry, s_0 is restricted to states
// whose leaves that no action of the configuration can move off their initial value
// hold that value.  That invariant is inductive by construction and holds initially,
// so restricting s_0 by it is sound; it removes, without a Houdini round each, the CTIs
// whose s_0 carries garbage in state the configuration never touches.
//
// A time budget that runs out (or z3's unknown) leaves every invariant still
// assumed as unknown, never proved.
//
// Two forms of the inductive step:
// - k = 1 (the default): one query per action (detail::step_by_action).  The step's
//   disjunction over the actions splits into one query each; an action's post-state is
//   the action run on s_0, so it shares most of its terms with s_0 and the query is small.
// - k > 1, or `joint`: the k steps unrolled once over every action (one choice variable
//   per step, as bmc does) and one query over all of them per round.
//
// Threads (`threads` > 1, per-action form only): a round's queries are asked that many at
// a time, each in a fresh z3::context on a thread of its own, and their answers are taken
// in query order, so the result does not depend on timing (detail::step_by_action).
//
// Joint solver: z3::solver(ctx, "QF_BV"), one per run; the assumed set enters as
// assumption literals (assume.<name> => the invariant at s_0 .. s_{k-1}), so the
// unrolled step is built once and every round reuses the solver.
#pragma once
#include <algorithm>
#include <chrono>
#include <ctime>
#include <deque>
#include <future>
#include <memory>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "bmc.hpp"
#include "narrative.hpp"
#include "print.hpp"

namespace solver {

enum class prove_status { proved, violation, cti, unknown };

inline const char* prove_status_name(prove_status s) {
    switch (s) {
        case prove_status::proved: return "proved";
        case prove_status::violation: return "violation";
        case prove_status::cti: return "cti";
        case prove_status::unknown: return "unknown";
    }
    return "?";
}

/// A counterexample to induction: states s_0 .. s_k (the assumed invariants hold on
/// s_0 .. s_{k-1}) and the k actions between them; `broken` fail at s_k.
template <class CS> struct cti {
    std::vector<CS> states;        // evaluated from the solver's model
    std::vector<action> steps;     // decoded choice variables
    std::vector<int> broken;       // invariants false at s_k (all dropped in this round)
    int round = 0;
    bool concrete_agrees = false;  // stepping s_0 concretely gives s_k and breaks them all
    std::string disagreement;      // what did not agree, if not
};

/// How prove runs (besides the bounds, k, the selection and the budget).
struct prove_options {
    bool each = false;      // time every proved selected invariant on its own afterwards
    bool joint = false;     // k = 1: one query over every action per round, not one per action
    /// The invariants the inductive step may assume (the Houdini start, with the selected
    /// ones); the others are neither assumed nor proved.  Assuming fewer is always sound.
    props::inv_set assumable = props::all_invariants;
    std::ostream* progress = nullptr;
    /// k = 1 per action: queries asked at once, each on its own thread in its own z3
    /// context (detail::step_by_action); 1 asks them one after the other.
    unsigned threads = 1;
};

/// One invariant's result.
struct prove_row {
    int invariant = -1;
    prove_status status = prove_status::unknown;
    int cti = -1;                  // cti: index into prove_result::ctis
    int round = -1;                // cti: the round that dropped it
    double seconds = -1;           // proved, with `each`: its own inductive-step query
};

template <class CS> struct prove_result {
    int k = 1;
    std::vector<prove_row> rows;   // one per invariant of the registry, in registry order
    bmc_result base;               // the last base-case run (clean unless a selected invariant broke)
    std::vector<int> base_violations;  // invariants a base-case trace broke (dropped from the candidates)
    bmc_result violation;          // the base-case run that broke the first selected invariant
    std::vector<cti<CS>> ctis;
    std::vector<double> round_seconds;  // solve time of each Houdini round
    std::vector<std::size_t> round_queries;  // solver queries of each round (one per action asked, or 1 joint)
    std::string reason;            // unknown: why
    std::size_t actions = 0;
    std::size_t step_terms = 0;    // distinct z3 terms of the k unrolled steps
    std::vector<bool> frame;       // per state leaf, in for_each_leaf order: fixed at its initial value
                                   // (detail::frame_leaves); empty if the run stopped before it
    double base_seconds = 0, build_seconds = 0, solve_seconds = 0, seconds = 0;
    double cpu_seconds = 0;        // process CPU time of the run (wall time is unreliable on a shared machine)
    bool internal_error = false;

    std::size_t leaves() const { return frame.size(); }
    std::size_t frame_leaves() const { return static_cast<std::size_t>(std::count(frame.begin(), frame.end(), true)); }
};

namespace detail {

/// The frame: the largest set F of state leaves such that, when every leaf of F holds its
/// value in the initial state, every action's next value of every leaf of F is again that
/// value (z3's simplifier folds the substituted next value to the constant).  Such a leaf
/// holds its initial value in every reachable state, by induction over the steps: it is
/// an inductive invariant the model's code gives for free, found without a solver call.
/// It holds, for a configuration, the state no action of it writes (COW contexts outside
/// --design cow_context, mshare regions and the mermap outside --design mshare) and the
/// state only a mutant sets (mm->flush_pending: tlb_flush_pending only clears it).
/// Computed as a greatest fixpoint: start from every leaf, drop a leaf whose next value
/// does not fold to its initial value, repeat until nothing is dropped.
inline std::vector<bool> frame_leaves(const std::vector<z3::expr>& cur, const std::vector<z3::expr>& init,
                                      const std::vector<z3::expr>& next) {
    std::vector<bool> in(cur.size(), true);
    for (bool dropped = true; dropped;) {
        dropped = false;
        z3::expr_vector from(z3ctx()), to(z3ctx());
        for (std::size_t i = 0; i < cur.size(); ++i)
            if (in[i]) {
                from.push_back(cur[i]);
                to.push_back(init[i]);
            }
        for (std::size_t i = 0; i < cur.size(); ++i) {
            if (!in[i] || same(next[i], cur[i])) continue;
            z3::expr e = next[i];
            if (!same(e.substitute(from, to).simplify(), init[i])) {
                in[i] = false;
                dropped = true;
            }
        }
    }
    return in;
}

/// The wall-clock budget of a prove run: `timeout_ms` from `started` (0 = none).
struct wall_budget {
    std::chrono::steady_clock::time_point started;
    unsigned timeout_ms = 0;
    double used_ms() const {
        return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    }
    bool out() const { return timeout_ms && used_ms() >= timeout_ms; }
    std::chrono::steady_clock::time_point deadline() const {
        return timeout_ms ? started + std::chrono::milliseconds(timeout_ms) : std::chrono::steady_clock::time_point::max();
    }
    /// What is left for one solver call, in z3's "timeout" parameter (4294967295: none; at least 1 ms).
    unsigned left_ms() const {
        if (!timeout_ms) return 4294967295u;
        const double used = used_ms();
        return used >= timeout_ms ? 1u : std::max(1u, static_cast<unsigned>(timeout_ms - used));
    }
};

inline z3::expr mk_all(const std::vector<z3::expr>& xs) {
    z3::expr_vector v(z3ctx());
    for (const auto& x : xs) v.push_back(x);
    return xs.empty() ? z3ctx().bool_val(true) : z3::mk_and(v);
}


/// A CTI on the concrete model: the assumed invariants (`cand`) hold on s_0 .. s_{k-1},
/// each step is enabled and in bounds and yields the next state, and s_k breaks every
/// invariant of `broken`.  Sets c.concrete_agrees, and c.disagreement when it does not.
template <class CS> void replay_cti(const model::config& cfg, cti<CS>& c, props::inv_set cand) {
    const int k = static_cast<int>(c.steps.size());
    c.concrete_agrees = !c.broken.empty();
    if (c.broken.empty()) c.disagreement = "the solver's model breaks no assumed invariant at s_k";
    CS s = c.states[0];
    for (int d = 0; d < k && c.concrete_agrees; ++d) {
        const int bad_inv = props::first_violation(cfg, s, cand);
        if (bad_inv >= 0) {
            c.concrete_agrees = false;
            c.disagreement = std::string("s_") + std::to_string(d) + " breaks assumed invariant " +
                             props::inv_name(static_cast<props::inv>(bad_inv));
        } else if (!model::step(cfg, s, c.steps[d])) {
            c.concrete_agrees = false;
            c.disagreement = "step " + std::to_string(d + 1) + " (" + model::describe(c.steps[d]) +
                             ") is not enabled or leaves the bounds concretely";
        } else if (!model::generic::equal(s, c.states[d + 1])) {
            c.concrete_agrees = false;
            c.disagreement = "step " + std::to_string(d + 1) + " gives a different state concretely:\n" +
                             diff(c.states[d + 1], s);
        }
    }
    for (int i : c.broken)
        if (c.concrete_agrees && props::holds(static_cast<props::inv>(i), cfg, s)) {
            c.concrete_agrees = false;
            c.disagreement = std::string("the concrete s_k satisfies ") + props::inv_name(static_cast<props::inv>(i));
        }
}

/// Replays c on the concrete model (replay_cti) and records it in r: a CTI that does not
/// replay is an internal error (false); one that does drops the invariants it breaks
/// from `cand`, their rows naming it.
template <class CS> bool record_cti(const model::config& cfg, prove_result<CS>& r, cti<CS> c, props::inv_set& cand) {
    replay_cti(cfg, c, cand);
    if (!c.concrete_agrees) {
        r.internal_error = true;
        r.reason = "CTI does not replay concretely: " + c.disagreement;
        r.ctis.push_back(std::move(c));
        return false;
    }
    for (int i : c.broken) {
        r.rows[i].status = prove_status::cti;
        r.rows[i].cti = static_cast<int>(r.ctis.size());
        r.rows[i].round = c.round;
        cand &= ~(props::inv_set(1) << i);
    }
    r.ctis.push_back(std::move(c));
    return true;
}

/// The frame of a configuration over the free state `s0` (see frame_leaves), from the
/// next values of one unrolled step.  Throws unroll_timeout past `deadline`.
template <class SS>
std::vector<bool> frame_of(const model::config& cfg, const std::vector<action>& acts, const SS& s0,
                           const std::vector<z3::expr>& init, std::chrono::steady_clock::time_point deadline) {
    std::vector<z3::expr> next_values, choices;
    std::vector<SS> states{s0};
    std::size_t nodes = 0;
    unroll_step(cfg, acts, 1, choice_width(acts.size()), bmc_tuning{.substitute_below = 0}, choices, states, nodes,
                deadline, &next_values);
    return frame_leaves(leaf_exprs(s0), init, next_values);
}

/// One per-action query's answer: z3's result, its model when sat, z3's reason when
/// unknown, and the seconds the check took.
struct query_answer {
    z3::check_result res = z3::unknown;
    std::unique_ptr<z3::model> m;
    std::string reason;
    double seconds = 0;
};

/// Asks the assertions v in a fresh z3::solver(c, "QF_BV") with a timeout (see
/// step_by_action for why fresh).  Touches only context c, so a worker thread may run
/// it on a context of its own.
inline query_answer ask_fresh(z3::context& c, const z3::expr_vector& v, unsigned timeout_ms) {
    const auto t = std::chrono::steady_clock::now();
    z3::solver sol(c, "QF_BV");
    z3::params p(c);
    p.set("timeout", timeout_ms);
    sol.set(p);
    for (unsigned i = 0; i < v.size(); ++i) sol.add(v[i]);
    query_answer a;
    a.res = sol.check();
    if (a.res == z3::sat) a.m = std::make_unique<z3::model>(sol.get_model());
    if (a.res == z3::unknown) a.reason = sol.reason_unknown();
    a.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
    return a;
}

/// The inductive step for k = 1, one query per action (prove's default at k = 1).
///
/// "Some enabled action breaks an assumed invariant" is the disjunction over the actions
/// of "this action does", so it is unsat exactly when each action's query is.  An action's
/// query needs no merged step and no fresh s_1: its post-state is the action run on s_0
/// (the frame substituted in, so it folds), whose leaves are mostly s_0's own terms.  An
/// invariant whose term at the post-state is the very term it has at s_0 (z3 shares
/// equal terms) cannot break under that action and is left out of its query.
///
/// Houdini as in the joint query, per action: a sat query is a CTI and drops what it
/// breaks; a round is one pass over the actions whose last unsat answer was for another
/// assumed set; the first round that drops nothing proves what is left.
///
/// Each query gets a fresh z3::solver(ctx, "QF_BV") with the assumed invariants at s_0
/// asserted outright: without push/pop or assumption literals z3 runs its whole QF_BV
/// preprocessing (value propagation, equation solving) before bit-blasting.  At `small`
/// the first round took 173 s so, against 674 s with one incremental solver holding
/// "assume.<name> => the invariant at s_0" and a push/pop per query (2026-12-06; the
/// incremental form's unsat cores, which spare later rounds some queries, did not win
/// that back).
template <class P>
void step_by_action(const model::config& cfg, props::inv_set selected, props::inv_set cand, bool each, unsigned threads,
                    const wall_budget& budget, prove_result<conc_state<P>>& r, std::ostream* progress) {
    using SS = sym_state<P>;
    using CS = conc_state<P>;
    using clock = std::chrono::steady_clock;
    const auto since = [](clock::time_point t) { return std::chrono::duration<double>(clock::now() - t).count(); };
    z3::context& ctx = z3ctx();
    const std::vector<action> acts = model::actions(cfg);
    r.actions = acts.size();
    const auto t_build = clock::now();

    // s_0 with the frame's leaves at their initial value.
    SS s0 = fresh<SS>("k0.");
    {
        const std::vector<z3::expr> init = leaf_exprs(lift(model::initial_state<CS>(&cfg)));
        try {
            r.frame = frame_of(cfg, acts, s0, init, budget.deadline());
        } catch (const unroll_timeout&) {
            r.reason = "time budget of " + std::to_string(budget.timeout_ms) + " ms used up while finding the frame";
            r.build_seconds = since(t_build);
            return;
        }
        std::size_t i = 0;
        model::generic::for_each_leaf(
            [&](const std::string&, auto& leaf) {
                if (r.frame[i]) leaf.e = init[i];
                ++i;
            },
            "", s0);
    }
    std::vector<z3::expr> at0;   // each invariant at s_0
    for (int i = 0; i < props::inv_count; ++i) at0.push_back(props::holds(static_cast<props::inv>(i), cfg, s0).e.simplify());
    // One query per (action, parameters) that can be enabled at some s_0.
    struct query {
        std::size_t a;
        z3::expr ok;                  // enabled at s_0 and in bounds after it
        SS next;                      // the post-state
        std::vector<z3::expr> post;   // each invariant at the post-state
        props::inv_set passed = 0;    // the assumed set of its last unsat answer
    };
    std::vector<query> qs;
    std::vector<z3::expr> roots;
    for (std::size_t a = 0; a < acts.size(); ++a) {
        if (budget.out()) {   // building the queries at `default` takes minutes
            r.reason = "time budget of " + std::to_string(budget.timeout_ms) + " ms used up while building query " +
                       std::to_string(qs.size() + 1);
            r.build_seconds = since(t_build);
            return;
        }
        const sbool en = model::enabled(cfg, s0, acts[a]);
        if (symbolic::known_false(en)) continue;
        SS t = s0;
        model::apply(cfg, t, acts[a]);
        const sbool ok = en && !t.out_of_bounds;
        if (symbolic::known_false(ok)) continue;
        query q{a, ok.e.simplify(), t, {}};
        for (int i = 0; i < props::inv_count; ++i)
            q.post.push_back(props::holds(static_cast<props::inv>(i), cfg, t).e.simplify());
        roots.push_back(q.ok);
        for (const auto& e : leaf_exprs(t)) roots.push_back(e);
        qs.push_back(std::move(q));
    }
    r.step_terms = dag_size(roots);
    r.build_seconds = since(t_build);

    // "q's action, from a state where `assumed` holds, breaks one of `goals`" as assertions;
    // none when no goal can break under it.
    auto assertions = [&](const query& q, props::inv_set goals, props::inv_set assumed) {
        z3::expr_vector v(ctx), bad(ctx);
        for (int i = 0; i < props::inv_count; ++i)
            if ((goals >> i & 1) && !((assumed >> i & 1) && same(q.post[i], at0[i]))) bad.push_back(!q.post[i]);
        if (bad.empty()) return v;
        for (int i = 0; i < props::inv_count; ++i)
            if (assumed >> i & 1) v.push_back(at0[i]);
        v.push_back(q.ok);
        v.push_back(z3::mk_or(bad));
        return v;
    };
    // Can q's action, from a state where `assumed` holds, break one of `goals`?
    auto check = [&](const query& q, props::inv_set goals, props::inv_set assumed, z3::model* m) {
        const z3::expr_vector v = assertions(q, goals, assumed);
        if (v.empty()) return z3::unsat;
        const query_answer a = ask_fresh(ctx, v, budget.left_ms());
        r.solve_seconds += a.seconds;
        if (a.res == z3::sat && m) *m = *a.m;
        if (a.res == z3::unknown) r.reason = a.reason;
        return a.res;
    };
    // An answer of a round for q, asked with `asked` assumed and as goals: unsat passes q
    // for that set; sat is a CTI that drops what it breaks of the candidates left (with
    // threads > 1 an earlier answer of the round may have dropped them all: then it drops
    // nothing and q is asked again next round).  False: an internal error ends the run.
    auto answer = [&](query& q, props::inv_set asked, z3::check_result res, z3::model& m, int round,
                      std::size_t& dropped) {
        if (res == z3::unsat) {
            q.passed = asked;
            return true;
        }
        cti<CS> c;
        c.round = round;
        c.states = {evaluate(m, s0), evaluate(m, q.next)};
        c.steps = {acts[q.a]};
        for (int i = 0; i < props::inv_count; ++i)
            if ((cand >> i & 1) && m.eval(q.post[i], true).is_false()) c.broken.push_back(i);
        if (c.broken.empty()) return true;
        dropped += c.broken.size();
        return record_cti(cfg, r, std::move(c), cand);
    };
    const auto out_of_time = [&](int round) {
        r.reason = "time budget of " + std::to_string(budget.timeout_ms) + " ms used up in round " + std::to_string(round);
    };

    // threads > 1: a round asks the pending queries `threads` at a time, each in a fresh
    // z3::context on its own thread.  A z3 context is not shared between threads: this
    // thread translates the query into the new context before the worker starts and the
    // model back after it is done.  The answers are taken in query order, and query j is
    // asked, with the candidates of that moment, right after the answer to query
    // j - threads is taken: what each query is asked does not depend on timing, so neither
    // do the CTIs and rounds (within a process z3's term ids depend on what the context
    // built before, so two runs agree as processes, as the sequential loop's do).  An
    // answer cannot shrink the queries already in flight: those may report a CTI for
    // invariants dropped meanwhile (it drops nothing), or pass for a larger set (asked
    // again next round).  Houdini ends at the same set either way: the largest inductive
    // subset of the start.
    struct remote {
        std::unique_ptr<z3::context> c;   // declared first: destroyed after what lives in it
        std::unique_ptr<z3::expr_vector> v;
        query_answer a;                   // its model lives in *c
        props::inv_set asked = 0;         // the candidates it was asked with (assumed, and as goals)
        unsigned timeout_ms = 0;
        void release() {
            a.m.reset();
            v.reset();
            c.reset();
        }
    };
    const auto solve_remote = [](remote& q) { q.a = ask_fresh(*q.c, *q.v, q.timeout_ms); };
    const auto round_in_parallel = [&](int round, std::size_t& asked, std::size_t& dropped, bool& stopped,
                                       const auto& say) {
        std::vector<query*> todo;
        for (auto& q : qs)
            if (q.passed != cand) todo.push_back(&q);
        std::vector<remote> rem(todo.size());
        std::vector<std::future<void>> done(todo.size());
        std::deque<std::size_t> running;
        const auto wait_all = [&] {
            for (const std::size_t j : running) rem[j].c->interrupt();
            for (const std::size_t j : running) done[j].wait();
            for (const std::size_t j : running) rem[j].release();
            running.clear();
        };
        std::size_t next = 0;
        for (std::size_t i = 0; i < todo.size(); ++i) {
            while (running.size() < threads && next < todo.size() && !budget.out()) {
                const std::size_t j = next++;
                rem[j].asked = cand;
                const z3::expr_vector v = assertions(*todo[j], cand, cand);
                if (v.empty()) {   // nothing can break: unsat without asking
                    rem[j].a.res = z3::unsat;
                    continue;
                }
                rem[j].c = std::make_unique<z3::context>();
                rem[j].v = std::make_unique<z3::expr_vector>(*rem[j].c, v);
                rem[j].timeout_ms = budget.left_ms();
                done[j] = std::async(std::launch::async, solve_remote, std::ref(rem[j]));
                running.push_back(j);
            }
            if (i >= next) {   // the budget ran out before it was asked
                out_of_time(round);
                stopped = true;
                break;
            }
            if (!running.empty() && running.front() == i) {
                done[i].get();
                running.pop_front();
            }
            ++asked;
            const query_answer& a = rem[i].a;
            r.solve_seconds += a.seconds;   // summed over the threads
            say(*todo[i], a.res, a.seconds);
            if (a.res == z3::unknown) {
                r.reason = a.reason;
                stopped = true;
                break;
            }
            z3::model m(ctx);
            if (a.res == z3::sat) m = z3::model(*a.m, ctx, z3::model::translate{});
            const z3::check_result res = a.res;
            rem[i].release();
            if (!answer(*todo[i], rem[i].asked, res, m, round, dropped)) {
                wait_all();
                return false;
            }
        }
        wait_all();
        return true;
    };

    bool stopped = false;
    for (int round = 1; cand && !stopped; ++round) {
        const auto t_round = clock::now();
        std::size_t asked = 0, dropped = 0;
        const std::size_t assumed = static_cast<std::size_t>(__builtin_popcountll(cand));
        auto last_said = clock::now();
        // A long run says what it is doing: every 30 s, and every query of 30 s or more.
        const auto say = [&](const query& q, z3::check_result res, double seconds) {
            if (!progress || (seconds < 30.0 && since(last_said) < 30.0)) return;
            *progress << "prove: round " << round << ": " << asked << " queries asked, " << dropped
                      << " invariants dropped, " << since(t_round) << " s; the last (" << model::describe(acts[q.a])
                      << ") " << (res == z3::sat ? "sat" : res == z3::unsat ? "unsat" : "unknown") << " in " << seconds
                      << " s" << std::endl;
            last_said = clock::now();
        };
        if (threads > 1) {
            if (!round_in_parallel(round, asked, dropped, stopped, say)) return;
        } else {
            for (auto& q : qs) {
                if (q.passed == cand) continue;
                if (budget.out()) {
                    out_of_time(round);
                    stopped = true;
                    break;
                }
                ++asked;
                z3::model m(ctx);
                const auto t_query = clock::now();
                const z3::check_result res = check(q, cand, cand, &m);
                say(q, res, since(t_query));
                if (res == z3::unknown) {
                    stopped = true;
                    break;
                }
                if (!answer(q, cand, res, m, round, dropped)) return;
            }
        }
        r.round_seconds.push_back(since(t_round));
        r.round_queries.push_back(asked);
        if (progress)
            *progress << "prove: round " << round << " (" << assumed << " assumed): " << asked << " of " << qs.size()
                      << " action queries asked, " << dropped << " invariants dropped"
                      << (stopped ? " (stopped)" : "") << " in " << r.round_seconds.back() << " s" << std::endl;
        if (!stopped && !dropped) {
            for (int i = 0; i < props::inv_count; ++i)
                if (cand >> i & 1) r.rows[i].status = prove_status::proved;
            break;
        }
    }

    if (!each || r.internal_error) return;
    const double joint_seconds = r.solve_seconds;   // solve_seconds is the Houdini rounds' time
    for (int i = 0; i < props::inv_count; ++i) {
        if (!(selected >> i & 1) || r.rows[i].status != prove_status::proved) continue;
        const auto t = clock::now();
        for (const auto& q : qs) {
            if (budget.out()) {
                r.rows[i].status = prove_status::unknown;
                break;
            }
            const z3::check_result res = check(q, props::inv_set(1) << i, cand, nullptr);
            if (res == z3::unknown) {
                r.rows[i].status = prove_status::unknown;
                break;
            }
            if (res == z3::sat) {   // the joint answer was unsat: the solver contradicts itself
                r.internal_error = true;
                r.reason = std::string("proved jointly but not on its own: ") + props::inv_name(static_cast<props::inv>(i));
                return;
            }
        }
        r.rows[i].seconds = since(t);
    }
    r.solve_seconds = joint_seconds;
}

}  // namespace detail

/// k-induction of the registry's invariants at these bounds; rows for the `selected`
/// ones are the answer, the others serve as strengthening.  `timeout_ms` is the
/// wall-clock budget of the whole run (0 = none).
///
/// At k = 1 the inductive step asks one query per action (detail::step_by_action) unless
/// `joint` asks for the single query over the merged step that k > 1 uses.
///
/// With `each`, every selected invariant the joint query proved is then proved again on
/// its own (the final assumptions at s_0 .. s_{k-1}, only it negated at s_k), which
/// times it separately (prove_row::seconds) at the cost of one query per invariant.
template <class P>
prove_result<conc_state<P>> prove(const model::config& cfg, int k, props::inv_set selected, unsigned timeout_ms,
                                  const prove_options& opt = {}) {
    const bool each = opt.each, joint = opt.joint;
    std::ostream* const progress = opt.progress;
    using SS = sym_state<P>;
    using CS = conc_state<P>;
    using clock = std::chrono::steady_clock;
    const auto since = [](clock::time_point t) { return std::chrono::duration<double>(clock::now() - t).count(); };
    const auto started = clock::now();
    const std::clock_t cpu_started = std::clock();
    const detail::wall_budget budget{started, timeout_ms};

    prove_result<CS> r;
    r.k = k;
    for (int i = 0; i < props::inv_count; ++i) r.rows.push_back({i, prove_status::unknown, -1, -1});
    auto finish = [&] {
        r.seconds = since(started);
        r.cpu_seconds = static_cast<double>(std::clock() - cpu_started) / CLOCKS_PER_SEC;
        return r;
    };

    // Base case: BMC to depth k over the candidates; a broken candidate is dropped
    // (a violation if selected) and the base case rerun without it.
    props::inv_set cand = opt.assumable | selected;
    {
        const auto t0 = clock::now();
        for (;;) {
            if (budget.out()) {
                r.reason = "time budget used up in the base case";
                r.base_seconds = since(t0);
                return finish();
            }
            r.base = bmc<P>(cfg, k, cand, timeout_ms ? budget.left_ms() : 0);
            if (r.base.status == bmc_status::unknown) {
                r.reason = "base case: " + r.base.reason;
                r.base_seconds = since(t0);
                return finish();
            }
            if (r.base.status == bmc_status::clean) break;
            const int v = r.base.violated;
            if (!r.base.replay_agrees) r.internal_error = true;
            r.base_violations.push_back(v);
            cand &= ~(props::inv_set(1) << v);
            r.rows[v].status = prove_status::violation;
            if ((selected >> v & 1) && r.violation.violated < 0) r.violation = r.base;
        }
        r.base_seconds = since(t0);
    }
    if (!(cand & selected)) return finish();   // every selected invariant broke in the base case
    if (k == 1 && !joint) {
        detail::step_by_action<P>(cfg, selected, cand, each, std::max(1u, opt.threads), budget, r, progress);
        return finish();
    }

    // Inductive step: s_0 fresh, k steps unrolled once.
    z3::context& ctx = z3ctx();
    z3::solver sol(ctx, "QF_BV");
    const std::vector<action> acts = model::actions(cfg);
    r.actions = acts.size();
    const unsigned width = detail::choice_width(acts.size());
    std::vector<SS> states{fresh<SS>("k0.")};
    std::vector<z3::expr> choices;
    const auto t_build = clock::now();
    std::vector<z3::expr> next_values;   // of the first step: each leaf of s_1 over s_0 and c0
    for (int d = 1; d <= k; ++d) {
        std::size_t nodes = 0;
        // Every step a fresh state: the chain from a free state never folds small.
        for (const auto& e : detail::unroll_step(cfg, acts, d, width, bmc_tuning{.substitute_below = 0}, choices,
                                                 states, nodes, clock::time_point::max(),
                                                 d == 1 ? &next_values : nullptr))
            sol.add(e);
        r.step_terms += nodes;
    }
    // The frame: s_0's leaves that keep their initial value in every reachable state
    // (see frame_leaves), fixed there; the steps carry them to s_1 .. s_k.
    {
        const std::vector<z3::expr> s0 = leaf_exprs(states[0]);
        const std::vector<z3::expr> init = leaf_exprs(lift(model::initial_state<CS>(&cfg)));
        r.frame = detail::frame_leaves(s0, init, next_values);
        for (std::size_t i = 0; i < r.frame.size(); ++i)
            if (r.frame[i]) sol.add(s0[i] == init[i]);
    }
    // assume.<name> => the invariant at s_0 .. s_{k-1}; at_k[i]: the invariant at s_k.
    std::vector<z3::expr> assume, at_k;
    for (int i = 0; i < props::inv_count; ++i) {
        const auto id = static_cast<props::inv>(i);
        std::vector<z3::expr> before;
        for (int d = 0; d < k; ++d) before.push_back(props::holds(id, cfg, states[d]).e.simplify());
        assume.push_back(ctx.bool_const((std::string("assume.") + props::inv_name(id)).c_str()));
        sol.add(z3::implies(assume.back(), detail::mk_all(before)));
        at_k.push_back(props::holds(id, cfg, states[k]).e.simplify());
    }
    r.build_seconds = since(t_build);

    for (int round = 1;; ++round) {
        if (budget.out()) {
            r.reason = "time budget of " + std::to_string(timeout_ms) + " ms used up before round " +
                       std::to_string(round);
            break;
        }
        z3::expr_vector lits(ctx), bad(ctx);
        for (int i = 0; i < props::inv_count; ++i)
            if (cand >> i & 1) {
                lits.push_back(assume[i]);
                bad.push_back(!at_k[i]);
            }
        if (bad.empty()) break;
        z3::params p(ctx);
        p.set("timeout", budget.left_ms());
        sol.set(p);
        sol.push();
        sol.add(z3::mk_or(bad));
        const auto t1 = clock::now();
        const z3::check_result res = sol.check(lits);
        r.round_seconds.push_back(since(t1));
        r.round_queries.push_back(1);
        r.solve_seconds += r.round_seconds.back();
        if (progress)
            *progress << "prove: round " << round << " (" << bad.size() << " assumed): "
                      << (res == z3::sat ? "sat" : res == z3::unsat ? "unsat" : "unknown") << " in "
                      << r.round_seconds.back() << " s" << std::endl;
        if (res == z3::unsat) {
            sol.pop();
            for (int i = 0; i < props::inv_count; ++i)
                if (cand >> i & 1) r.rows[i].status = prove_status::proved;
            break;
        }
        if (res == z3::unknown) {
            r.reason = sol.reason_unknown();
            sol.pop();
            break;
        }
        const z3::model m = sol.get_model();
        cti<CS> c;
        c.round = round;
        for (const auto& s : states) c.states.push_back(evaluate(m, s));
        for (const auto& ch : choices) c.steps.push_back(acts.at(m.eval(ch, true).get_numeral_uint()));
        for (int i = 0; i < props::inv_count; ++i)
            if ((cand >> i & 1) && m.eval(at_k[i], true).is_false()) c.broken.push_back(i);
        sol.pop();
        if (!detail::record_cti(cfg, r, std::move(c), cand)) break;
    }

    if (each && !r.internal_error) {
        z3::expr_vector lits(ctx);
        for (int i = 0; i < props::inv_count; ++i)
            if (r.rows[i].status == prove_status::proved) lits.push_back(assume[i]);
        for (int i = 0; i < props::inv_count; ++i) {
            if (!(selected >> i & 1) || r.rows[i].status != prove_status::proved) continue;
            if (budget.out()) {
                r.rows[i].status = prove_status::unknown;
                continue;
            }
            z3::params p(ctx);
            p.set("timeout", budget.left_ms());
            sol.set(p);
            sol.push();
            sol.add(!at_k[i]);
            const auto t1 = clock::now();
            const z3::check_result res = sol.check(lits);
            r.rows[i].seconds = since(t1);
            sol.pop();
            if (res == z3::unknown) {
                r.rows[i].status = prove_status::unknown;
                if (r.reason.empty()) r.reason = sol.reason_unknown();
            } else if (res == z3::sat) {   // the joint query said unsat: the solver contradicts itself
                r.internal_error = true;
                r.reason = std::string("proved jointly but not on its own: ") + props::inv_name(static_cast<props::inv>(i));
            }
        }
    }
    return finish();
}

// ---------------------------------------------------------------------------
// Printing a CTI
// ---------------------------------------------------------------------------

/// Fields of dead slots (freed folio / anon_vma, unused VMA or pin, dead mm) that are
/// not cleared: invisible in the object lines, often what a CTI needs.
template <class CS> std::string dead_slot_text(const CS& s, const std::string& ind) {
    using P = typename CS::preset;
    std::ostringstream o;
    auto show = [&](const std::string& name, const auto& slot) {
        std::ostringstream f;
        model::generic::for_each_leaf<true>(
            [&](const std::string& path, const auto& x) {
                if (int v = leaf_value(x)) f << " " << path << "=" << v;
            },
            "", slot);
        if (!f.str().empty()) o << ind << name << " (free)" << f.str() << "\n";
    };
    for (int m = 0; m < P::mms; ++m) {
        if (!s.mm[m].live) show("mm" + std::to_string(m), s.mm[m]);
        for (int i = 0; i < P::vmas; ++i)
            if (!s.vma[m][i].used) show("mm" + std::to_string(m) + " vma" + std::to_string(i), s.vma[m][i]);
    }
    for (int f = 0; f < P::folios; ++f)
        if (!s.folio[f].allocated) show("folio" + std::to_string(f), s.folio[f]);
    for (int a = 0; a < P::anon_vmas; ++a)
        if (!s.anon_vma[a].live) show("anon_vma" + std::to_string(a), s.anon_vma[a]);
    for (int p = 0; p < P::pins; ++p)
        if (!s.pin[p].used) show("pin" + std::to_string(p), s.pin[p]);
    return o.str();
}

/// A state as a user reads it: object lines, pins, cpus, flags, and uncleared dead slots.
template <class CS> std::string state_text(const CS& s, const std::string& ind = "    ") {
    using P = typename CS::preset;
    std::ostringstream o;
    o << objects_text(s, ~0u, ind);
    for (int p = 0; p < P::pins; ++p)
        if (s.pin[p].used)
            o << ind << "pin" << p << " mm" << int(s.pin[p].mm.v) << "[" << int(s.pin[p].vpage.v) << "] -> "
              << pfn(s.pin[p].folio.v) << (s.pin[p].writable ? " FOLL_WRITE" : " read-only")
              << " expects data=" << int(s.pin[p].expect.v) << "\n";
    for (int c = 0; c < P::cpus; ++c) o << ind << "cpu" << c << " runs " << idx("mm", s.cpu[c].mm.v) << "\n";
    if (s.bad_read) o << ind << "bad_read set\n";
    if (s.bug.v) o << ind << "bug: " << model::bug_name(s.bug.v) << "\n";
    if (s.out_of_bounds) o << ind << "out_of_bounds set\n";
    o << dead_slot_text(s, ind);
    return o.str();
}

/// The CTI as text: s_0, each step with what it changed, and what broke.
template <class CS> std::string cti_text(const cti<CS>& c) {
    std::ostringstream o;
    o << "  s_0 (every assumed invariant holds):\n" << state_text(c.states[0]);
    for (std::size_t d = 0; d < c.steps.size(); ++d) {
        o << "  step " << d + 1 << ": " << model::describe(c.steps[d]) << "\n"
          << object_diff(c.states[d], c.states[d + 1], "        ");
        const std::string raw = diff(c.states[d], c.states[d + 1], "        ");
        if (!raw.empty()) o << "      fields changed:\n" << raw;
    }
    o << "  broken after step " << c.steps.size() << ":";
    for (int i : c.broken) o << " " << props::inv_name(static_cast<props::inv>(i));
    o << "\n";
    return o.str();
}

}  // namespace solver
