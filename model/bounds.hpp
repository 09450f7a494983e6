// model/bounds.hpp — named bounds presets and per-run limits.
//
// Every entity lives in a fixed-size array; the sizes come from a preset chosen
// at compile time (`small`, `default`, `double`, `cost`), so the concrete fast
// path has fixed-size arrays.  A run may lower any bound below its preset's
// maximum (`--mms 3`, ...): allocation then only considers the first `limit`
// slots.  `small` is for deep exhaustive runs: two processes, two VMA slots of
// at most two pages, two folios, three anon_vmas, one cpu.  Asking for more than a preset holds is a usage error (exit 2).
//
// Address space: each mm has `va_pages` virtual pages (vpage 0..va_pages-1);
// a VMA covers [vm_start, vm_start + pages) of them.  Folios are single pages.
//
// `cost` is for `cowcheck compare` only (solver/cost.hpp, cli/cmd_compare.cpp; concrete
// domain, instantiated in that one file: every preset instantiated across the engines
// costs build time).  The sweeps vary one dimension at a time; one preset holds each
// sweep's maximum (not their product): fork depth or width 16 needs 17 mms (one VMA
// each); 64 one-page VMAs with a gap between each need 128 virtual pages, and after one
// fork 128 folios and 128 anon_vmas (a context per mm in the other design: the
// rmap-object slots are shared); 32 single-page moves out of a 33-page VMA need 33 VMAs
// and 97 pages.  The state is then 1.3 MB (the remap_mt arrays, per context x per pgoff
// x (vmas + 1) offsets, are most of it): too large for the exhaustive or symbolic
// engines, practical for deterministic workloads: `compare` runs its 19,000 steps, the
// walks and the end-of-workload invariant checks in about 5 s.
//
// mshare (--design mshare only): `regions` region slots of `region_pages` pages each
// (model/mshare.hpp); `small` keeps one-page regions so a window fits at either of
// its two virtual pages (per-process addresses differ from the host's).
#pragma once
#include <string>
#include <string_view>
#include <type_traits>

namespace model {

struct preset_small {
    static constexpr const char* name = "small";
    static constexpr int mms = 2, vmas = 2, va_pages = 2, folios = 2, anon_vmas = 3, cpus = 1, pins = 1;
    static constexpr int regions = 1, region_pages = 1;   // mshare (design mshare only)
};
struct preset_default {
    static constexpr const char* name = "default";
    static constexpr int mms = 4, vmas = 2, va_pages = 4, folios = 6, anon_vmas = 6, cpus = 2, pins = 2;
    static constexpr int regions = 1, region_pages = 2;
};
struct preset_double {
    static constexpr const char* name = "double";
    static constexpr int mms = 8, vmas = 4, va_pages = 8, folios = 12, anon_vmas = 12, cpus = 4, pins = 4;
    static constexpr int regions = 1, region_pages = 2;
};

struct preset_cost {
    static constexpr const char* name = "cost";
    static constexpr int mms = 17, vmas = 64, va_pages = 128, folios = 136, anon_vmas = 136, cpus = 1, pins = 1;
};

/// The mshare region sizes of a preset; presets that do not name them (e.g. the tests'
/// own) get one one-page region.
template <class P, class = void> struct mshare_bounds {
    static constexpr int regions = 1, region_pages = 1;
};
template <class P> struct mshare_bounds<P, std::void_t<decltype(P::regions), decltype(P::region_pages)>> {
    static constexpr int regions = P::regions, region_pages = P::region_pages;
};
template <class P> inline constexpr int regions_of = mshare_bounds<P>::regions;
template <class P> inline constexpr int region_pages_of = mshare_bounds<P>::region_pages;

/// Per-run limits, each at most the preset's array size.
struct limits {
    int mms, vmas, va_pages, folios, anon_vmas, cpus;

    template <class P> static constexpr limits of() {
        return {P::mms, P::vmas, P::va_pages, P::folios, P::anon_vmas, P::cpus};
    }
};

}  // namespace model
