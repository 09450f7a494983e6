// tests/test_cow_cost.cpp — what each rmap design allocates and walks, on one workload.
//
// Workload (preset double: 8 mms): mm0 maps two pages in one VMA, optionally moves it
// (mremap), writes both, then forks a chain mm0 -> mm1 -> ... -> mm<d>; after the chain,
// every process but the last writes page 0 (COW copies).  After each fork the test
// counts the rmap objects alive (anon_vma: anon_vmas and anon_vma_chain links;
// COW contexts: contexts and remap-tree entries) and, at the end, what the walk from
// the original folio of page 0 (now mapped by the last process only) and of page 1
// (shared by all) examines: VMAs handed to rmap_one, and how many of them map the folio.
// The figures are printed (`cowcheck_tests "[cost]" -s`, README "COW context design");
// the assertions are the per-design rules the figures must follow.
#include <iostream>

#include "tests/scenario.hpp"

using namespace scenario;

namespace {

using double_state = model::state<model::concrete, model::preset_double>;

struct counts {
    int objects = 0;   // anon_vmas, or contexts
    int links = 0;     // anon_vma_chain entries, or remap-tree entries
};

counts rmap_objects(const model::config& cfg, const double_state& s) {
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
        for (int p = 0; p < model::preset_double::va_pages; ++p)
            c.links += x.rstart[p] != model::nil && (p == 0 || x.rstart[p - 1] != x.rstart[p]);
    }
    return c;
}

struct walk_figures {
    int handed = 0;      // VMAs handed to rmap_one
    int confirmed = 0;   // of those, mapping the folio
};

walk_figures walk_of(const model::config& cfg, const double_state& s, int f) {
    walk_figures w;
    double_state t = s;
    model::rmap::walk(cfg, t, model::cint(f), true, [&](bool visit, int m, int, model::cint vp) {
        if (!visit) return;
        ++w.handed;
        if (vp.get() < model::preset_double::va_pages && s.pte[m][vp.get()].present && s.pte[m][vp.get()].folio == f)
            ++w.confirmed;
    });
    return w;
}

model::config design(bool cow) {
    auto cfg = model::config::defaults<model::preset_double>();
    if (cow) {
        cfg.rmap = model::design::cow_context;
        for (const auto& f : model::cow_fixes()) cfg.fix(f.id);
    }
    return cfg;
}

}  // namespace

TEST_CASE("rmap cost: objects per fork and walk length, anon_vma vs COW contexts", "[cost][cow_context]") {
    const int depth = 7;
    for (bool moved : {false, true}) {
        for (bool cow : {false, true}) {
            const auto cfg = design(cow);
            std::vector<action> t = {act::mmap(0, 0, 2)};
            if (moved) t.push_back(act::write(0, 0, 0, 9)), t.push_back(act::mremap(0, 0, 2, 2));
            const int base = moved ? 2 : 0;
            t.push_back(act::write(0, 0, base, 1));
            t.push_back(act::write(0, 0, base + 1, 1));
            const std::size_t before_forks = t.size();
            for (int d = 0; d < depth; ++d) {
                if (d > 0) t.push_back(act::switch_mm(0, d));
                t.push_back(act::fork(d, d + 1));
            }
            for (int d = 0; d < depth; ++d) {
                t.push_back(act::switch_mm(0, d));
                t.push_back(act::write(0, d, base, 2));
            }
            const auto o = run<double_state>(cfg, t);   // every invariant after every step
            std::cout << (cow ? "cow_context" : "anon_vma   ") << (moved ? " moved  " : " unmoved") << " objects/links added by each of " << depth << " forks:";
            counts prev = rmap_objects(cfg, o.after(static_cast<int>(before_forks)));
            for (int d = 0; d < depth; ++d) {
                const counts c = rmap_objects(cfg, o.after(static_cast<int>(before_forks) + 2 * d + 1));
                std::cout << " " << c.objects - prev.objects << "/" << c.links - prev.links;
                if (cow) {
                    CHECK(c.objects - prev.objects == 1);   // one context per fork, whatever the VMAs
                    // fork_records_remaps: the child records the inherited moved VMA (one entry)
                    CHECK(c.links - prev.links == (moved ? 1 : 0));
                } else {
                    CHECK(c.objects - prev.objects == 1);   // one anon_vma for the one faulted VMA
                    CHECK(c.links - prev.links == d + 2);   // the child's chain: one AVC per ancestor + its own
                }
                prev = c;
            }
            // Page 0's original folio is now mapped by the last child only; page 1's by all.
            const auto& s = o.final();
            const int f0 = s.pte[depth][base].folio.get(), f1 = s.pte[0][base + 1].folio.get();
            const auto w0 = walk_of(cfg, s, f0), w1 = walk_of(cfg, s, f1);
            std::cout << "; walk exclusive folio " << w0.handed << " handed/" << w0.confirmed << " confirmed"
                      << ", shared folio " << w1.handed << "/" << w1.confirmed << "\n";
            CHECK(w0.confirmed == 1);
            CHECK(w1.confirmed == depth + 1);
            if (!cow) CHECK(w0.handed == depth + 1);   // every VMA in the root's tree covers the pgoff
        }
    }
}
