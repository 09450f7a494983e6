// solver/symmetry.hpp — mm-slot symmetry reduction for `explore --symmetry`.
//
// Processes are interchangeable: nothing in the model depends on which mm slot a
// process occupies, except through the slot numbers stored in the state.  So
// permuting the mm slots (and renaming every stored mm index: cpu->mm, pin->mm)
// gives a state with the same futures up to the same permutation, and the search
// needs to keep one state per orbit.
//
// Why it is sound here (design anon_vma):
//   - every action family is parameterized over all mm slots alike;
//   - fork's child takes the lowest free slot: a different free slot in the permuted
//     state, but a dead slot holds nothing that matters (exit_mmap clears the VMAs,
//     PTEs, reference memory, gather and mm; flushes its TLB entries; sends its cpus
//     idle; orphans its pins), so any two dead slots are interchangeable;
//   - every invariant is a statement over all slots alike.
// Only slots below the run's --mms limit are permuted (the others never come alive).
// The cow_context design keeps per-mm objects that this file does not rename, so
// --symmetry is refused for it.
//
// Canonical form: slots sorted by a hash of their own contents (mm, VMAs, PTEs,
// reference memory, TLB entries on every cpu, and which cpus run it and which pins
// it owns).  Slots that tie are identical in all of that, so the order among them
// does not change the state's bytes except through the renamed indices; the form is
// then not unique per orbit, which costs reduction, never soundness.
//
// A trace found on canonical states is turned back into one from the initial state
// by replaying it: at each step, the action whose result has the same canonical form.
#pragma once
#include <algorithm>
#include <array>
#include <cstring>
#include <numeric>
#include <optional>
#include <vector>

#include "../props/props.hpp"

namespace solver {

namespace symmetry_detail {

inline std::uint64_t mix(std::uint64_t h, const void* p, std::size_t n) {
    const auto* b = static_cast<const unsigned char*>(p);
    for (std::size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

}  // namespace symmetry_detail

/// The state with mm slot m moved to slot to[m], stored mm indices renamed.
template <class S> S permute_mms(const S& s, const std::array<int, S::preset::mms>& to) {
    using P = typename S::preset;
    S t = s;
    for (int m = 0; m < P::mms; ++m) {
        const int n = to[m];
        t.mm[n] = s.mm[m];
        t.vma[n] = s.vma[m];
        t.pte[n] = s.pte[m];
        t.ref[n] = s.ref[m];
        for (int c = 0; c < P::cpus; ++c) t.tlb[c][n] = s.tlb[c][m];
    }
    for (auto& c : t.cpu)
        if (c.mm.v < P::mms) c.mm = model::cint(to[c.mm.v]);
    for (auto& p : t.pin)
        if (p.used && p.mm.v < P::mms) p.mm = model::cint(to[p.mm.v]);
    return t;
}

/// One representative per orbit (see the file comment); `mms` is the run's limit.
template <class S> S canonical_mms(const S& s, int mms) {
    using P = typename S::preset;
    using symmetry_detail::mix;
    std::array<std::uint64_t, P::mms> key{};
    for (int m = 0; m < mms; ++m) {
        std::uint64_t h = 0xcbf29ce484222325ull;
        h = mix(h, &s.mm[m], sizeof s.mm[m]);
        h = mix(h, &s.vma[m], sizeof s.vma[m]);
        h = mix(h, &s.pte[m], sizeof s.pte[m]);
        h = mix(h, &s.ref[m], sizeof s.ref[m]);
        for (int c = 0; c < P::cpus; ++c) {
            h = mix(h, &s.tlb[c][m], sizeof s.tlb[c][m]);
            const bool runs = s.cpu[c].mm.v == m;
            h = mix(h, &runs, 1);
        }
        for (const auto& p : s.pin) {
            const bool owns = p.used && p.mm.v == m;
            h = mix(h, &owns, 1);
        }
        key[m] = h;
    }
    std::array<int, P::mms> order;
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.begin() + mms, [&](int a, int b) { return key[a] < key[b]; });
    std::array<int, P::mms> to;
    bool identity = true;
    for (int k = 0; k < P::mms; ++k) {
        to[order[k]] = k;
        identity = identity && order[k] == k;
    }
    return identity ? s : permute_mms(s, to);
}

/// A trace over canonical states (each action applied to the canonical form of the
/// state before it) as a trace from the initial state.  Empty if a step has no
/// counterpart, which would mean the symmetry does not hold (a bug).
template <class S>
std::optional<std::vector<model::action>> concrete_trace(const model::config& cfg, const std::vector<model::action>& canon) {
    const auto acts = model::actions(cfg);
    S s = model::initial_state<S>(&cfg);
    S c = canonical_mms(s, cfg.lim.mms);
    std::vector<model::action> out;
    for (const auto& a : canon) {
        S cn = c;
        model::apply(cfg, cn, a);
        cn = canonical_mms(cn, cfg.lim.mms);
        bool found = false;
        for (const auto& b : acts) {
            if (!model::enabled(cfg, s, b)) continue;
            S t = s;
            model::apply(cfg, t, b);
            if (t.out_of_bounds) continue;
            const S tc = canonical_mms(t, cfg.lim.mms);
            if (std::memcmp(&tc, &cn, sizeof(S)) != 0) continue;
            s = t;
            out.push_back(b);
            found = true;
            break;
        }
        if (!found) return std::nullopt;
        c = cn;
    }
    return out;
}

}  // namespace solver
