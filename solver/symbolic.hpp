// solver/symbolic.hpp — the symbolic interpretation of the model, over z3.
//
// The model is written once over a domain D (DESIGN.md "One model, two
// interpretations"); model/domain.hpp is the concrete domain and this file the
// symbolic one, with exactly the same names: D::Bool wraps a z3 bool, D::Int an
// 8-bit bit-vector (model::int_width), and the control-flow vocabulary
// (when / select / update / ite) builds ite-terms instead of branching.  Running
// a model action on a symbolic state therefore yields the transition relation of
// that action, which the BMC unroller (solver/bmc.hpp) stitches into steps.
//
// Corner cases are defined exactly as in the concrete domain (and checked by
// tests/test_symbolic.cpp): arithmetic wraps mod 256, comparisons are unsigned
// (z3++'s `<` on bit-vectors is signed, so ult/ule/ugt/uge are used), an
// out-of-range select yields the value-initialised element, an out-of-range
// update changes nothing.
//
// Terms are kept small while they are built: D::when runs f on a copy and
// merges only the leaves whose term changed (same AST = same z3 id, a pointer
// comparison), literal conditions skip the copy, and comparisons of slot
// numbers chosen by priority chains (ite-trees of numerals) fold to booleans
// (see "Folding" below; set_folding(false) turns it off for the tests).
//
// Also here: fresh states (one z3 constant per leaf), lifting a concrete value
// to constants, evaluating a symbolic value in a z3 model, and the type mapping
// between the two interpretations (rebind_t, sym_state, conc_state).
#pragma once
#include <z3++.h>

#include <array>
#include <cstddef>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "../model/domain.hpp"
#include "../model/generic.hpp"
#include "../model/state.hpp"

namespace solver {

/// The one z3 context every symbolic value lives in.  It lives as long as the
/// process and is never deleted: Z3_del_context (z3 4.8) takes seconds on a
/// context that has seen a few unrollings.
inline z3::context& z3ctx() {
    static z3::context* ctx = new z3::context;
    return *ctx;
}

namespace detail {

/// The literals true / false (hash-consed: one AST each).
inline const z3::expr& bool_lit(bool b) {
    static const z3::expr t = z3ctx().bool_val(true);
    static const z3::expr f = z3ctx().bool_val(false);
    return b ? t : f;
}

/// The 8-bit numeral n mod 256 (cached: building a numeral is an API call).
inline const z3::expr& int_lit(int n) {
    static const std::vector<z3::expr> lits = [] {
        std::vector<z3::expr> v;
        v.reserve(1u << model::int_width);
        for (unsigned k = 0; k < (1u << model::int_width); ++k) v.push_back(z3ctx().bv_val(k, model::int_width));
        return v;
    }();
    return lits[static_cast<unsigned>(n) & ((1u << model::int_width) - 1)];
}

/// Same AST (z3 hash-conses terms, so equal pointers are equal ids).
inline bool same(const z3::expr& a, const z3::expr& b) {
    return static_cast<Z3_ast>(a) == static_cast<Z3_ast>(b);
}

// ---------------------------------------------------------------------------
// Folding while terms are built.
//
// Slot numbers in the model are chosen by priority chains (lowest_free,
// find_vma, merge targets), so many integers are ite-trees whose leaves are
// numerals, e.g. ite(c, 1, nil); they are then compared with slot numbers
// (select, update, `idx == k`).  Comparing such a tree with a numeral, or
// combining two small trees, is pushed into the leaves and folded here, so
// `ite(c, 1, nil) == 0` is `false` and the update of slot 0 is skipped instead
// of becoming terms the solver has to bit-blast.  Boolean connectives fold
// their literals.  Every rewrite yields the same function of the free
// constants; with folding off (set_folding(false)) terms are built as written,
// which the agreement test uses to check z3's own semantics.
// ---------------------------------------------------------------------------

inline bool& folding_flag() {
    static bool on = true;
    return on;
}

inline bool is_lit(const z3::expr& e, bool b) { return same(e, bool_lit(b)); }

/// The value of an 8-bit numeral term.
inline bool numeral(const z3::expr& e, unsigned& v) {
    if (Z3_get_ast_kind(e.ctx(), e) != Z3_NUMERAL_AST) return false;
    return Z3_get_numeral_uint(e.ctx(), e, &v);
}

/// Is e an ite application (then its condition and branches are args 0, 1, 2).
inline bool is_ite(const z3::expr& e) {
    if (Z3_get_ast_kind(e.ctx(), e) != Z3_APP_AST) return false;
    return Z3_get_decl_kind(e.ctx(), Z3_get_app_decl(e.ctx(), Z3_to_app(e.ctx(), e))) == Z3_OP_ITE;
}

inline z3::expr arg(const z3::expr& e, unsigned k) {
    return z3::expr(e.ctx(), Z3_get_app_arg(e.ctx(), Z3_to_app(e.ctx(), e), k));
}

/// Leaves of e if it is an ite-tree of numerals with at most `limit` leaves, else 0.
inline unsigned tree_leaves(const z3::expr& e, unsigned limit) {
    unsigned v;
    if (numeral(e, v)) return 1;
    if (!is_ite(e)) return 0;
    const unsigned a = tree_leaves(arg(e, 1), limit);
    if (!a) return 0;
    const unsigned b = tree_leaves(arg(e, 2), limit);
    if (!b || a + b > limit) return 0;
    return a + b;
}

inline z3::expr mk_not(const z3::expr& a) {
    if (folding_flag()) {
        if (is_lit(a, true)) return bool_lit(false);
        if (is_lit(a, false)) return bool_lit(true);
        if (Z3_get_ast_kind(a.ctx(), a) == Z3_APP_AST &&
            Z3_get_decl_kind(a.ctx(), Z3_get_app_decl(a.ctx(), Z3_to_app(a.ctx(), a))) == Z3_OP_NOT)
            return arg(a, 0);
    }
    return !a;
}

inline z3::expr mk_and(const z3::expr& a, const z3::expr& b) {
    if (folding_flag()) {
        if (is_lit(a, false) || is_lit(b, false)) return bool_lit(false);
        if (is_lit(a, true) || same(a, b)) return b;
        if (is_lit(b, true)) return a;
    }
    return a && b;
}

inline z3::expr mk_or(const z3::expr& a, const z3::expr& b) {
    if (folding_flag()) {
        if (is_lit(a, true) || is_lit(b, true)) return bool_lit(true);
        if (is_lit(a, false) || same(a, b)) return b;
        if (is_lit(b, false)) return a;
    }
    return a || b;
}

/// ite(c, t, e) on any sort, folding literal conditions, equal branches and boolean literals.
inline z3::expr mk_ite(const z3::expr& c, const z3::expr& t, const z3::expr& e) {
    if (same(t, e) || is_lit(c, true)) return t;
    if (is_lit(c, false)) return e;
    if (folding_flag() && t.is_bool()) {
        if (is_lit(t, true)) return mk_or(c, e);
        if (is_lit(t, false)) return mk_and(mk_not(c), e);
        if (is_lit(e, true)) return mk_or(mk_not(c), t);
        if (is_lit(e, false)) return mk_and(c, t);
    }
    return z3::ite(c, t, e);
}

/// Largest product of tree sizes pushed through an operation (keeps terms small).
inline constexpr unsigned fold_limit = 16;

/// op(a, b) where `fold(x, y)` computes it on two numerals and `build` as a z3 term.
template <class Fold, class Build>
z3::expr binary(const z3::expr& a, const z3::expr& b, Fold&& fold, Build&& build) {
    if (folding_flag()) {
        unsigned x, y;
        if (numeral(a, x) && numeral(b, y)) return fold(x, y);
        const unsigned la = tree_leaves(a, fold_limit);
        const unsigned lb = la ? tree_leaves(b, fold_limit) : 0;
        if (la && lb && la * lb <= fold_limit) {
            if (is_ite(a)) {
                return mk_ite(arg(a, 0), binary(arg(a, 1), b, fold, build), binary(arg(a, 2), b, fold, build));
            }
            return mk_ite(arg(b, 0), binary(a, arg(b, 1), fold, build), binary(a, arg(b, 2), fold, build));
        }
    }
    return build(a, b);
}

inline constexpr unsigned int_mask = (1u << model::int_width) - 1;

}  // namespace detail

/// D::Bool of the symbolic domain: a z3 bool term.
struct sbool {
    z3::expr e;
    sbool() : e(detail::bool_lit(false)) {}
    sbool(bool b) : e(detail::bool_lit(b)) {}
    explicit sbool(z3::expr x) : e(std::move(x)) {}

    friend sbool operator&&(const sbool& a, const sbool& b) { return sbool(detail::mk_and(a.e, b.e)); }
    friend sbool operator||(const sbool& a, const sbool& b) { return sbool(detail::mk_or(a.e, b.e)); }
    friend sbool operator!(const sbool& a) { return sbool(detail::mk_not(a.e)); }
    friend sbool operator==(const sbool& a, const sbool& b) {
        if (detail::folding_flag()) {
            if (detail::same(a.e, b.e)) return sbool(true);
            if (detail::is_lit(b.e, true)) return a;
            if (detail::is_lit(a.e, true)) return b;
            if (detail::is_lit(b.e, false)) return !a;
            if (detail::is_lit(a.e, false)) return !b;
        }
        return sbool(a.e == b.e);
    }
    friend sbool operator!=(const sbool& a, const sbool& b) { return !(a == b); }
};

/// D::Int of the symbolic domain: an 8-bit bit-vector term, unsigned, wrapping.
struct sint {
    z3::expr e;
    sint() : e(detail::int_lit(0)) {}
    sint(int n) : e(detail::int_lit(n)) {}
    explicit sint(z3::expr x) : e(std::move(x)) {}

private:
    template <class F, class B> static sint arith(const sint& a, const sint& b, F f, B build) {
        return sint(detail::binary(
            a.e, b.e, [&](unsigned x, unsigned y) { return detail::int_lit(static_cast<int>(f(x, y) & detail::int_mask)); },
            build));
    }
    template <class F, class B> static sbool cmp(const sint& a, const sint& b, F f, B build) {
        return sbool(detail::binary(
            a.e, b.e, [&](unsigned x, unsigned y) { return detail::bool_lit(f(x, y)); }, build));
    }

public:
    friend sint operator+(const sint& a, const sint& b) {
        return arith(a, b, std::plus<unsigned>(), [](const z3::expr& x, const z3::expr& y) { return x + y; });
    }
    friend sint operator-(const sint& a, const sint& b) {
        return arith(a, b, std::minus<unsigned>(), [](const z3::expr& x, const z3::expr& y) { return x - y; });
    }
    friend sint operator&(const sint& a, const sint& b) {
        return arith(a, b, std::bit_and<unsigned>(), [](const z3::expr& x, const z3::expr& y) { return x & y; });
    }
    friend sint operator|(const sint& a, const sint& b) {
        return arith(a, b, std::bit_or<unsigned>(), [](const z3::expr& x, const z3::expr& y) { return x | y; });
    }
    friend sint operator^(const sint& a, const sint& b) {
        return arith(a, b, std::bit_xor<unsigned>(), [](const z3::expr& x, const z3::expr& y) { return x ^ y; });
    }
    friend sint operator~(const sint& a) {
        if (detail::folding_flag()) return a ^ sint(static_cast<int>(detail::int_mask));
        return sint(~a.e);
    }
    friend sbool operator==(const sint& a, const sint& b) {
        if (detail::folding_flag() && detail::same(a.e, b.e)) return sbool(true);
        return cmp(a, b, std::equal_to<unsigned>(), [](const z3::expr& x, const z3::expr& y) { return x == y; });
    }
    friend sbool operator!=(const sint& a, const sint& b) { return !(a == b); }
    friend sbool operator<(const sint& a, const sint& b) {
        return cmp(a, b, std::less<unsigned>(), [](const z3::expr& x, const z3::expr& y) { return z3::ult(x, y); });
    }
    friend sbool operator<=(const sint& a, const sint& b) {
        return cmp(a, b, std::less_equal<unsigned>(), [](const z3::expr& x, const z3::expr& y) { return z3::ule(x, y); });
    }
    friend sbool operator>(const sint& a, const sint& b) {
        return cmp(a, b, std::greater<unsigned>(), [](const z3::expr& x, const z3::expr& y) { return z3::ugt(x, y); });
    }
    friend sbool operator>=(const sint& a, const sint& b) {
        return cmp(a, b, std::greater_equal<unsigned>(), [](const z3::expr& x, const z3::expr& y) { return z3::uge(x, y); });
    }
};

/// Fold terms while they are built (the default); off builds every operation as written.
inline void set_folding(bool on) { detail::folding_flag() = on; }

/// The value of a leaf term if it simplifies to a constant (bool as 0/1).
inline std::optional<int> constant(const sbool& b) {
    const z3::expr x = b.e.simplify();
    if (x.is_true()) return 1;
    if (x.is_false()) return 0;
    return std::nullopt;
}
inline std::optional<int> constant(const sint& i) {
    const z3::expr x = i.e.simplify();
    if (x.is_numeral()) return static_cast<int>(x.get_numeral_uint());
    return std::nullopt;
}

struct symbolic {
    using Bool = sbool;
    using Int = sint;
    static constexpr bool is_symbolic = true;

    static Bool lit(bool b) { return Bool(b); }
    static Int lit(int n) { return Int(n); }

    /// dst = c ? src : dst, leaf by leaf; leaves that are already the same term stay as they are.
    template <class T> static void merge(const Bool& c, T& dst, const T& src) {
        if (detail::same(c.e, detail::bool_lit(false))) return;
        const bool always = detail::same(c.e, detail::bool_lit(true));
        model::generic::for_each_leaf(
            [&](const std::string&, auto& d, const auto& s) {
                if (detail::same(d.e, s.e)) return;
                d.e = always ? s.e : detail::mk_ite(c.e, s.e, d.e);
            },
            "", dst, src);
    }

    template <class T> static T ite(const Bool& c, const T& a, const T& b) {
        T r = b;
        merge(c, r, a);
        return r;
    }

    /// f on a copy of x, then x = c ? copy : x (literal conditions take the short cut).
    // The condition is taken by value: it is often a leaf of x itself (e.g.
    // `when(s.region[r].windowed[m], s, ...)`), which merge() overwrites part-way; a
    // reference would then decide the leaves merged after it with the new value.
    template <class T, class F> static void when(const Bool c, T& x, F&& f) {
        if (detail::same(c.e, detail::bool_lit(false))) return;
        if (detail::same(c.e, detail::bool_lit(true))) {
            f(x);
            return;
        }
        T y = x;
        f(y);
        merge(c, x, y);
    }

    /// arr[i] as an ite chain over every element; T{} if i is out of range.
    template <class A> static typename model::array_traits<A>::elem select(const A& arr, const Int& i) {
        typename model::array_traits<A>::elem r{};
        for (std::size_t k = model::array_traits<A>::size; k-- > 0;) merge(i == Int(static_cast<int>(k)), r, arr[k]);
        return r;
    }

    /// f(arr[k]) under i == k, for every k (nothing if i is out of range).
    template <class A, class F> static void update(A& arr, const Int& i, F&& f) {
        for (std::size_t k = 0; k < model::array_traits<A>::size; ++k) when(i == Int(static_cast<int>(k)), arr[k], f);
    }

    /// True only when b is the literal false (no solving, no simplification).
    static bool known_false(const Bool& b) { return detail::same(b.e, detail::bool_lit(false)); }

    /// Concrete value of a term that simplifies to a constant (throws otherwise).
    static bool value(const Bool& b) {
        if (auto v = constant(b)) return *v != 0;
        throw std::logic_error("symbolic::value: not a constant: " + b.e.to_string());
    }
    static int value(const Int& i) {
        if (auto v = constant(i)) return *v;
        throw std::logic_error("symbolic::value: not a constant: " + i.e.to_string());
    }
};

// ---------------------------------------------------------------------------
// Type mapping between the two interpretations
// ---------------------------------------------------------------------------

/// The same model type over domain D (state<concrete, P> <-> state<symbolic, P>, leaf-wise).
template <class T, class D> struct rebind;
template <class D> struct rebind<bool, D> { using type = typename D::Bool; };
template <class D> struct rebind<model::cint, D> { using type = typename D::Int; };
template <class D> struct rebind<sbool, D> { using type = typename D::Bool; };
template <class D> struct rebind<sint, D> { using type = typename D::Int; };
template <class T, std::size_t N, class D> struct rebind<std::array<T, N>, D> {
    using type = std::array<typename rebind<T, D>::type, N>;
};
template <template <class> class Tm, class D0, class D> struct rebind<Tm<D0>, D> { using type = Tm<D>; };
template <template <class, class> class Tm, class D0, class P, class D> struct rebind<Tm<D0, P>, D> {
    using type = Tm<D, P>;
};
template <class T, class D> using rebind_t = typename rebind<T, D>::type;

/// The symbolic and the concrete state at preset P.
template <class P> using sym_state = model::state<symbolic, P>;
template <class P> using conc_state = model::state<model::concrete, P>;

// ---------------------------------------------------------------------------
// Fresh states, lifting, evaluation
// ---------------------------------------------------------------------------

namespace detail {
inline void set_leaf(bool& b, int v) { b = v != 0; }
inline void set_leaf(model::cint& i, int v) { i = model::cint(v); }
inline void set_leaf(sbool& b, int v) { b = sbool(v != 0); }
inline void set_leaf(sint& i, int v) { i = sint(v); }
}  // namespace detail

/// A value of type T whose every leaf is a fresh z3 constant named prefix + leaf path.
template <class T> T fresh(const std::string& prefix) {
    T x{};
    model::generic::for_each_leaf<true>(
        [&](const std::string& path, auto& leaf) {
            const std::string name = prefix + path;
            if constexpr (std::is_same_v<std::decay_t<decltype(leaf)>, sbool>)
                leaf = sbool(z3ctx().bool_const(name.c_str()));
            else
                leaf = sint(z3ctx().bv_const(name.c_str(), model::int_width));
        },
        "", x);
    return x;
}

/// A concrete value as symbolic constants.
template <class C> rebind_t<C, symbolic> lift(const C& c) {
    const std::vector<int> vals = model::generic::leaf_values(c);
    rebind_t<C, symbolic> r{};
    std::size_t k = 0;
    model::generic::for_each_leaf([&](const std::string&, auto& leaf) { detail::set_leaf(leaf, vals[k++]); }, "", r);
    return r;
}

/// The terms of every leaf of a symbolic value, in leaf order.
template <class T> std::vector<z3::expr> leaf_exprs(const T& x) {
    std::vector<z3::expr> out;
    model::generic::for_each_leaf([&](const std::string&, const auto& leaf) { out.push_back(leaf.e); }, "", x);
    return out;
}

/// One equality per leaf: a == b, leaf by leaf (equal terms are left out).
template <class T> std::vector<z3::expr> leafwise_equal(const T& a, const T& b) {
    std::vector<z3::expr> out;
    model::generic::for_each_leaf(
        [&](const std::string&, const auto& x, const auto& y) {
            if (!detail::same(x.e, y.e)) out.push_back(x.e == y.e);
        },
        "", a, b);
    return out;
}

/// The concrete value a z3 model gives a symbolic value (unconstrained leaves complete to 0).
template <class T> rebind_t<T, model::concrete> evaluate(const z3::model& m, const T& x) {
    std::vector<int> vals;
    model::generic::for_each_leaf(
        [&](const std::string&, const auto& leaf) {
            const z3::expr v = m.eval(leaf.e, true);
            if constexpr (std::is_same_v<std::decay_t<decltype(leaf)>, sbool>)
                vals.push_back(v.is_true() ? 1 : 0);
            else
                vals.push_back(static_cast<int>(v.get_numeral_uint()));
        },
        "", x);
    rebind_t<T, model::concrete> r{};
    std::size_t k = 0;
    model::generic::for_each_leaf([&](const std::string&, auto& leaf) { detail::set_leaf(leaf, vals[k++]); }, "", r);
    return r;
}

}  // namespace solver
