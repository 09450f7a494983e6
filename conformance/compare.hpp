// conformance/compare.hpp — compare the kernel's observations of a litmus program
// with the model's prediction, field by field.
//
// Compared: each step's operation result (and the value a read returned), and for
// every (step, process, page) record each field of obs_fields().  A record only
// one side has is itself a difference (field "record").  Nothing is skipped: a
// field the model does not model is predicted as a constant and documented
// (conformance/README.md), so a kernel that disagrees shows up.
#pragma once
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "litmus.hpp"

namespace litmus {

struct difference {
    int step;
    std::string proc;   // "" for the op line
    int page;           // -1 for the op line
    std::string field;
    json kernel, model;

    std::string text() const {
        std::string s = "step ";
        s += std::to_string(step);
        if (page >= 0) {
            s += " proc ";
            s += proc;
            s += " page ";
            s += std::to_string(page);
        } else {
            s += " op";
        }
        s += " field ";
        s += field;
        s += ": kernel ";
        s += kernel.dump();
        s += ", model ";
        s += model.dump();
        return s;
    }
};

inline std::vector<difference> compare(const trace& k, const trace& m) {
    std::vector<difference> out;
    const std::size_t n = std::max(k.steps.size(), m.steps.size());
    for (std::size_t i = 0; i < n; ++i) {
        const int step = static_cast<int>(i + 1);
        if (i >= k.steps.size() || i >= m.steps.size()) {
            out.push_back({step, "", -1, "step", i < k.steps.size(), i < m.steps.size()});
            continue;
        }
        const auto& ks = k.steps[i];
        const auto& ms = m.steps[i];
        for (const char* f : {"result", "value"}) {
            const json kv = ks.op.contains(f) ? ks.op[f] : json(nullptr);
            const json mv = ms.op.contains(f) ? ms.op[f] : json(nullptr);
            if (kv != mv) out.push_back({step, "", -1, f, kv, mv});
        }
        using key = std::tuple<std::string, int>;
        std::map<key, const json*> kr, mr;
        std::vector<key> order;
        for (const auto& o : ks.obs) {
            key kk{o["proc"].get<std::string>(), o["page"].get<int>()};
            kr[kk] = &o;
            order.push_back(kk);
        }
        for (const auto& o : ms.obs) {
            key kk{o["proc"].get<std::string>(), o["page"].get<int>()};
            mr[kk] = &o;
            if (!kr.count(kk)) order.push_back(kk);
        }
        for (const auto& kk : order) {
            const auto& [proc, page] = kk;
            const json* a = kr.count(kk) ? kr[kk] : nullptr;
            const json* b = mr.count(kk) ? mr[kk] : nullptr;
            if (!a || !b) {
                out.push_back({step, proc, page, "record", a != nullptr, b != nullptr});
                continue;
            }
            for (const auto& f : obs_fields()) {
                const json av = a->contains(f) ? (*a)[f] : json(nullptr);
                const json bv = b->contains(f) ? (*b)[f] : json(nullptr);
                if (av != bv) out.push_back({step, proc, page, f, av, bv});
            }
        }
    }
    return out;
}

/// Read a trace printed by trace::print (a recorded run).
inline trace read_trace(std::istream& in, const std::string& file) {
    trace t;
    std::string line;
    int no = 0;
    while (std::getline(in, line)) {
        ++no;
        if (line.empty()) continue;
        json j;
        try {
            j = json::parse(line);
        } catch (const nlohmann::json::exception& e) {
            throw bad_input(file + ":" + std::to_string(no) + ": not JSON");
        }
        const std::string type = j.value("type", "");
        if (type == "header") {
            t.header = j;
        } else if (type == "op") {
            t.steps.push_back({j, {}});
        } else if (type == "obs" && !t.steps.empty()) {
            t.steps.back().obs.push_back(j);
        } else {
            throw bad_input(file + ":" + std::to_string(no) + ": expected a header, op or obs line");
        }
    }
    return t;
}

}  // namespace litmus
