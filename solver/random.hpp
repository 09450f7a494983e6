// solver/random.hpp — the random explorer: seeded random walks over model::actions.
//
// Each run starts from the initial state and takes up to `steps` actions.  An
// action is drawn by picking an operation uniformly, then its parameters
// uniformly (so the 160 mremap variants do not drown the 4 forks); a draw whose
// guard fails, or which would leave the bounds, is rejected and redrawn, up to
// `tries` times, after which every action is tried in turn (a run ends when
// none is enabled).  All selected invariants are checked after every step.
//
// Swarm testing (--swarm; Groce et al., "Swarm Testing", ISSTA 2012): each run
// draws from its own random half of the operations (each kept with probability
// 1/2, at its usual weight), so some runs leave out the operations that keep
// undoing what a bug needs (an unmap between the forks and exits of a growth
// bug).  The subset is a subset of operations, not of steps: the later parts of a
// phased operation (first_part: mremap_move and mremap_done, fork_done, walk_step,
// anon_walk_step) are kept exactly when their first part is.  A phased mremap,
// fork or walk left without its later parts would hold its lock for the rest of
// the run, and a later part without its first is never enabled.  The subset
// depends only on (seed, run) and is the same for every design and mutant (one
// random bit is drawn per operation, later parts included, so a run without
// phases draws the same subset as before the coupling); the scan that follows
// `tries` failed draws still covers every action, so a run never stops early
// because of its subset.
//
// Determinism: run r uses the generator seeded with splitmix64(seed, r), so a
// run is reproducible from (seed, run) whatever the budget, and shard i of n
// takes runs i, i+n, i+2n, ...
//
// The RapidCheck-driven variant (rc_check) generates the action index sequence
// with RapidCheck and lets it shrink; it serves the property tests and is
// measured against this one in bench/.
#pragma once
#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <vector>

#include "replay.hpp"

namespace solver {

/// splitmix64: seeds per-run generators.
inline std::uint64_t splitmix64(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/// xoshiro256** — small, fast, good enough for choosing actions.
struct rng {
    std::uint64_t s[4];
    explicit rng(std::uint64_t seed) {
        for (auto& x : s) x = seed = splitmix64(seed);
    }
    std::uint64_t next() {
        const std::uint64_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
        s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = rotl(s[3], 45);
        return r;
    }
    std::uint32_t below(std::uint32_t n) { return static_cast<std::uint32_t>((next() >> 32) * n >> 32); }
    static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
};

struct op_stats {
    long tried = 0;          // guard evaluated
    long enabled = 0;        // guard held
    long out_of_bounds = 0;  // enabled, but the step would leave the bounds
    long taken = 0;
};

struct random_options {
    std::uint64_t seed = 1;
    int steps = 60;                  // per run
    long max_steps = 2'000'000;      // budget: total steps taken
    long max_runs = -1;              // budget: runs (-1: no limit)
    double seconds = 0;              // time limit (0: none); reaching it first is "unknown"
    int tries = 32;
    int shard = 0, shards = 1;
    bool swarm = false;              // each run draws from a random half of the operations
    props::inv_set selected = props::all_invariants;
    std::function<void(long runs, long steps, double secs)> progress;   // called about every 2 s
};

struct random_result {
    long runs = 0, steps = 0;
    double seconds = 0;
    bool time_limited = false;       // stopped by --seconds before the budget
    std::array<op_stats, model::op_count> ops{};
    int violated = -1;               // invariant index
    long violating_run = -1;
    std::vector<action> trace;       // as found
    std::vector<action> shrunk;      // after solver::shrink
};

/// How often each operation is drawn, relative to the others (the same for every
/// design and mutant: no per-mutant tuning).  Accesses dominate, teardown is rarer
/// so that walks get deep.
inline int op_weight(model::op o) {
    switch (o) {
        case model::op::read: return 8;
        case model::op::write: return 10;
        case model::op::fork: case model::op::switch_mm: case model::op::mmap: return 4;
        case model::op::tlb_finish_mmu: return 4;
        case model::op::execve: case model::op::tlb_evict: case model::op::mprotect_enomem: return 1;
        default: return 2;
    }
}

/// Group action indices by operation.
inline std::array<std::vector<int>, model::op_count> by_op(const std::vector<action>& acts) {
    std::array<std::vector<int>, model::op_count> g;
    for (int i = 0; i < static_cast<int>(acts.size()); ++i) g[static_cast<int>(acts[i].kind)].push_back(i);
    return g;
}

/// Draws actions the same way for every engine: an operation by op_weight, then
/// its parameters uniformly, both from one random word.
struct picker {
    std::vector<action> acts;
    std::array<std::vector<int>, model::op_count> groups;
    std::vector<int> kinds;   // each operation repeated op_weight times

    /// --phased migrate: the walk's step operation (walk_step under the COW context,
    /// anon_walk_step else), kept in a swarm with migrate too; -1 without it.
    int migrate_walk_step = -1;

    explicit picker(const config& cfg) : acts(model::actions(cfg)), groups(by_op(acts)) {
        if (model::phased_migrate(cfg))
            migrate_walk_step = static_cast<int>(cfg.cow() ? model::op::walk_step : model::op::anon_walk_step);
        for (int k = 0; k < model::op_count; ++k)
            if (!groups[k].empty())
                for (int w = 0; w < op_weight(static_cast<model::op>(k)); ++w) kinds.push_back(k);
    }
    /// Index into acts for a 32-bit random word, the operation drawn from `ks`
    /// (an operation repeated op_weight times, as `kinds`).
    int index(std::uint32_t w, const std::vector<int>& ks) const {
        const auto& g = groups[ks[w % ks.size()]];
        return g[(w / ks.size()) % g.size()];
    }
    int index(std::uint32_t w) const { return index(w, kinds); }
    /// Swarm testing: the operations of `kinds` each kept with probability 1/2,
    /// the later parts of a phased operation with their first part (every
    /// operation when none is kept).
    std::vector<int> swarm_kinds(rng& r) const {
        std::array<bool, model::op_count> bit{}, keep{};
        for (int k = 0; k < model::op_count; ++k) bit[k] = !groups[k].empty() && (r.next() >> 63) != 0;
        bool any = false;
        const int migrate = static_cast<int>(model::op::migrate);
        for (int k = 0; k < model::op_count; ++k)
            any |= keep[k] = !groups[k].empty() && (bit[static_cast<int>(first_part(static_cast<model::op>(k)))] ||
                                                    (k == migrate_walk_step && bit[migrate]));
        if (!any) return kinds;
        std::vector<int> ks;
        for (int k : kinds)
            if (keep[k]) ks.push_back(k);
        return ks;
    }
    const action& operator()(std::uint32_t w) const { return acts[index(w)]; }
};

template <class S>
random_result random_check(const config& cfg, const random_options& opt) {
    using clock = std::chrono::steady_clock;
    const auto t0 = clock::now();
    auto elapsed = [&] { return std::chrono::duration<double>(clock::now() - t0).count(); };
    const picker pick(cfg);
    const std::vector<action>& acts = pick.acts;

    random_result res;
    double next_progress = 2.0;
    std::vector<action> trace;
    trace.reserve(opt.steps);
    std::vector<int> swarm_ks;
    S s, next;
    for (long run = opt.shard; ; run += opt.shards) {
        if (opt.max_runs >= 0 && res.runs >= opt.max_runs) break;
        if (res.steps >= opt.max_steps) break;
        if ((res.runs & 63) == 0) {
            const double t = elapsed();
            if (opt.seconds > 0 && t >= opt.seconds) { res.time_limited = true; break; }
            if (opt.progress && t >= next_progress) { opt.progress(res.runs, res.steps, t); next_progress = t + 2.0; }
        }
        ++res.runs;
        rng r(splitmix64(opt.seed ^ splitmix64(static_cast<std::uint64_t>(run))));
        s = model::initial_state<S>(&cfg);
        trace.clear();
        if (opt.swarm) swarm_ks = pick.swarm_kinds(r);
        const std::vector<int>& run_kinds = opt.swarm ? swarm_ks : pick.kinds;
        for (int k = 0; k < opt.steps; ++k) {
            bool took = false;
            auto attempt = [&](int idx) {
                const action& x = acts[idx];
                op_stats& st = res.ops[static_cast<int>(x.kind)];
                ++st.tried;
                if (!model::enabled(cfg, s, x)) return false;
                ++st.enabled;
                next = s;
                model::apply(cfg, next, x);
                if (next.out_of_bounds) { ++st.out_of_bounds; return false; }
                ++st.taken;
                std::swap(s, next);
                trace.push_back(x);
                return true;
            };
            for (int t = 0; t < opt.tries && !took; ++t)
                took = attempt(pick.index(static_cast<std::uint32_t>(r.next() >> 32), run_kinds));
            if (!took) {   // fall back to a scan from a random offset
                const int n = static_cast<int>(acts.size()), off = static_cast<int>(r.below(n));
                for (int j = 0; j < n && !took; ++j) took = attempt((off + j) % n);
            }
            if (!took) break;
            ++res.steps;
            if (int v = props::first_violation(cfg, s, opt.selected); v >= 0) {
                res.violated = v;
                res.violating_run = run;
                res.trace = trace;
                res.shrunk = shrink<S>(cfg, trace, v);
                res.seconds = elapsed();
                return res;
            }
        }
    }
    res.seconds = elapsed();
    return res;
}

}  // namespace solver
