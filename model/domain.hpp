// model/domain.hpp — the concrete interpretation of the model.
//
// The model is written once over a domain D (DESIGN.md "One model, two
// interpretations").  This file is the concrete domain: D::Bool is bool,
// D::Int is an 8-bit unsigned integer (cint) whose arithmetic wraps exactly as
// the solver's 8-bit bit-vectors do, and control flow on state data is a plain
// `if` that mutates in place (the fast path the random explorer and replay use).
// The symbolic domain (solver/symbolic.hpp) provides the same names over z3.
//
// Domain vocabulary used by the model (and nothing else):
//   D::when(c, x, f)    run f(x) if c          (symbolic: f on a copy, ite-merge)
//   D::select(arr, i)   arr[i], or T{} if i is out of range
//   D::update(arr, i, f) f(arr[i]) if i in range
//   D::ite(c, a, b)     a if c else b (leaves)
// Comparisons on Int are unsigned in both domains; out-of-range indices behave
// identically (select yields the zero element, update does nothing).
#pragma once
#include <array>
#include <cstdint>
#include <type_traits>

namespace model {

/// Width of every integer in the model (bit-vector width in the solver).
inline constexpr int int_width = 8;
/// "NULL pointer" for every index-valued field (mm, vma, folio, anon_vma).
inline constexpr int nil = 0xff;
/// The shared zero page, as a pte/tlb folio index (never a folio slot).
inline constexpr int zero_pfn = 0xfe;

/// 8-bit unsigned integer with wrap-around, the concrete D::Int.
struct cint {
    std::uint8_t v = 0;
    constexpr cint() = default;
    constexpr cint(int x) : v(static_cast<std::uint8_t>(x)) {}
    constexpr int get() const { return v; }
    friend constexpr cint operator+(cint a, cint b) { return cint(a.v + b.v); }
    friend constexpr cint operator-(cint a, cint b) { return cint(a.v - b.v); }
    friend constexpr cint operator&(cint a, cint b) { return cint(a.v & b.v); }
    friend constexpr cint operator|(cint a, cint b) { return cint(a.v | b.v); }
    friend constexpr cint operator^(cint a, cint b) { return cint(a.v ^ b.v); }
    friend constexpr cint operator~(cint a) { return cint(~a.v); }
    friend constexpr bool operator==(cint a, cint b) { return a.v == b.v; }
    friend constexpr bool operator!=(cint a, cint b) { return a.v != b.v; }
    friend constexpr bool operator<(cint a, cint b) { return a.v < b.v; }
    friend constexpr bool operator<=(cint a, cint b) { return a.v <= b.v; }
    friend constexpr bool operator>(cint a, cint b) { return a.v > b.v; }
    friend constexpr bool operator>=(cint a, cint b) { return a.v >= b.v; }
};

template <class A> struct array_traits;
template <class T, std::size_t N> struct array_traits<std::array<T, N>> {
    using elem = T;
    static constexpr std::size_t size = N;
};

struct concrete {
    using Bool = bool;
    using Int = cint;
    static constexpr bool is_symbolic = false;

    static constexpr Bool lit(bool b) { return b; }
    static constexpr Int lit(int n) { return Int(n); }

    template <class T> static T ite(Bool c, const T& a, const T& b) { return c ? a : b; }

    template <class T, class F> static void when(Bool c, T& x, F&& f) {
        if (c) f(x);
    }

    template <class A> static typename array_traits<A>::elem select(const A& arr, Int i) {
        if (i.v < array_traits<A>::size) return arr[i.v];
        return typename array_traits<A>::elem{};
    }

    template <class A, class F> static void update(A& arr, Int i, F&& f) {
        if (i.v < array_traits<A>::size) f(arr[i.v]);
    }

    /// True only when b is known to be false without solving: lets loops over
    /// sparse state skip dead slots concretely while staying total symbolically.
    static constexpr bool known_false(Bool b) { return !b; }

    /// Concrete truth value, for code that only runs concretely (printing, replay).
    static constexpr bool value(Bool b) { return b; }
    static constexpr int value(Int i) { return i.v; }
};

}  // namespace model
