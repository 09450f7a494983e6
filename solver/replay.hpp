// solver/replay.hpp — running a trace on the concrete model, and shrinking it.
//
// A trace is a list of actions from the initial state.  Replay checks every
// step's guard (a disabled or out-of-bounds step makes the trace invalid) and
// the selected invariants after every step.  Shrinking is delta debugging:
// drop chunks of actions, then single actions, then pairs, then an operation in parts
// with its later parts (a --phased mremap's three steps, a walk's steps), then lower
// parameters, while the same invariant still breaks; the result is 1-minimal (no single
// action can be removed), not necessarily shortest — the exhaustive engines certify that.
#pragma once
#include <algorithm>
#include <optional>
#include <vector>

#include "../props/props.hpp"

namespace solver {

using model::action;
using model::config;

struct replay_result {
    bool valid = true;        // every step was enabled and inside the bounds
    int failed_step = -1;     // index of the step whose guard failed (if !valid)
    int violated = -1;        // first invariant violated (-1: none)
    int violated_at = -1;     // number of steps taken when it broke (1-based)
};

template <class S>
replay_result replay(const config& cfg, const std::vector<action>& trace, props::inv_set sel,
                     std::vector<S>* states = nullptr) {
    replay_result r;
    S s = model::initial_state<S>(&cfg);
    if (states) states->assign(1, s);
    if (int v = props::first_violation(cfg, s, sel); v >= 0) {
        r.violated = v; r.violated_at = 0;
        return r;
    }
    for (std::size_t k = 0; k < trace.size(); ++k) {
        if (!model::step(cfg, s, trace[k])) {
            r.valid = false; r.failed_step = static_cast<int>(k);
            return r;
        }
        if (states) states->push_back(s);
        if (int v = props::first_violation(cfg, s, sel); v >= 0) {
            r.violated = v; r.violated_at = static_cast<int>(k) + 1;
            return r;
        }
    }
    return r;
}

/// Does `trace` (replayed as is) still break invariant `inv`?  Returns the prefix
/// length at which it breaks, else nullopt.
template <class S>
std::optional<int> breaks(const config& cfg, const std::vector<action>& trace, int inv) {
    auto r = replay<S>(cfg, trace, props::inv_set(1u) << inv);
    if (r.violated == inv) return r.violated_at;
    return std::nullopt;
}

/// Is x one of model::actions(cfg)?  (Shrinking must not invent actions.)
inline bool listed(const config& cfg, const action& x) {
    for (const action& y : model::actions(cfg))
        if (y.kind == x.kind && model::describe(y) == model::describe(x)) return true;
    return false;
}

/// Lower parameters of one action (smaller indices first), for shrinking; only
/// actions of the action list are proposed.
inline std::vector<action> simpler_params(const config& cfg, const action& x) {
    std::vector<action> out;
    auto lower = [&](int model::args::*field) {
        for (int v = 0; v < x.a.*field; ++v) {
            action y = x;
            y.a.*field = v;
            out.push_back(y);
        }
    };
    lower(&model::args::mm);
    lower(&model::args::mm2);
    lower(&model::args::cpu);
    lower(&model::args::start);
    lower(&model::args::pages);
    lower(&model::args::to);
    lower(&model::args::folio);
    if (x.kind == model::op::write)
        lower(&model::args::value);
    std::erase_if(out, [&](const action& y) { return !listed(cfg, y); });
    return out;
}

/// The first part of the phased operation (--phased fork, walk, mremap) whose later
/// part `o` is, or `o` itself: a phased mremap's mremap_move and mremap_done, a
/// phased fork's fork_done and a walk's steps belong to the operation begun by
/// mremap, fork, walk_begin or anon_walk_begin (see operation_steps; with --phased
/// migrate, the walk's steps, anon_walk_step or under the COW context walk_step, belong
/// to migrate as well: picker::swarm_kinds).
inline model::op first_part(model::op o) {
    using model::op;
    switch (o) {
        case op::mremap_move: case op::mremap_done: return op::mremap;
        case op::fork_done: return op::fork;
        case op::walk_step: return op::walk_begin;
        case op::anon_walk_step: return op::anon_walk_begin;
        default: return o;
    }
}

/// The steps of trace[i]'s operation: i and, if it starts an operation in parts, the
/// later steps that finish it (a phased mremap's mremap_move and mremap_done, a phased
/// fork's fork_done, a walk's steps up to the next walk, a migrate's anon_walk_steps up
/// to the next anon walk or migrate, or with cow_migrate_walks (--phased migrate under the
/// COW context) its walk_steps up to the next walk or migrate), which a shrinker must drop
/// together: without its first part a later part is not enabled, and a first part left
/// without its later parts holds a lock for the rest of the trace.
inline std::vector<std::size_t> operation_steps(const std::vector<action>& trace, std::size_t i,
                                                bool cow_migrate_walks = false) {
    using model::op;
    const action& x = trace[i];
    std::vector<std::size_t> out{i};
    auto first_after = [&](op kind, auto&& same) {
        for (std::size_t j = i + 1; j < trace.size(); ++j)
            if (trace[j].kind == kind && same(trace[j].a)) {
                out.push_back(j);
                return;
            }
    };
    auto same_mm = [&](const model::args& a) { return a.mm == x.a.mm; };
    auto steps_until_next = [&](op step, op begin, op begin2) {
        for (std::size_t j = i + 1; j < trace.size() && trace[j].kind != begin && trace[j].kind != begin2; ++j)
            if (trace[j].kind == step) out.push_back(j);
    };
    switch (x.kind) {
        case op::mremap:
            first_after(op::mremap_move, same_mm);
            first_after(op::mremap_done, same_mm);
            break;
        case op::fork: first_after(op::fork_done, [&](const model::args& a) { return a.mm == x.a.mm && a.mm2 == x.a.mm2; }); break;
        case op::walk_begin:
            steps_until_next(op::walk_step, op::walk_begin, cow_migrate_walks ? op::migrate : op::walk_begin);
            break;
        // A --phased migrate's remove_migration_ptes walks in anon_walk_steps too, or in
        // walk_steps under the COW context.
        case op::anon_walk_begin: steps_until_next(op::anon_walk_step, op::anon_walk_begin, op::migrate); break;
        case op::migrate:
            if (cow_migrate_walks) steps_until_next(op::walk_step, op::walk_begin, op::migrate);
            else steps_until_next(op::anon_walk_step, op::anon_walk_begin, op::migrate);
            break;
        default: break;
    }
    return out;
}

/// `trace` without the steps listed (ascending indices, as operation_steps gives them).
inline std::vector<action> without_steps(const std::vector<action>& trace, const std::vector<std::size_t>& steps) {
    std::vector<action> t;
    for (std::size_t k = 0, n = 0; k < trace.size(); ++k)
        if (n < steps.size() && steps[n] == k) ++n;
        else t.push_back(trace[k]);
    return t;
}

/// Shrink a trace that breaks invariant `inv` to a 1-minimal one that still does.
template <class S> std::vector<action> shrink(const config& cfg, std::vector<action> trace, int inv) {
    auto cut = breaks<S>(cfg, trace, inv);
    if (!cut) return trace;
    trace.resize(*cut);
    // Repeat the passes until none makes progress: lowering a parameter can make
    // an action removable and the other way round.
    for (int round = 0; round < 8; ++round) {
        const std::vector<action> start = trace;
        // Remove chunks, halving the chunk size (ddmin-style), then single actions.
        for (std::size_t chunk = std::max<std::size_t>(1, trace.size() / 2); chunk >= 1; chunk /= 2) {
            bool progress = true;
            while (progress) {
                progress = false;
                for (std::size_t at = 0; at + chunk <= trace.size(); ) {
                    std::vector<action> t = trace;
                    t.erase(t.begin() + static_cast<long>(at), t.begin() + static_cast<long>(at + chunk));
                    if (auto c = breaks<S>(cfg, t, inv)) {
                        t.resize(*c);
                        trace = std::move(t);
                        progress = true;
                    } else {
                        at += 1;
                    }
                }
            }
            if (chunk == 1) break;
        }
        // Remove pairs (a switch_mm and the switch back, a fork and its only use, ...).
        for (bool progress = true; progress;) {
            progress = false;
            for (std::size_t i = 0; i < trace.size() && !progress; ++i)
                for (std::size_t j = i + 1; j < trace.size() && !progress; ++j) {
                    std::vector<action> t = trace;
                    t.erase(t.begin() + static_cast<long>(j));
                    t.erase(t.begin() + static_cast<long>(i));
                    if (auto c = breaks<S>(cfg, t, inv)) {
                        t.resize(*c);
                        trace = std::move(t);
                        progress = true;
                    }
                }
        }
        // Remove an operation in parts with its later parts (operation_steps): three or
        // more steps apart, which neither the chunks nor the pairs remove.
        for (bool progress = true; progress;) {
            progress = false;
            for (std::size_t i = 0; i < trace.size() && !progress; ++i) {
                const auto steps = operation_steps(trace, i, cfg.cow() && model::phased_migrate(cfg));
                if (steps.size() < 2) continue;
                std::vector<action> t = without_steps(trace, steps);
                if (auto c = breaks<S>(cfg, t, inv)) {
                    t.resize(*c);
                    trace = std::move(t);
                    progress = true;
                }
            }
        }
        // Lower parameters.
        for (bool progress = true; progress;) {
            progress = false;
            for (std::size_t k = 0; k < trace.size() && !progress; ++k)
                for (const action& y : simpler_params(cfg, trace[k])) {
                    std::vector<action> t = trace;
                    t[k] = y;
                    if (auto c = breaks<S>(cfg, t, inv)) {
                        t.resize(*c);
                        trace = std::move(t);
                        progress = true;
                        break;
                    }
                }
        }
        bool same = trace.size() == start.size();
        for (std::size_t k = 0; same && k < trace.size(); ++k)
            same = model::describe(trace[k]) == model::describe(start[k]);
        if (same) break;
    }
    return trace;
}

}  // namespace solver

namespace solver {

/// Lower the bounds (mms, VMAs, pages, folios, anon_vmas, cpus) one field at a time,
/// each as far as the trace still replays (every action is in the smaller action list
/// and stays in bounds) and still breaks `inv`.  The preset (state layout) stays.
template <class S> config lower_bounds(config cfg, const std::vector<action>& trace, int inv) {
    using L = model::limits;
    for (int L::*field : {&L::mms, &L::vmas, &L::va_pages, &L::folios, &L::anon_vmas, &L::cpus}) {
        while (cfg.lim.*field > 1) {
            config c = cfg;
            --(c.lim.*field);
            const bool fits = std::all_of(trace.begin(), trace.end(), [&](const action& x) { return listed(c, x); });
            if (!fits || !breaks<S>(c, trace, inv)) break;
            cfg = c;
        }
    }
    return cfg;
}

}  // namespace solver
