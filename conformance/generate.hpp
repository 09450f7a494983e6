// conformance/generate.hpp — random litmus programs inside the model's coverage.
//
// Each step draws a process and an operation (weights below) with random pages,
// ranges, slots and values; a candidate is kept only if the program with it still
// parses and the model can predict it (predict::run does not refuse it, with the zero
// page and without: model::config::zero_page), so every
// generated program is checkable.  Deterministic in (seed, index).
#pragma once
#include <random>

#include "predict.hpp"

namespace litmus {

struct gen_options {
    int steps = 20;       // operations per program
    int pages = 6;        // logical pages 0..pages-1
    int slots = 8;        // arena slots 0..slots-1 (the model's pages per mm)
    int max_procs = 4;    // live processes at most
};

/// Program number `index` of the stream `seed`, as JSON Lines text.
inline std::string generate(std::uint64_t seed, int index, const gen_options& g = {}) {
    std::mt19937_64 rng(seed * 1000003u + static_cast<std::uint64_t>(index));
    auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    std::vector<std::string> lines;
    std::vector<std::string> live = {"parent"};
    int forks = 0;
    std::vector<int> named = {0};   // logical pages some mmap named: most ranges start there
    auto text_of = [](const std::vector<std::string>& ls) {
        std::string t;
        for (const auto& l : ls) t += l + "\n";
        return t;
    };
    // Start with one mapping so most programs touch memory early.
    lines.push_back(json({{"op", "mmap"}, {"page", 0}, {"npages", pick(1, 3)}, {"at", pick(0, 2)}}).dump());
    int tries = 0;
    while (static_cast<int>(lines.size()) < g.steps && tries < g.steps * 200) {
        ++tries;
        const std::string proc = live[static_cast<std::size_t>(pick(0, static_cast<int>(live.size()) - 1))];
        json j = {{"proc", proc}};
        const int w = pick(0, 99);
        const int page = pick(0, 99) < 85 ? named[static_cast<std::size_t>(pick(0, static_cast<int>(named.size()) - 1))]
                                          : pick(0, g.pages - 1);
        const int npages = pick(1, 2);
        if (w < 22) {
            j["op"] = "read"; j["page"] = page;
        } else if (w < 50) {
            j["op"] = "write"; j["page"] = page; j["value"] = pick(1, 255);
        } else if (w < 58) {
            if (static_cast<int>(live.size()) >= g.max_procs) continue;
            j["op"] = "fork"; j["child"] = "child" + std::to_string(++forks);
        } else if (w < 63) {
            if (live.size() < 2) continue;
            j["op"] = "exit";
        } else if (w < 72) {
            j["op"] = "mmap"; j["page"] = page; j["npages"] = npages; j["at"] = pick(0, g.slots - npages);
        } else if (w < 76) {
            j["op"] = "munmap"; j["page"] = page; j["npages"] = npages;
        } else if (w < 84) {
            j["op"] = "mprotect"; j["page"] = page; j["npages"] = npages; j["prot"] = pick(0, 1) ? "rw" : "r";
        } else if (w < 94) {
            static const char* adv[] = {"DONTNEED", "DONTNEED", "DONTFORK", "WIPEONFORK"};
            j["op"] = "madvise"; j["page"] = page; j["npages"] = npages; j["advice"] = adv[pick(0, 3)];
        } else {
            j["op"] = "mremap"; j["page"] = page; j["npages"] = npages; j["at"] = pick(0, g.slots - npages);
        }
        auto cand = lines;
        cand.push_back(j.dump());
        try {   // predictable for a kernel with the zero page and for one without (model::config::zero_page)
            std::istringstream in(text_of(cand));
            const auto p = parse(in, "generated");
            predict::run(p);
            predict::run(p, {}, false);
        } catch (const bad_input&) {
            continue;   // outside the model (or malformed): draw again
        }
        lines = std::move(cand);
        if (j["op"] == "mmap")
            for (int d = 0; d < npages; ++d)
                if (std::find(named.begin(), named.end(), page + d) == named.end()) named.push_back(page + d);
        if (j["op"] == "fork") live.push_back(j["child"].get<std::string>());
        if (j["op"] == "exit") live.erase(std::find(live.begin(), live.end(), proc));
    }
    return text_of(lines);
}

}  // namespace litmus
