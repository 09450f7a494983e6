// cli/minimize.hpp — the minimization pipeline shared by `cowcheck shrink` and
// `check --save`: delta debugging, lower bounds, then certification by `explore`.
//
//   1. actions: solver::shrink while the invariant still breaks (chunks, single
//      actions, pairs, lower parameters), repeated until nothing changes;
//   2. bounds: each of mms, VMAs per mm, pages, folios, anon_vmas, cpus lowered as
//      far as the trace still replays and breaks (solver::lower_bounds), then one more
//      shrink pass at the smaller bounds;
//   3. certification: `explore` at the lowered bounds, only that invariant selected,
//      to depth L-1.  Clean to L-1: no shorter trace breaks it at these bounds
//      (`minimal: certified (explore, bounds ...)`).  A shorter trace found replaces
//      the shrunk one (breadth-first finds a shortest one, so it is certified too).
//      A time or memory limit leaves `minimal: uncertified`.
#pragma once
#include <chrono>

#include "common.hpp"
#include "solver/explore.hpp"

namespace cli {

struct minimize_options {
    bool lower_bounds = true;
    bool certify = true;
    double certify_seconds = 60;
    double certify_memory_mb = 4096;
};

struct minimized {
    std::vector<model::action> trace;
    model::config cfg;
    std::string minimal = "uncertified";
    std::string note;            // what the certification found, in words
    double shrink_seconds = 0;   // steps 1-2
    double certify_seconds = 0;  // step 3
};

template <class S>
minimized minimize(const model::config& cfg0, const std::vector<model::action>& trace0, int inv,
                   const minimize_options& o) {
    using P = typename S::preset;
    using clock = std::chrono::steady_clock;
    const std::string inv_name = props::inv_name(static_cast<props::inv>(inv));
    minimized m;
    const auto t0 = clock::now();
    m.trace = solver::shrink<S>(cfg0, trace0, inv);
    m.cfg = o.lower_bounds ? solver::lower_bounds<S>(cfg0, m.trace, inv) : cfg0;
    m.trace = solver::shrink<S>(m.cfg, m.trace, inv);
    m.shrink_seconds = std::chrono::duration<double>(clock::now() - t0).count();
    if (m.trace.empty()) {
        m.minimal = "certified (shrink, bounds " + bounds_text(P::name, m.cfg) + ")";
        m.note = "the initial state itself breaks it";
        return m;
    }
    if (!o.certify) return m;
    solver::explore_options eo;
    eo.depth = static_cast<int>(m.trace.size()) - 1;
    eo.selected = props::inv_set(1u) << inv;
    eo.seconds = o.certify_seconds;
    eo.max_memory_mb = o.certify_memory_mb;
    const auto r = solver::explore<S>(m.cfg, eo);
    m.certify_seconds = r.seconds;
    if (r.violated == inv) {
        m.trace = r.trace;
        // No shorter trace at the larger bounds means none at smaller ones either.
        if (o.lower_bounds) m.cfg = solver::lower_bounds<S>(m.cfg, m.trace, inv);
        m.minimal = "certified (explore, bounds " + bounds_text(P::name, m.cfg) + ")";
        m.note = "explore found a shorter trace (" + std::to_string(m.trace.size()) + " steps), which replaces it";
    } else if (r.complete) {
        m.minimal = "certified (explore, bounds " + bounds_text(P::name, m.cfg) + ")";
        m.note = "explore: clean to depth " + std::to_string(eo.depth) + " (" + std::to_string(r.states) +
                 " states): no shorter trace breaks " + inv_name + " at these bounds";
    } else {
        m.note = "explore: clean to depth " + std::to_string(r.clean_depth) + " < " + std::to_string(eo.depth) +
                 ", stopped: " + r.stopped;
    }
    return m;
}

}  // namespace cli
