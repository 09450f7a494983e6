// solver/explore.hpp — explicit-state breadth-first search over concrete states.
//
// From the initial state, every enabled (action, parameters) of model::actions
// is applied to every state of the frontier; new states (by fingerprint) form
// the next frontier, and every selected invariant is checked on each of them.
// Breadth-first order makes the first violation found a shortest one at these
// bounds (ties broken by frontier order, then action order, so the trace is
// deterministic whatever the thread count).  With a prefix (`--from`) the search
// starts from the state after it, and what is shortest is the continuation.
//
// Storage: the visited set keeps a 64-bit fingerprint per state (a hash of the
// state's bytes: concrete states have a unique object representation) in an
// open-addressing table; two distinct states merge only if their fingerprints
// collide, with probability about n^2 / 2^65 for n states (4e-6 at 12 million).
// Each level keeps, per state, its parent's index and the action that made it
// (8 bytes), so a counterexample is rebuilt by walking back.  No whole state is
// kept: a state of the level being expanded is rebuilt by replaying its path of
// actions from the initial state, through a per-thread cache holding the last
// state rebuilt at each depth.  The levels are ordered by parent, so consecutive
// states mostly share their parent (and grandparent, ...) and the rebuild costs
// about one apply per state (1 + 1/b + 1/b^2 ... for branching b).  A new state
// is a 16-byte candidate (fingerprint, parent, action) until the merge, and its
// invariants are checked after it.  So a stored state costs its fingerprint slot (8 bytes at a load of
// 3/8 to 3/4) and its link (8 bytes); measured: bench/engines.md.
//
// Each level is expanded in chunks, each in three phases: expansion in parallel
// (threads take interleaved slices of the chunk and filter successors against the
// states already stored), a single-threaded merge that removes duplicates in
// expansion order (each thread's list is already in that order: no sort), then the
// invariant checks of the new states in parallel.
#pragma once
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "replay.hpp"
#include "symmetry.hpp"

namespace solver {

/// 64-bit hash of a concrete state's bytes.  Four lanes take a 32-byte block at a
/// time, so the multiply chains run side by side (one chain over a 256-byte `small`
/// state was about a tenth of explore's time), then are folded together and mixed.
template <class S> std::uint64_t fingerprint(const S& s) {
    static_assert(std::has_unique_object_representations_v<S>, "state bytes must determine the state");
    constexpr std::uint64_t k = 0x9e3779b97f4a7c15ull;
    const auto* p = reinterpret_cast<const unsigned char*>(&s);
    const auto mix = [](std::uint64_t h, std::uint64_t w) {
        h = (h ^ w) * k;
        return h ^ (h >> 29);
    };
    std::uint64_t h[4] = {0x243f6a8885a308d3ull, 0x13198a2e03707344ull, 0xa4093822299f31d0ull, 0x082efa98ec4e6c89ull};
    std::size_t i = 0;
    for (; i + 32 <= sizeof(S); i += 32)
        for (int l = 0; l < 4; ++l) {
            std::uint64_t w;
            std::memcpy(&w, p + i + 8 * l, 8);
            h[l] = mix(h[l], w);
        }
    for (; i + 8 <= sizeof(S); i += 8) {
        std::uint64_t w;
        std::memcpy(&w, p + i, 8);
        h[0] = mix(h[0], w);
    }
    std::uint64_t tail = 0;
    std::memcpy(&tail, p + i, sizeof(S) - i);
    std::uint64_t x = mix(h[0], tail);
    for (int l = 1; l < 4; ++l) x = mix(x, h[l]);
    x *= k;
    x ^= x >> 32;
    x *= 0xd6e8feb86659fd93ull;
    x ^= x >> 32;
    return x | 1;   // 0 marks an empty slot
}

/// Open-addressing set of fingerprints.
class fingerprint_set {
public:
    explicit fingerprint_set(std::size_t capacity = 1 << 16) : slots_(round_up(capacity), 0) {}
    bool contains(std::uint64_t fp) const {
        for (std::size_t i = fp & (slots_.size() - 1);; i = (i + 1) & (slots_.size() - 1)) {
            if (slots_[i] == fp) return true;
            if (slots_[i] == 0) return false;
        }
    }
    /// Insert; false if already present.
    bool insert(std::uint64_t fp) {
        if ((size_ + 1) * 4 > slots_.size() * 3) grow();   // load factor at most 3/4 (linear probing)
        for (std::size_t i = fp & (slots_.size() - 1);; i = (i + 1) & (slots_.size() - 1)) {
            if (slots_[i] == fp) return false;
            if (slots_[i] == 0) {
                slots_[i] = fp;
                ++size_;
                return true;
            }
        }
    }
    /// A hint: fetch fp's home slot into the cache ahead of a contains() or insert()
    /// (the table is far larger than the cache, so each look-up is a memory access).
    void prefetch(std::uint64_t fp) const { __builtin_prefetch(&slots_[fp & (slots_.size() - 1)]); }
    std::size_t size() const { return size_; }
    template <class F> void for_each(F f) const {
        for (std::uint64_t fp : slots_)
            if (fp) f(fp);
    }
    std::size_t bytes() const { return slots_.size() * sizeof(std::uint64_t); }

private:
    static std::size_t round_up(std::size_t n) {
        std::size_t c = 16;
        while (c < n) c *= 2;
        return c;
    }
    void grow() {
        std::vector<std::uint64_t> old(slots_.size() * 2, 0);
        old.swap(slots_);
        size_ = 0;
        for (std::uint64_t fp : old)
            if (fp) insert(fp);
    }
    std::vector<std::uint64_t> slots_;
    std::size_t size_ = 0;
};

struct explore_options {
    int depth = 9;
    long max_states = 200'000'000;
    double max_memory_mb = 8192;
    double seconds = 0;    // 0: no limit
    int threads = 2;
    props::inv_set selected = props::all_invariants;
    std::vector<int> ops;  // operations allowed (empty: all)
    // `--from`: start from the state after these actions (replayed from the initial
    // state) instead of the initial state.  Depths count from there; the trace returned
    // is the prefix followed by a shortest continuation.  Not with symmetry.
    std::vector<action> prefix;
    bool symmetry = false; // keep one state per orbit of mm-slot permutations (symmetry.hpp)
    // Sharding (`--shard I/N`): every shard builds and checks the whole prefix up to
    // depth shard_depth; of the states new at shard_depth it keeps, as the frontier it
    // continues from, only those whose fingerprint / 2 % shards == shard (the others stay in
    // `visited`, checked, and are not expanded).  Every state deeper than shard_depth
    // has a shortest path through a state new at shard_depth, which exactly one shard
    // expands, so the union of the shards covers every state to `depth`, and the
    // shortest violation over the shards is a shortest one.  A shard's clean depth
    // speaks for its part only.
    int shard = 0, shards = 1, shard_depth = 3;
    std::function<void(int depth, long fresh, long total, double secs, double mb)> progress;
    // If set, filled at the end with every visited state's fingerprint, sorted (`--dump-states`:
    // lets shards be compared with a single run state by state).
    std::vector<std::uint64_t>* states_out = nullptr;
};

struct explore_level {
    int depth;
    long fresh;            // new states at this depth
    long total;
    double seconds;        // cumulative
    double memory_mb;
};

struct explore_result {
    int clean_depth = -1;          // every state up to this depth satisfies the invariants
    bool complete = false;         // reached the requested depth (or the state space ran out)
    bool exhausted = false;        // no new states: the whole reachable space at these bounds
    std::string stopped;           // why it stopped early (limit), else empty
    long states = 0;
    double seconds = 0;
    double peak_mb = 0;
    std::vector<explore_level> levels;
    int violated = -1;
    std::vector<action> trace;     // a shortest violating trace
    long shard_dropped = 0;        // states new at shard_depth left to the other shards
    long checked = 0;              // distinct states stored and checked, the unfinished level's included
};

template <class S> explore_result explore(const config& cfg, const explore_options& opt) {
    using clock = std::chrono::steady_clock;
    const auto t0 = clock::now();
    auto elapsed = [&] { return std::chrono::duration<double>(clock::now() - t0).count(); };
    std::vector<action> acts;
    for (const action& x : model::actions(cfg))
        if (opt.ops.empty() || std::find(opt.ops.begin(), opt.ops.end(), static_cast<int>(x.kind)) != opt.ops.end())
            acts.push_back(x);

    struct link {
        std::uint32_t parent;   // index in the previous level
        std::uint32_t act;      // index in acts
    };
    explore_result res;
    fingerprint_set visited;
    std::vector<std::vector<link>> links;   // per depth
    auto canon = [&](const S& x) { return opt.symmetry ? canonical_mms(x, cfg.lim.mms) : x; };
    if (opt.symmetry && !opt.prefix.empty())
        throw std::invalid_argument("explore: a prefix (--from) cannot be combined with symmetry reduction");
    const S init = [&] {
        S s = model::initial_state<S>(&cfg);
        for (const action& x : opt.prefix)
            if (!model::step(cfg, s, x)) throw std::invalid_argument("explore: the prefix does not replay");
        return canon(s);
    }();
    visited.insert(fingerprint(init));
    links.push_back({link{0, 0}});
    res.states = 1;
    // A state of level `level` rebuilt from the initial state along its links, through
    // a cache of the last state rebuilt at each depth (one cache per thread).
    struct path_cache {
        std::vector<S> st;
        std::vector<std::uint32_t> idx;
    };
    auto new_cache = [&] { return path_cache{std::vector<S>(opt.depth + 1), std::vector<std::uint32_t>(opt.depth + 1, ~0u)}; };
    std::function<const S&(path_cache&, int, std::uint32_t)> state_at = [&](path_cache& c, int level,
                                                                            std::uint32_t i) -> const S& {
        if (level == 0) return init;
        if (c.idx[level] == i) return c.st[level];
        const link l = links[level][i];
        S t = state_at(c, level - 1, l.parent);
        model::apply(cfg, t, acts[l.act]);
        c.st[level] = opt.symmetry ? canonical_mms(t, cfg.lim.mms) : t;
        c.idx[level] = i;
        return c.st[level];
    };
    auto rebuild = [&](int depth, std::uint32_t idx) {   // the prefix, then the path to (depth, idx)
        std::vector<action> t(opt.prefix.size() + depth);
        std::copy(opt.prefix.begin(), opt.prefix.end(), t.begin());
        for (int d = depth; d > 0; --d) {
            t[opt.prefix.size() + d - 1] = acts[links[d][idx].act];
            idx = links[d][idx].parent;
        }
        return t;
    };
    auto links_bytes = [&] {
        std::size_t b = 0;
        for (const auto& l : links) b += l.capacity() * sizeof(link);
        return b;
    };
    auto mb = [](std::size_t b) { return b / 1048576.0; };
    if (int v = props::first_violation(cfg, init, opt.selected); v >= 0) {
        res.violated = v;
        res.trace = opt.prefix;
        res.seconds = elapsed();
        return res;
    }
    res.clean_depth = 0;
    res.levels.push_back({0, 1, 1, elapsed(), mb(visited.bytes())});

    // A successor not seen before: its fingerprint and where it came from (16 bytes with
    // the alignment; the state itself is not kept, and its invariants are checked after
    // the merge, see below).
    struct candidate {
        std::uint64_t fp;
        std::uint32_t parent;
        std::uint16_t act;
    };
    static_assert(sizeof(candidate) == 16);
    const int nthreads = std::max(1, opt.threads);
    for (int depth = 1; depth <= opt.depth; ++depth) {
        const int level = depth - 1;   // the level being expanded
        const std::size_t width = links[level].size();
        // The level is expanded in chunks of states, each in three phases: expansion in
        // parallel (thread t takes states t, t+n, ... of the chunk; successors already in
        // `visited` are dropped at once), a single-threaded merge in expansion order
        // (parent index, then action index) that keeps the first copy of each new state,
        // then the invariant checks of the merged new states in parallel, each rebuilt
        // from its parent (a successor reached twice in a chunk is checked once).  A
        // chunk's new states are in `visited` before the next chunk expands, so
        // duplicates within a level cost at most one chunk's worth of candidates; the
        // order, and so the trace, does not depend on the thread count.
        constexpr std::size_t chunk = 1u << 16;
        constexpr std::size_t recent_slots = 1u << 11;
        std::vector<link> next_level;
        int bad_inv = -1;
        link bad{0, 0};
        std::atomic<bool> stop{false};
        std::vector<std::vector<candidate>> found(nthreads);
        std::vector<const candidate*> order;
        std::vector<path_cache> caches;
        for (int t = 0; t < nthreads; ++t) caches.push_back(new_cache());
        auto in_parallel = [&](auto&& work) {
            std::vector<std::thread> pool;
            for (int t = 1; t < nthreads; ++t) pool.emplace_back(work, t);
            work(0);
            for (auto& th : pool) th.join();
        };
        for (std::size_t from = 0; from < width && bad_inv < 0 && !stop; from += chunk) {
            const std::size_t to = std::min(width, from + chunk);
            for (auto& f : found) f.clear();
            in_parallel([&](int t) {
                S next;
                path_cache& cache = caches[t];
                // A state's successors are fingerprinted first, each look-up's slot
                // prefetched, and looked up after: the look-ups' memory accesses overlap
                // the next successors' work instead of stalling one by one.
                std::vector<std::pair<std::uint64_t, std::uint16_t>> succ;
                // The fingerprints this thread met last (direct-mapped, 16 KiB: it stays
                // in L1; 256 KiB was slower).  Each is visited already, or a candidate of this thread earlier in
                // merge order (its parents come in order), so a successor found here is a
                // duplicate the merge would drop: it is skipped without a look-up in
                // `visited`.  The parent goes in first (an action that changes nothing).
                std::vector<std::uint64_t> recent(recent_slots, 0);
                const auto met_recently = [&](std::uint64_t fp) {
                    std::uint64_t& e = recent[(fp >> 17) & (recent_slots - 1)];
                    if (e == fp) return true;
                    e = fp;
                    return false;
                };
                for (std::size_t i = from + t; i < to; i += nthreads) {
                    if (stop.load(std::memory_order_relaxed)) return;
                    const S& s = state_at(cache, level, static_cast<std::uint32_t>(i));
                    succ.clear();
                    met_recently(fingerprint(s));
                    for (std::uint32_t a = 0; a < acts.size(); ++a) {
                        if (!model::enabled(cfg, s, acts[a])) continue;
                        next = s;
                        model::apply(cfg, next, acts[a]);
                        if (next.out_of_bounds) continue;
                        if (opt.symmetry) next = canonical_mms(next, cfg.lim.mms);
                        const std::uint64_t fp = fingerprint(next);
                        if (met_recently(fp)) continue;
                        visited.prefetch(fp);
                        succ.push_back({fp, static_cast<std::uint16_t>(a)});
                    }
                    for (const auto& [fp, a] : succ)
                        if (!visited.contains(fp)) found[t].push_back({fp, static_cast<std::uint32_t>(i), a});
                    if ((i & 1023) == 0 && opt.seconds > 0 && elapsed() > opt.seconds) stop = true;
                }
            });
            if (stop) break;
            // Expansion order: thread t's candidates are in (parent, action) order and
            // its parents are from + t, from + t + nthreads, ..., so taking each parent's
            // run from its thread's list in turn merges them in O(n), with no sort.
            order.clear();
            std::size_t found_bytes = 0;
            for (const auto& f : found) found_bytes += f.capacity() * sizeof(candidate);
            {
                std::vector<std::size_t> pos(nthreads, 0);
                for (std::size_t i = from; i < to; ++i) {
                    const std::size_t t = (i - from) % nthreads;
                    const auto& f = found[t];
                    while (pos[t] < f.size() && f[pos[t]].parent == i) order.push_back(&f[pos[t]++]);
                }
            }
            // The new states of this chunk, in order; `kept` says which this shard expands.
            std::vector<link> fresh_links;
            std::vector<bool> kept;
            for (std::size_t k = 0; k < order.size(); ++k) {
                if (k + 16 < order.size()) visited.prefetch(order[k + 16]->fp);
                const candidate* c = order[k];
                if (!visited.insert(c->fp)) continue;
                fresh_links.push_back({c->parent, c->act});
                // (fp >> 1: a fingerprint's lowest bit is always 1.)
                const bool other_shard = opt.shards > 1 && depth == opt.shard_depth &&
                    (c->fp >> 1) % static_cast<std::uint64_t>(opt.shards) != static_cast<std::uint64_t>(opt.shard);
                kept.push_back(!other_shard);
            }
            res.peak_mb = std::max(res.peak_mb, mb(visited.bytes() + links_bytes() + nthreads * (opt.depth + 1) * sizeof(S) +
                                                   found_bytes + order.capacity() * sizeof(void*) +
                                                   fresh_links.capacity() * sizeof(link) +
                                                   next_level.capacity() * sizeof(link)));
            // (found and order keep their capacity for the next chunk: freeing and
            // re-allocating them cost page faults, 4-5% of the run.)
            // Invariant checks, every new state once (states left to other shards too:
            // they are checked here and expanded there).  The first violation in merge
            // order wins.
            std::vector<std::pair<std::size_t, int>> first(nthreads, {SIZE_MAX, -1});
            in_parallel([&](int t) {
                path_cache& cache = caches[t];
                for (std::size_t j = t; j < fresh_links.size(); j += nthreads) {
                    S next = state_at(cache, level, fresh_links[j].parent);
                    model::apply(cfg, next, acts[fresh_links[j].act]);
                    if (opt.symmetry) next = canonical_mms(next, cfg.lim.mms);
                    if (int v = props::first_violation(cfg, next, opt.selected); v >= 0) {
                        first[t] = {j, v};
                        return;
                    }
                }
            });
            std::size_t bad_j = SIZE_MAX;
            for (const auto& [j, v] : first)
                if (v >= 0 && j < bad_j) {
                    bad_j = j;
                    bad_inv = v;
                }
            if (bad_inv >= 0) bad = fresh_links[bad_j];
            for (std::size_t j = 0; j < fresh_links.size(); ++j) {
                if (kept[j]) next_level.push_back(fresh_links[j]);
                else ++res.shard_dropped;   // another shard's part of the frontier
            }
        }
        found = {};
        order = {};
        if (stop) {
            res.stopped = "time limit of " + std::to_string(opt.seconds) + " s during depth " + std::to_string(depth);
            break;
        }
        next_level.shrink_to_fit();
        const long fresh = static_cast<long>(next_level.size()) + (depth == opt.shard_depth ? res.shard_dropped : 0);
        res.states += fresh;
        links.push_back(std::move(next_level));
        if (bad_inv >= 0) {
            res.violated = bad_inv;
            std::vector<action> t = rebuild(depth - 1, bad.parent);
            t.push_back(acts[bad.act]);
            if (opt.symmetry) {
                // The actions were applied to canonical states: map them back to a
                // trace from the initial state.
                auto c = concrete_trace<S>(cfg, t);
                if (!c) throw std::logic_error("explore --symmetry: a canonical trace has no concrete counterpart");
                t = std::move(*c);
            }
            res.trace = std::move(t);
            res.levels.push_back({depth, fresh, res.states, elapsed(), res.peak_mb});
            break;
        }
        res.clean_depth = depth;
        const double now_mb = mb(visited.bytes() + links_bytes());
        res.levels.push_back({depth, fresh, res.states, elapsed(), now_mb});
        if (opt.progress) opt.progress(depth, fresh, res.states, elapsed(), res.peak_mb);
        if (fresh == 0) {
            res.exhausted = true;
            break;
        }
        if (depth == opt.depth) break;
        if (res.states >= opt.max_states) {
            res.stopped = "state limit of " + std::to_string(opt.max_states) + " states";
            break;
        }
        if (res.peak_mb >= opt.max_memory_mb) {
            res.stopped = "memory limit of " + std::to_string(static_cast<long>(opt.max_memory_mb)) + " MB";
            break;
        }
    }
    res.complete = res.violated < 0 && res.stopped.empty();
    res.checked = static_cast<long>(visited.size());
    if (opt.states_out) {
        opt.states_out->clear();
        opt.states_out->reserve(visited.size());
        visited.for_each([&](std::uint64_t fp) { opt.states_out->push_back(fp); });
        std::sort(opt.states_out->begin(), opt.states_out->end());
    }
    res.seconds = elapsed();
    return res;
}

}  // namespace solver
