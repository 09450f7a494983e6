// solver/print.hpp — concrete states as text: every non-default leaf, and diffs.
#pragma once
#include <sstream>
#include <string>

#include "../model/generic.hpp"

namespace solver {

inline int leaf_value(bool b) { return b ? 1 : 0; }
inline int leaf_value(model::cint i) { return i.v; }

/// "path = value" for every leaf that is not zero/false, one per line.
template <class S> std::string dump(const S& s, const std::string& indent = "  ") {
    std::ostringstream out;
    model::generic::for_each_leaf<true>(
        [&](const std::string& path, const auto& x) {
            if (int v = leaf_value(x)) out << indent << path << " = " << v << "\n";
        },
        "", s);
    return out.str();
}

/// "path: old -> new" for every leaf that differs.
template <class S> std::string diff(const S& a, const S& b, const std::string& indent = "  ") {
    std::ostringstream out;
    model::generic::for_each_leaf<true>(
        [&](const std::string& path, const auto& x, const auto& y) {
            if (leaf_value(x) != leaf_value(y))
                out << indent << path << ": " << leaf_value(x) << " -> " << leaf_value(y) << "\n";
        },
        "", a, b);
    return out.str();
}

}  // namespace solver
