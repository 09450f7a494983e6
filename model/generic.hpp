// model/generic.hpp — everything that walks every field, written once with Hana.
//
// A model value is a leaf (D::Bool, D::Int), a std::array of values, or a
// BOOST_HANA_DEFINE_STRUCT aggregate of values.  for_each_leaf visits the
// leaves of one or more values in lock-step, with a path naming each leaf
// (e.g. "folio[2].mapcount"); merge, equality, hashing, printing and ITF
// serialization are built on it and never written per struct.
#pragma once
#include <array>
#include <boost/hana.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "domain.hpp"

namespace model::generic {

template <class T> struct is_std_array : std::false_type {};
template <class T, std::size_t N> struct is_std_array<std::array<T, N>> : std::true_type {};

template <class T> inline constexpr bool is_struct_v = boost::hana::Struct<T>::value;

/// Visit the leaves of `xs...` (same type) in lock-step: f(path, leaf...).
/// `path` is built only when the callback asks for it (Path = true).
template <bool Path = false, class F, class T, class... Ts>
void for_each_leaf(F&& f, const std::string& path, T& x, Ts&... xs) {
    using U = std::remove_const_t<T>;
    if constexpr (is_std_array<U>::value) {
        for (std::size_t i = 0; i < x.size(); ++i) {
            if constexpr (Path)
                for_each_leaf<Path>(f, path + "[" + std::to_string(i) + "]", x[i], xs[i]...);
            else
                for_each_leaf<Path>(f, path, x[i], xs[i]...);
        }
    } else if constexpr (is_struct_v<U>) {
        boost::hana::for_each(boost::hana::accessors<U>(), [&](auto pair) {
            auto get = boost::hana::second(pair);
            if constexpr (Path) {
                std::string name = boost::hana::to<const char*>(boost::hana::first(pair));
                for_each_leaf<Path>(f, path.empty() ? name : path + "." + name, get(x), get(xs)...);
            } else {
                for_each_leaf<Path>(f, path, get(x), get(xs)...);
            }
        });
    } else {
        f(path, x, xs...);
    }
}

/// The leaves of a concrete value (bool and cint leaves) as ints, in for_each_leaf order.
template <class C> std::vector<int> leaf_values(const C& c) {
    std::vector<int> out;
    for_each_leaf(
        [&](const std::string&, const auto& leaf) {
            if constexpr (std::is_same_v<std::decay_t<decltype(leaf)>, bool>) out.push_back(leaf ? 1 : 0);
            else out.push_back(leaf.v);
        },
        "", c);
    return out;
}

/// Number of leaves of a value type.
template <class T> std::size_t leaf_count() {
    T x{};
    std::size_t n = 0;
    for_each_leaf([&](const std::string&, auto&) { ++n; }, "", x);
    return n;
}

/// Concrete equality of two values, leaf by leaf.
template <class T> bool equal(const T& a, const T& b) {
    bool eq = true;
    for_each_leaf([&](const std::string&, const auto& x, const auto& y) { eq = eq && (x == y); },
                  "", a, b);
    return eq;
}

/// 64-bit hash of a concrete value (FNV-1a over leaf bytes, then mixed).
template <class T> std::uint64_t hash(const T& a) {
    std::uint64_t h = 1469598103934665603ull;
    for_each_leaf(
        [&](const std::string&, const auto& x) {
            std::uint64_t v;
            if constexpr (std::is_same_v<std::decay_t<decltype(x)>, bool>) v = x; else v = x.v;
            h = (h ^ v) * 1099511628211ull;
        },
        "", a);
    h ^= h >> 33; h *= 0xff51afd7ed558ccdull; h ^= h >> 33;
    return h;
}

}  // namespace model::generic
