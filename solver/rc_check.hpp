// solver/rc_check.hpp — the random explorer driven by RapidCheck.
//
// RapidCheck generates, per test, a vector of random words; word k picks step
// k's action exactly as the seeded explorer does (an operation by op_weight,
// then its parameters), a disabled or out-of-bounds pick is skipped, and the
// selected invariants are checked after every step.  On a failure RapidCheck
// shrinks the word vector (fewer, smaller picks); the last failing execution
// is the shrunk trace, which solver::shrink then makes 1-minimal.
#pragma once
#include <iostream>
#include <rapidcheck.h>
#include <sstream>
#include <rapidcheck/detail/TestListenerAdapter.h>

#include "random.hpp"

namespace solver {

template <class S> random_result rc_check(const config& cfg, const random_options& opt) {
    using clock = std::chrono::steady_clock;
    const auto t0 = clock::now();
    auto elapsed = [&] { return std::chrono::duration<double>(clock::now() - t0).count(); };
    const picker pick(cfg);

    random_result res;
    bool searching = true;   // false once shrinking started: steps are not counted then
    std::vector<action> failing;
    const auto property = [&](const std::vector<std::uint32_t>& words) {
        if (opt.seconds > 0 && searching && elapsed() >= opt.seconds) {
            res.time_limited = true;
            return true;
        }
        if (searching) ++res.runs;
        S s = model::initial_state<S>(&cfg);
        std::vector<action> trace;
        for (std::uint32_t w : words) {
            const action& x = pick(w);
            op_stats& st = res.ops[static_cast<int>(x.kind)];
            if (searching) ++st.tried;
            if (!model::enabled(cfg, s, x)) continue;
            S next = s;
            model::apply(cfg, next, x);
            if (searching) ++st.enabled;
            if (next.out_of_bounds) { if (searching) ++st.out_of_bounds; continue; }
            s = next;
            trace.push_back(x);
            if (searching) { ++st.taken; ++res.steps; }
            if (static_cast<int>(trace.size()) >= opt.steps) break;
            if (int v = props::first_violation(cfg, s, opt.selected); v >= 0) {
                if (searching) res.violated = v;
                if (v == res.violated) failing = trace;
                searching = false;
                return false;
            }
        }
        return true;
    };
    rc::detail::TestParams params;
    params.seed = opt.seed + static_cast<std::uint64_t>(opt.shard) * 0x9e3779b97f4a7c15ull;
    params.maxSuccess = static_cast<int>(opt.max_runs >= 0 ? opt.max_runs : std::max<long>(1, opt.max_steps / opt.steps));
    params.maxSize = opt.steps * 8;   // most picks are disabled and skipped
    params.disableShrinking = false;
    rc::detail::TestMetadata meta;
    meta.id = "cowcheck";
    meta.description = "random walks over model::actions keep every invariant";
    rc::detail::TestListenerAdapter quiet;   // no RapidCheck console output: cowcheck reports
    std::ostringstream sink;                 // RapidCheck prints "Using configuration" on first use
    auto* saved = std::cerr.rdbuf(sink.rdbuf());
    rc::detail::checkProperty(rc::detail::toProperty([&] {
                                  const auto words =
                                      *rc::gen::container<std::vector<std::uint32_t>>(rc::gen::arbitrary<std::uint32_t>());
                                  return property(words);
                              }),
                              meta, params, quiet);
    std::cerr.rdbuf(saved);
    if (res.violated >= 0) {
        res.trace = failing;
        res.shrunk = shrink<S>(cfg, failing, res.violated);
    }
    res.seconds = elapsed();
    return res;
}

}  // namespace solver
