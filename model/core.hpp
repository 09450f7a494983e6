// model/core.hpp — small helpers every model header uses.
//
// Address arithmetic (mm/internal.h: linear_page_index, vma_address), slot
// allocation (lowest free slot, a priority chain so no choice variable is
// needed), BUG_ON recording, and counter updates that record underflow.
#pragma once
#include "config.hpp"
#include "state.hpp"

#define MODEL_TYPES(S)                   \
    using D [[maybe_unused]] = typename S::domain; \
    using P [[maybe_unused]] = typename S::preset; \
    using B [[maybe_unused]] = typename D::Bool; \
    using I [[maybe_unused]] = typename D::Int; \
    static_assert(true)

namespace model {

/// Record the first BUG_ON/VM_WARN_ON that fires (D::bug_on of DESIGN.md).
template <class S> void bug_on(S& s, bug id, typename S::domain::Bool cond) {
    using D = typename S::domain;
    s.bug = D::ite(cond && s.bug == 0, typename D::Int(static_cast<int>(id)), s.bug);
}

/// A bounded pool ran out: the step is outside the bounds and is discarded.
template <class S> void out_of_bounds_if(S& s, typename S::domain::Bool cond) {
    s.out_of_bounds = s.out_of_bounds || cond;
}

/// x -= n, recording a counter underflow as a bug.
template <class S, class I> void dec(S& s, I& x, I n) {
    bug_on(s, bug::counter_underflow, x < n);
    x = x - n;
}

/// The VMA covers virtual page `vp`.
template <class V, class I> auto vma_covers(const V& v, I vp) {
    return v.used && v.start <= vp && vp < v.start + v.pages;
}

/// linear_page_index(vma, addr) = ((addr - vm_start) >> PAGE_SHIFT) + vm_pgoff.
template <class V, class I> I linear_page_index(const V& v, I vp) { return vp - v.start + v.pgoff; }

/// vma_address(vma, pgoff): valid iff vm_pgoff <= pgoff < vm_pgoff + vma_pages.
template <class V, class I> auto pgoff_in_vma(const V& v, I pgoff) {
    return v.pgoff <= pgoff && pgoff < v.pgoff + v.pages;
}
template <class V, class I> I vma_address(const V& v, I pgoff) { return v.start + (pgoff - v.pgoff); }

/// Lowest slot of `arr` (first `limit` entries) whose `used(elem)` is false, or nil.
template <class D, class A, class F> typename D::Int lowest_free(const A& arr, int limit, F used) {
    typename D::Int idx = nil;
    for (int k = limit - 1; k >= 0; --k) idx = D::ite(!used(arr[k]), typename D::Int(k), idx);
    return idx;
}

/// Index of the VMA of mm `m` covering vpage `vp`, or nil.
template <class S> typename S::domain::Int find_vma(const S& s, int m, typename S::domain::Int vp) {
    MODEL_TYPES(S);
    I idx = nil;
    for (int i = P::vmas - 1; i >= 0; --i) idx = D::ite(vma_covers(s.vma[m][i], vp), I(i), idx);
    return idx;
}

/// Number of anon_vmas on a VMA's chain.
template <class D, class V> typename D::Int chain_length(const V& v) {
    typename D::Int n = 0;
    for (const auto& c : v.chain) n = n + D::ite(c, typename D::Int(1), typename D::Int(0));
    return n;
}

}  // namespace model
