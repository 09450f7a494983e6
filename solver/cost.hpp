// solver/cost.hpp — what each rmap design allocates and walks (issue 8, "What it costs").
//
// Shared by `cowcheck compare` (cli/cmd_compare.cpp) and tests/test_cow_cost.cpp: the
// counting helpers, the five deterministic workloads of the sweeps, and `measure`, which
// runs a workload through the model's own actions (model::enabled / model::apply, the code
// paths every engine uses: there is no separate cost model) and counts, per step kind:
//
//   objects allocated   anon_vma design: anon_vmas (anon_vma_alloc) and anon_vma_chain links
//                       (anon_vma_chain_alloc); COW context design: cow_contexts and remap_mt
//                       entries.  "Allocated" = slots (or chain bits / remap entries) that
//                       are live after the step and were not before it; frees are not
//                       subtracted, so a mremap that moves an AVC counts one allocation;
//                       a remap entry counts when an entry starts at a pgoff where none
//                       started before (offsets rewritten in place are not allocations).
//   rmap walk           for every allocated folio of the final state, rmap_walk_anon /
//                       cow_context_walk as modelled (model/rmap.hpp): rmap objects
//                       examined (anon_vma: the folio's anon_vma, one interval tree;
//                       COW context: walk_context() calls on a context whose mm is alive),
//                       VMAs handed to rmap_one, and of those how many map the folio
//                       (confirmed: the PTE at the address points at it) or not (wasted).
//
// Simplifications: counts only, no bytes (struct sizes differ per config); the anon_vma
// interval tree is one "examined" object although its query costs O(log n) in the number
// of AVCs it holds (reported separately as tree_entries); faults are the write steps that
// found no writable TLB entry (every write in the workloads below is one).
#pragma once
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "model/actions.hpp"
#include "props/props.hpp"

namespace solver::cost {

using model::action;
using model::op;

/// rmap objects alive (or allocated) and their links.
struct counts {
    int objects = 0;   // anon_vmas, or cow_contexts
    int links = 0;     // anon_vma_chain entries, or remap_mt entries
    friend bool operator==(const counts&, const counts&) = default;
};

/// Number of remap_mt entries of one context (entry boundaries are exact per pgoff).
template <class P, class X> int remap_entries(const X& x) {
    int n = 0;
    for (int p = 0; p < P::va_pages; ++p) n += x.rstart[p] != model::nil && (p == 0 || x.rstart[p - 1] != x.rstart[p]);
    return n;
}

/// The rmap objects alive in s.
template <class S> counts rmap_objects(const model::config& cfg, const S& s) {
    using P = typename S::preset;
    counts c;
    if (!cfg.cow()) {
        for (const auto& a : s.anon_vma) c.objects += a.live;
        for (const auto& per_mm : s.vma)
            for (const auto& v : per_mm)
                if (v.used) c.links += model::chain_length<model::concrete>(v).get();
        return c;
    }
    for (const auto& x : s.cow_ctx) {
        if (!x.live) continue;
        ++c.objects;
        c.links += remap_entries<P>(x);
    }
    return c;
}

/// The rmap objects allocated from `before` to `after`: slots, chain bits and remap
/// entries present after and not before (a slot that died and was reused in one step
/// would be missed: no step of the workloads below does that).
template <class S> counts allocated(const model::config& cfg, const S& before, const S& after) {
    using P = typename S::preset;
    counts c;
    if (!cfg.cow()) {
        for (int a = 0; a < P::anon_vmas; ++a) c.objects += after.anon_vma[a].live && !before.anon_vma[a].live;
        for (int m = 0; m < P::mms; ++m)
            for (int i = 0; i < P::vmas; ++i) {
                const auto &v = after.vma[m][i], &u = before.vma[m][i];
                if (!v.used) continue;
                const bool same = u.used && u.start == v.start && u.pgoff == v.pgoff;
                for (int a = 0; a < P::anon_vmas; ++a) c.links += v.chain[a] && !(same && u.chain[a]);
            }
        return c;
    }
    for (int k = 0; k < P::anon_vmas; ++k) {
        const auto &x = after.cow_ctx[k], &y = before.cow_ctx[k];
        if (!x.live) continue;
        c.objects += !y.live;
        for (int p = 0; p < P::va_pages; ++p) {
            const bool starts = x.rstart[p] != model::nil && (p == 0 || x.rstart[p - 1] != x.rstart[p]);
            if (!starts) continue;
            // an entry starting at p where none started before (an entry whose offsets were
            // rewritten in place, as find_and_remap_existing does, is not an allocation)
            const bool was = y.live && y.rstart[p] == x.rstart[p] && (p == 0 || y.rstart[p - 1] != y.rstart[p]);
            c.links += !was;
        }
    }
    return c;
}

/// What one rmap walk of a folio examined.
struct walk_figures {
    int examined = 0;       // anon_vmas (1) or contexts with a live mm
    int tree_entries = 0;   // anon_vma only: AVCs in the folio's anon_vma interval tree
    int handed = 0;         // VMAs handed to rmap_one
    int confirmed = 0;      // of those, the PTE at the address maps the folio
    int wasted() const { return handed - confirmed; }
};

/// rmap_walk of folio f on s (the walk is read-only; s is a scratch copy the walk may
/// mark with a BUG_ON, which the caller checks).
template <class S> walk_figures walk_of(const model::config& cfg, S& s, int f) {
    using P = typename S::preset;
    walk_figures w;
    auto visit = [&](bool on, int m, int, model::cint vp) {
        if (!on) return;
        ++w.handed;
        if (vp.get() < P::va_pages && s.pte[m][vp.get()].present && s.pte[m][vp.get()].folio == f) ++w.confirmed;
    };
    if (cfg.cow()) {
        model::cow::walk_cost<model::cint> c;
        model::cow::walk(cfg, s, model::cint(f), true, visit, &c);
        w.examined = c.contexts.get();
        return w;
    }
    const int av = s.folio[f].mapping.get();
    w.examined = av < P::anon_vmas && s.anon_vma[av].live;
    for (const auto& per_mm : s.vma)
        for (const auto& v : per_mm) w.tree_entries += v.used && av < P::anon_vmas && v.chain[av];
    model::rmap::walk(cfg, s, model::cint(f), true, visit);
    return w;
}

// ---------------------------------------------------------------------------
// The workloads (deterministic action lists; cpu0 runs every process in turn).
// ---------------------------------------------------------------------------

enum class sweep : int { depth, width, vmas, mremaps, unmapped };

struct sweep_info {
    sweep id;
    const char* name;
    const char* axis;        // what x is
    const char* workload;    // the actions, in words
    int lo, hi;              // the range the compare command sweeps
};

inline const std::vector<sweep_info>& sweeps() {
    static const std::vector<sweep_info> all = {
        {sweep::depth, "depth", "fork-chain depth d",
         "mm0 maps one 2-page VMA and writes both pages; mm0 forks mm1, mm1 forks mm2, ... down to mm<d>; "
         "then mm0 .. mm<d-1> each write page 0 (COW copies)", 1, 16},
        {sweep::width, "width", "fork width w",
         "mm0 maps one 2-page VMA and writes both pages; mm0 forks mm1 .. mm<w>; then each child writes "
         "page 0 (COW copies)", 1, 16},
        {sweep::vmas, "vmas", "VMAs per mm n",
         "mm0 maps n one-page VMAs at pages 0, 2, 4, ... (gaps: no merge) and writes each; mm0 forks mm1; "
         "mm1 writes every page (COW copies)", 1, 64},
        {sweep::mremaps, "mremaps", "mremaps r",
         "mm0 maps one (r+1)-page VMA at page 0 and writes every page; moves pages 1 .. r one at a time "
         "(mremap of page k to page r + 2k: each moved page becomes a VMA of its own, at its own offset, "
         "a page apart from the others so nothing merges); forks mm1; mm1 writes every page (COW copies)", 0, 32},
        {sweep::unmapped, "unmapped", "children w (all but the oldest unmap)",
         "mm0 maps one 2-page VMA and writes both pages; forks mm1 .. mm<w>; then mm0 and mm2 .. mm<w> "
         "munmap the VMA (and tlb_finish_mmu): only mm1, the oldest child, still maps the two folios", 1, 16},
    };
    return all;
}

inline const sweep_info* sweep_by_name(const std::string& name) {
    for (const auto& s : sweeps())
        if (name == s.name) return &s;
    return nullptr;
}

/// The bounds a workload needs at point x: {mms, vmas per mm, va_pages, folios, rmap-object slots}.
struct needs {
    int mms, vmas, va_pages, folios, slots;
};
inline needs needs_of(sweep w, int x) {
    switch (w) {
        case sweep::depth: return {x + 1, 1, 2, 2 + x, x + 1};
        case sweep::width: return {x + 1, 1, 2, 2 + x, x + 1};
        case sweep::vmas: return {2, x, 2 * x, 2 * x, 2 * x};
        case sweep::mremaps: return {2, x + 1, 3 * x + 1, 2 * x + 2, x + 2};
        case sweep::unmapped: return {x + 1, 1, 2, 2, x + 1};
    }
    return {};
}

inline action mmap_(int mm, int start, int pages) { return {op::mmap, {.mm = mm, .start = start, .pages = pages}}; }
inline action write_(int mm, int vpage, int value) { return {op::write, {.mm = mm, .cpu = 0, .start = vpage, .value = value}}; }
inline action fork_(int mm, int mm2) { return {op::fork, {.mm = mm, .mm2 = mm2}}; }
inline action switch_(int mm) { return {op::switch_mm, {.mm = mm, .cpu = 0}}; }
inline action munmap_(int mm, int start, int pages) { return {op::munmap, {.mm = mm, .start = start, .pages = pages}}; }
inline action mremap_(int mm, int start, int pages, int to) {
    return {op::mremap, {.mm = mm, .start = start, .pages = pages, .to = to}};
}

/// The action list of sweep w at point x.
inline std::vector<action> workload(sweep w, int x) {
    std::vector<action> t;
    int on = 0;   // the mm cpu0 runs
    auto run_on = [&](int m) {   // switch_mm unless cpu0 already runs m
        if (on != m) t.push_back(switch_(m));
        on = m;
    };
    switch (w) {
        case sweep::depth:
            t = {mmap_(0, 0, 2), write_(0, 0, 1), write_(0, 1, 1)};
            for (int d = 0; d < x; ++d) run_on(d), t.push_back(fork_(d, d + 1));
            for (int d = 0; d < x; ++d) run_on(d), t.push_back(write_(d, 0, 2));
            break;
        case sweep::width:
            t = {mmap_(0, 0, 2), write_(0, 0, 1), write_(0, 1, 1)};
            for (int c = 1; c <= x; ++c) t.push_back(fork_(0, c));
            for (int c = 1; c <= x; ++c) run_on(c), t.push_back(write_(c, 0, 2));
            break;
        case sweep::vmas:
            for (int k = 0; k < x; ++k) t.push_back(mmap_(0, 2 * k, 1)), t.push_back(write_(0, 2 * k, 1));
            t.push_back(fork_(0, 1));
            run_on(1);
            for (int k = 0; k < x; ++k) t.push_back(write_(1, 2 * k, 2));
            break;
        case sweep::mremaps:
            t = {mmap_(0, 0, x + 1)};
            for (int k = 0; k <= x; ++k) t.push_back(write_(0, k, 1));
            for (int k = 1; k <= x; ++k) t.push_back(mremap_(0, k, 1, x + 2 * k));
            t.push_back(fork_(0, 1));
            run_on(1);
            t.push_back(write_(1, 0, 2));
            for (int k = 1; k <= x; ++k) t.push_back(write_(1, x + 2 * k, 2));
            break;
        case sweep::unmapped:
            t = {mmap_(0, 0, 2), write_(0, 0, 1), write_(0, 1, 1)};
            for (int c = 1; c <= x; ++c) t.push_back(fork_(0, c));
            for (int m = 0; m <= x; ++m)
                if (m != 1) t.push_back(munmap_(m, 0, 2)), t.push_back({op::tlb_finish_mmu, {.mm = m}});
            break;
    }
    return t;
}

/// The figures of one workload on one design.
struct figures {
    int steps = 0, forks = 0, faults = 0, mremaps = 0;
    counts fork_alloc, fault_alloc, mremap_alloc;   // totals over the steps of that kind
    counts alive;                                   // at the end
    int folios = 0;                                 // folios walked (every allocated folio at the end)
    walk_figures walk_total;                        // sums over those walks
    int walk_max_handed = 0;
    std::string broken;                             // invariants broken at the end ("" if none)

    static double per(int total, int n) { return n ? static_cast<double>(total) / n : 0.0; }
};

/// A workload that could not run: a step not enabled or out of the bounds (exit 4 in compare).
struct workload_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// Run trace from the initial state with model::enabled / model::apply and count.  The
/// states live on the heap (the cost preset's state is over a megabyte).
template <class S> figures measure(const model::config& cfg, const std::vector<action>& trace) {
    figures fig;
    auto s = std::make_unique<S>(model::initial_state<S>(&cfg));
    auto before = std::make_unique<S>();
    for (std::size_t k = 0; k < trace.size(); ++k) {
        const action& x = trace[k];
        if (!model::enabled(cfg, *s, x))
            throw workload_error("step " + std::to_string(k + 1) + " (" + model::describe(x) + ") is not enabled");
        const bool counted = x.kind == op::fork || x.kind == op::mremap || x.kind == op::write;
        bool fault = false;
        if (x.kind == op::write) {
            const auto& e = s->tlb[x.a.cpu][x.a.mm][x.a.start];
            fault = !(e.valid && e.writable);
        }
        if (counted) *before = *s;
        model::apply(cfg, *s, x);
        if (s->out_of_bounds)
            throw workload_error("step " + std::to_string(k + 1) + " (" + model::describe(x) + ") ran out of the " +
                                 S::preset::name + " bounds");
        ++fig.steps;
        auto add = [&](counts& total, int& n) {
            const counts c = allocated(cfg, *before, *s);
            total.objects += c.objects;
            total.links += c.links;
            ++n;
        };
        if (x.kind == op::fork) add(fig.fork_alloc, fig.forks);
        if (x.kind == op::mremap) add(fig.mremap_alloc, fig.mremaps);
        if (fault) add(fig.fault_alloc, fig.faults);
    }
    fig.alive = rmap_objects(cfg, *s);
    for (const auto& i : props::invariants())
        if (!props::holds(i.id, cfg, *s)) fig.broken += (fig.broken.empty() ? "" : ", ") + std::string(i.name);
    *before = *s;   // scratch copy for the walks
    for (int f = 0; f < S::preset::folios; ++f) {
        if (!s->folio[f].allocated) continue;
        const walk_figures w = walk_of(cfg, *before, f);
        ++fig.folios;
        fig.walk_total.examined += w.examined;
        fig.walk_total.tree_entries += w.tree_entries;
        fig.walk_total.handed += w.handed;
        fig.walk_total.confirmed += w.confirmed;
        fig.walk_max_handed = std::max(fig.walk_max_handed, w.handed);
    }
    if (before->bug.get() != 0) throw workload_error(std::string("an rmap walk hit a BUG_ON: ") + model::bug_name(before->bug.get()));
    return fig;
}

/// The two configurations compared: anon_vma as in today's kernel, and the COW context
/// design with every --cow-fix on (the PoC as coded breaks invariants the fixes repair).
template <class P> model::config design_config(bool cow) {
    auto cfg = model::config::defaults<P>();
    if (cow) {
        cfg.rmap = model::design::cow_context;
        for (const auto& f : model::cow_fixes()) cfg.fix(f.id);
    }
    return cfg;
}

}  // namespace solver::cost
