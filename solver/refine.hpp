// solver/refine.hpp — refinement of one rmap design by another: the same action
// sequence run on both designs must give the same observations and the same
// confirmed rmap mappings.
//
// The two runs are paired: one state per design (same bounds, same injected
// mutants; the second config may carry --cow-fix options), every action applied to
// both.  After every step the pair is compared on what a process or the kernel
// outside the rmap can observe:
//   - every PTE that maps an anonymous folio (which folio, writable) and the data a
//     load through any PTE returns (a PTE of the shared zero page and no PTE are the
//     same observation: a load returns 0 either way, and whether fork copies a
//     zero-page PTE depends on the VMA layout, see below),
//   - every TLB entry of an anonymous folio (what a cpu's next load or store uses)
//     and what a load through any entry returns,
//   - the reference memory and the "a read returned the wrong value" flag (so every
//     read result: a read returns the content through its TLB entry),
//   - each folio's map count, data and pins, the number of allocated folios, and the
//     first BUG/WARN that fired;
// folios are compared under the pairing the PTEs, TLB entries and pins give
// (folio_pairing: slot numbers are names, and the designs may allocate in another
// order), and a migrate of folio f in the first design migrates its pair in the second;
// and on the rmap: for every mapped anon folio, the set of (mm, vpage) the design's
// rmap_walk_anon hands to rmap_one *and* page_vma_mapped_walk confirms (the PTE at
// that address maps the folio).  anon_vma's false-positive visits (a VMA on the
// anon_vma's interval tree whose PTE maps another folio) are dropped by that check,
// as the kernel's page_vma_mapped_walk drops them.
//
// A step that is out of bounds in one design and not in the other (the designs
// allocate different rmap objects from the same pool: anon_vmas vs. contexts) is not
// a divergence: the pair is discarded there (counted as `bounds_split`).  Neither is a
// guard that holds in one design only (`guard_split`): the designs merge VMAs
// differently (under the PoC every faulted VMA has DUMMY_ANON_VMA and an empty
// anon_vma_chain, so is_mergeable_anon_vma() refuses a faulted VMA and an unfaulted
// neighbour that anon_vma merges), and the model's operations act within one VMA, so
// the same range can be one VMA in one design and two in the other.  The VMA layout is
// not among the observations (a process sees the same memory either way); the counts
// say how often a pair was discarded.
//
// Engines: `run_pair` replays one sequence; `refine_random` draws seeded random
// sequences (the operation first, then its parameters, like solver/random.hpp);
// `refine_search` enumerates every sequence up to a depth (iterative deepening
// depth-first search over state pairs, pruned by a set of pair fingerprints with the
// depth left when each was expanded, so the first divergence found is a shortest one
// at these bounds).
#pragma once
#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "explore.hpp"
#include "random.hpp"

namespace solver {

/// The (mm, vpage) pairs the design's walk from folio f hands to rmap_one that
/// page_vma_mapped_walk confirms: the PTE at vpage maps f.
template <class S> std::set<std::pair<int, int>> confirmed_mappings(const config& cfg, const S& s, int f) {
    using P = typename S::preset;
    std::set<std::pair<int, int>> out;
    S t = s;   // the walk is read-only but may record a BUG in the state
    model::rmap::walk(cfg, t, model::cint(f), true, [&](bool visit, int m, int, model::cint vp) {
        const int v = vp.get();
        if (!visit || v < 0 || v >= P::va_pages) return;
        const auto& p = s.pte[m][v];
        if (p.present && p.folio == f) out.insert({m, v});
    });
    return out;
}

/// Every PTE that maps anon folio f, as (mm, vpage).
template <class S> std::set<std::pair<int, int>> mapped_at(const S& s, int f) {
    using P = typename S::preset;
    std::set<std::pair<int, int>> out;
    for (int m = 0; m < P::mms; ++m)
        for (int v = 0; v < P::va_pages; ++v)
            if (s.pte[m][v].present && s.pte[m][v].folio == f) out.insert({m, v});
    return out;
}

namespace detail {
inline std::string where(const char* what, int m, int v) {
    std::string r = what;
    r += " mm";
    r += std::to_string(m);
    r += '[';
    r += std::to_string(v);
    r += ']';
    return r;
}
inline std::string set_text(const std::set<std::pair<int, int>>& xs) {
    std::string r = "{";
    for (const auto& [m, v] : xs) {
        if (r.size() > 1) r += ", ";
        r += "mm";
        r += std::to_string(m);
        r += '[';
        r += std::to_string(v);
        r += ']';
    }
    r += '}';
    return r;
}
}  // namespace detail

/// Folio slots are names, not observations: the two designs may allocate the same
/// pages in a different slot order (fork copies pinned pages VMA by VMA, and the VMA
/// layout can differ).  The pairing of a's folios with b's is read off the PTEs, TLB
/// entries and pins that name them at the same place; it must be one-to-one.  Returns
/// the pairing (a -> b), or the first place where none exists.
template <class S>
std::pair<std::map<int, int>, std::optional<std::string>> folio_pairing(const S& a, const S& b) {
    using P = typename S::preset;
    std::map<int, int> ab, ba;
    auto bind = [&](int fa, int fb) {
        const auto i = ab.find(fa), j = ba.find(fb);
        if ((i != ab.end() && i->second != fb) || (j != ba.end() && j->second != fa)) return false;
        ab[fa] = fb;
        ba[fb] = fa;
        return true;
    };
    auto anon = [](bool present, model::cint f) { return present && f != model::zero_pfn; };
    for (int m = 0; m < P::mms; ++m)
        for (int v = 0; v < P::va_pages; ++v) {
            const auto &p = a.pte[m][v], &q = b.pte[m][v];
            const bool pa = anon(p.present, p.folio), pb = anon(q.present, q.folio);
            if (pa != pb || (pa && (p.writable != q.writable || !bind(p.folio.get(), q.folio.get()))))
                return {ab, detail::where("PTE", m, v)};
            for (int c = 0; c < P::cpus; ++c) {
                const auto &t = a.tlb[c][m][v], &u = b.tlb[c][m][v];
                const bool ta = anon(t.valid, t.folio), tb = anon(u.valid, u.folio);
                if (ta != tb || (ta && (t.writable != u.writable || !bind(t.folio.get(), u.folio.get()))))
                    return {ab, detail::where(("cpu" + std::to_string(c) + " TLB").c_str(), m, v)};
            }
        }
    for (std::size_t k = 0; k < a.pin.size(); ++k) {
        const auto &x = a.pin[k], &y = b.pin[k];
        if (x.used != y.used || (x.used && !bind(x.folio.get(), y.folio.get())))
            return {ab, "pin" + std::to_string(k)};
    }
    return {ab, std::nullopt};
}

/// The first observation on which the two states differ, or nullopt.
template <class S>
std::optional<std::string> observation_diff(const config& ca, const S& a, const config& cb, const S& b) {
    using P = typename S::preset;
    auto data = [](const S& s, model::cint f) { return model::content_of(s, f).get(); };
    const auto [ab, bad] = folio_pairing(a, b);
    if (bad) return bad;
    for (int m = 0; m < P::mms; ++m)
        for (int v = 0; v < P::va_pages; ++v) {
            const auto &p = a.pte[m][v], &q = b.pte[m][v];
            if (p.present && q.present && data(a, p.folio) != data(b, q.folio))
                return detail::where("data through the PTE", m, v);
            if (a.ref[m][v] != b.ref[m][v]) return detail::where("reference memory", m, v);
            for (int c = 0; c < P::cpus; ++c) {
                const auto &t = a.tlb[c][m][v], &u = b.tlb[c][m][v];
                if (t.valid && u.valid && data(a, t.folio) != data(b, u.folio))
                    return detail::where(("a load by cpu" + std::to_string(c) + " from").c_str(), m, v);
            }
        }
    if (a.bad_read != b.bad_read) return std::string("a read returned a value other than the process's (bad_read)");
    if (a.bug != b.bug) return std::string("BUG/WARN: ") + model::bug_name(a.bug.get()) + " vs " + model::bug_name(b.bug.get());
    int na = 0, nb = 0;
    for (int f = 0; f < P::folios; ++f) na += a.folio[f].allocated, nb += b.folio[f].allocated;
    if (na != nb) return std::string("the number of allocated folios");
    for (const auto& [fa, fb] : ab) {
        const auto &x = a.folio[fa], &y = b.folio[fb];
        auto name = [&] {
            std::string r = "folio";
            r += std::to_string(fa);
            if (fb != fa) {
                r += " (folio";
                r += std::to_string(fb);
                r += " under ";
                r += model::design_name(cb.rmap);
                r += ')';
            }
            return r;
        };
        if (x.mapcount != y.mapcount || x.content != y.content || x.pincount != y.pincount)
            return name() + ": map count, data or pins";
        if (x.mapcount == 0) continue;
        const auto ra = confirmed_mappings(ca, a, fa), rb = confirmed_mappings(cb, b, fb);
        if (ra != rb) {
            std::string r = name();
            r += ": the rmap walk confirms ";
            r += detail::set_text(ra);
            r += " under ";
            r += model::design_name(ca.rmap);
            r += " but ";
            r += detail::set_text(rb);
            r += " under ";
            r += model::design_name(cb.rmap);
            return r;
        }
    }
    return std::nullopt;
}

/// Actions that have no counterpart in the other design are left out of the
/// comparison: mprotect_enomem injects an allocation failure into anon_vma_clone(),
/// which the COW context never calls (under the PoC the same mprotect succeeds); the
/// anon_vma walk in steps (--phased walk under anon_vma) is not paired with the COW
/// context's (each design's walk in steps is checked on its own; refine compares the
/// walks each design runs at once).
inline bool refinable(const action& x) {
    return x.kind != model::op::mprotect_enomem && x.kind != model::op::anon_walk_begin &&
           x.kind != model::op::anon_walk_step;
}

enum class pair_step { both, neither, bounds_split, guard_split };

/// Apply x to both states: both took it, neither (disabled or out of bounds in both),
/// only one ran out of bounds or only one's guard holds (the pair is discarded).
template <class S> pair_step step_pair(const config& ca, S& a, const config& cb, S& b, const action& x0) {
    // An action that names a folio (migrate) names the paired folio in b.
    const action x = x0;
    action y = x0;
    if (x0.kind == model::op::migrate) {
        const auto pr = folio_pairing(a, b);
        const auto it = pr.first.find(x0.a.folio);
        if (it != pr.first.end()) y.a.folio = it->second;
    }
    const bool ea = model::enabled(ca, a, x), eb = model::enabled(cb, b, y);
    if (ea != eb) return pair_step::guard_split;
    if (!ea) return pair_step::neither;
    S na = a, nb = b;
    model::apply(ca, na, x);
    model::apply(cb, nb, y);
    if (na.out_of_bounds && nb.out_of_bounds) return pair_step::neither;
    if (na.out_of_bounds || nb.out_of_bounds) return pair_step::bounds_split;
    a = na;
    b = nb;
    return pair_step::both;
}

struct refine_result {
    bool diverged = false;
    std::vector<action> trace;   // the sequence up to the diverging step
    std::string what;            // the first observation that differs
    long pairs = 0;              // state pairs compared
    long bounds_split = 0;       // steps out of bounds in one design only (pair discarded)
    long guard_split = 0;        // steps enabled in one design only (VMA layout; pair discarded)
    int clean_depth = 0;         // refine_search: every sequence this long agreed
    bool complete = true;        // false: a limit stopped the search first
    std::string stopped;
    double seconds = 0;
};

/// Replay a trace on both designs; the first divergence, if any.  A step disabled in
/// both designs ends the replay (result: not diverged, trace = the valid prefix), or
/// with skip_disabled is skipped (random action words, as in the RapidCheck property).
template <class S>
refine_result run_pair(const config& ca, const config& cb, const std::vector<action>& trace, bool skip_disabled = false) {
    refine_result r;
    S a = model::initial_state<S>(&ca), b = model::initial_state<S>(&cb);
    for (const auto& x : trace) {
        if (!refinable(x)) {
            if (skip_disabled) continue;
            break;
        }
        const auto k = step_pair(ca, a, cb, b, x);
        if (k == pair_step::neither && skip_disabled) continue;
        if (k == pair_step::neither) break;
        if (k == pair_step::bounds_split || k == pair_step::guard_split) {
            ++(k == pair_step::bounds_split ? r.bounds_split : r.guard_split);
            if (skip_disabled) continue;   // the pair is unchanged: go on with the next action
            break;
        }
        r.trace.push_back(x);
        ++r.pairs;
        if (auto d = observation_diff(ca, a, cb, b)) {
            r.diverged = true;
            r.what = *d;
            return r;
        }
    }
    return r;
}

struct refine_options {
    int depth = 6;
    long max_pairs = 50'000'000;
    double seconds = 0;
    std::vector<int> ops;   // only these operations (empty: all)
    // random engine
    std::uint64_t seed = 1;
    long runs = 1000;
    int steps = 40;
};

/// Seeded random sequences; the first divergence (its trace cut at the diverging step).
template <class S> refine_result refine_random(const config& ca, const config& cb, const refine_options& o) {
    const auto t0 = std::chrono::steady_clock::now();
    refine_result r;
    const auto all = model::actions(ca);
    std::vector<std::vector<int>> by_op(model::op_count);
    for (int k = 0; k < static_cast<int>(all.size()); ++k) {
        const int op = static_cast<int>(all[k].kind);
        if (!refinable(all[k])) continue;
        if (o.ops.empty() || std::find(o.ops.begin(), o.ops.end(), op) != o.ops.end()) by_op[op].push_back(k);
    }
    std::vector<int> nonempty, pool;
    for (const auto& ks : by_op) pool.insert(pool.end(), ks.begin(), ks.end());
    for (int op = 0; op < model::op_count; ++op)
        if (!by_op[op].empty()) nonempty.push_back(op);
    for (long run = 0; run < o.runs && !nonempty.empty(); ++run) {
        rng g(splitmix64(o.seed ^ splitmix64(static_cast<std::uint64_t>(run))));
        S a = model::initial_state<S>(&ca), b = model::initial_state<S>(&cb);
        std::vector<action> trace;
        for (int st = 0; st < o.steps; ++st) {
            bool took = false;
            auto attempt = [&](const action& x) {
                const auto k = step_pair(ca, a, cb, b, x);
                if (k == pair_step::neither) return;
                if (k == pair_step::bounds_split || k == pair_step::guard_split) {
                    ++(k == pair_step::bounds_split ? r.bounds_split : r.guard_split);
                    return;   // the pair is unchanged: draw again
                }
                trace.push_back(x);
                if (auto d = observation_diff(ca, a, cb, b)) {
                    r.diverged = true;
                    r.what = *d;
                }
                ++r.pairs;
                took = true;
            };
            for (int tries = 0; tries < 50 && !took; ++tries) {
                const auto& ks = by_op[nonempty[g.below(static_cast<std::uint32_t>(nonempty.size()))]];
                attempt(all[ks[g.below(static_cast<std::uint32_t>(ks.size()))]]);
            }
            // As solver/random.hpp: after the rejected draws, every action in turn from
            // a random start (a run ends only when none is enabled in both designs).
            const std::size_t off = g.below(static_cast<std::uint32_t>(pool.size()));
            for (std::size_t k = 0; k < pool.size() && !took; ++k) attempt(all[pool[(off + k) % pool.size()]]);
            if (r.diverged) {
                r.trace = trace;
                r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
                return r;
            }
            if (!took) break;
        }
        if (o.seconds > 0 &&
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() > o.seconds) {
            r.complete = false;
            r.stopped = "time limit";
            break;
        }
    }
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return r;
}

/// Every sequence up to o.depth (iterative deepening): clean to the depth, or a
/// shortest diverging sequence.
template <class S> refine_result refine_search(const config& ca, const config& cb, const refine_options& o) {
    struct pair_t {
        S a, b;
    };
    const auto t0 = std::chrono::steady_clock::now();
    refine_result r;
    std::vector<action> acts;
    for (const auto& x : model::actions(ca))
        if (refinable(x) && (o.ops.empty() || std::find(o.ops.begin(), o.ops.end(), static_cast<int>(x.kind)) != o.ops.end()))
            acts.push_back(x);
    const pair_t init{model::initial_state<S>(&ca), model::initial_state<S>(&cb)};
    if (auto d = observation_diff(ca, init.a, cb, init.b)) {
        r.diverged = true;
        r.what = *d;
        return r;
    }
    auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
    std::vector<action> path;
    for (int limit = 1; limit <= o.depth; ++limit) {
        // fingerprint of the pair -> the most depth left with which it was expanded
        std::unordered_map<std::uint64_t, int> seen;
        bool stop = false;
        auto dfs = [&](auto&& self, const pair_t& p, int left) -> void {
            for (const auto& x : acts) {
                if (stop || r.diverged) return;
                pair_t q = p;
                const auto k = step_pair(ca, q.a, cb, q.b, x);
                if (k == pair_step::neither) continue;
                if (k == pair_step::bounds_split || k == pair_step::guard_split) {
                    ++(k == pair_step::bounds_split ? r.bounds_split : r.guard_split);
                    continue;
                }
                path.push_back(x);
                const std::uint64_t fp = fingerprint(q.a) * 0x9e3779b97f4a7c15ull ^ fingerprint(q.b);
                auto [it, fresh] = seen.try_emplace(fp, left - 1);
                if (!fresh && it->second >= left - 1) {
                    path.pop_back();
                    continue;
                }
                it->second = left - 1;
                ++r.pairs;
                // A pair seen before was compared then; only new ones need the comparison.
                if (fresh)
                    if (auto d = observation_diff(ca, q.a, cb, q.b)) {
                        r.diverged = true;
                        r.what = *d;
                        r.trace = path;
                        return;
                    }
                if ((r.pairs & 0xfff) == 0) {
                    if (r.pairs > o.max_pairs) stop = true, r.stopped = "pair limit";
                    if (o.seconds > 0 && elapsed() > o.seconds) stop = true, r.stopped = "time limit";
                }
                if (left > 1) self(self, q, left - 1);
                path.pop_back();
            }
        };
        dfs(dfs, init, limit);
        if (r.diverged) break;
        if (stop) {
            r.complete = false;
            break;
        }
        r.clean_depth = limit;
    }
    r.seconds = elapsed();
    return r;
}

}  // namespace solver
