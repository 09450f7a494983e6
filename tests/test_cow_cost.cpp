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
// the assertions are the per-design rules the figures must follow.  The counting helpers
// and the sweeps' workloads are solver/cost.hpp's, shared with `cowcheck compare`; the
// second test runs those workloads at the double preset's sizes and asserts the rules
// bench/cost.md shows at the cost preset's; the third runs the command.
#include <iostream>
#include <nlohmann/json.hpp>

#include "solver/cost.hpp"
#include "tests/cli_run.hpp"
#include "tests/scenario.hpp"

using namespace scenario;

namespace {

using double_state = model::state<model::concrete, model::preset_double>;
using solver::cost::counts;
using solver::cost::rmap_objects;

/// The rmap walk of folio f on a scratch copy of s.
solver::cost::walk_figures walk_of(const model::config& cfg, const double_state& s, int f) {
    double_state t = s;
    return solver::cost::walk_of(cfg, t, f);
}

model::config design(bool cow) { return solver::cost::design_config<model::preset_double>(cow); }

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

namespace {

/// The sweeps' points that fit the double preset (solver::cost::needs_of).
std::vector<int> points_in_double(solver::cost::sweep w) {
    using P = model::preset_double;
    std::vector<int> xs;
    for (const auto& s : solver::cost::sweeps()) {
        if (s.id != w) continue;
        for (int x = s.lo; x <= s.hi; ++x) {
            const auto n = solver::cost::needs_of(w, x);
            if (n.mms > P::mms || n.vmas > P::vmas || n.va_pages > P::va_pages || n.folios > P::folios ||
                n.slots > P::anon_vmas)
                break;
            xs.push_back(x);
        }
    }
    return xs;
}

/// Sum of the map counts of every folio at the end: the mappings a complete rmap finds.
int mappings(const model::config& cfg, const std::vector<model::action>& t) {
    const auto o = run<double_state>(cfg, t);   // every invariant after every step
    int n = 0;
    for (const auto& f : o.final().folio) n += f.allocated ? f.mapcount.get() : 0;
    return n;
}

}  // namespace

namespace Catch {
template <> struct StringMaker<counts> {
    static std::string convert(const counts& c) {
        return std::to_string(c.objects) + " objects + " + std::to_string(c.links) + " links";
    }
};
}  // namespace Catch

TEST_CASE("rmap cost: the compare sweeps follow each design's allocation and walk rules", "[cost][cow_context]") {
    using solver::cost::sweep;
    using solver::cost::measure;
    const auto av_cfg = design(false), cc_cfg = design(true);
    auto post_order_cfg = cc_cfg;   // every fix but walk_parent_first
    post_order_cfg.cow_fixed &= ~(1u << static_cast<int>(model::cow_fix::walk_parent_first));
    REQUIRE(cc_cfg.fixed(model::cow_fix::walk_parent_first));
    auto both = [&](sweep w, int x) {
        const auto t = solver::cost::workload(w, x);
        const auto av = measure<double_state>(av_cfg, t), cc = measure<double_state>(cc_cfg, t);
        CHECK(av.broken == "");
        CHECK(cc.broken == "");
        // Both designs find every mapping of every folio (no walk misses one).
        const int maps = mappings(av_cfg, t);
        CHECK(av.walk_total.confirmed == maps);
        CHECK(cc.walk_total.confirmed == maps);
        CHECK(mappings(cc_cfg, t) == maps);
        CHECK(av.folios == cc.folios);
        return std::pair{av, cc};
    };

    SECTION("fork-chain depth: anon_vma_fork links the child to every ancestor; one context per fork") {
        const auto xs = points_in_double(sweep::depth);
        REQUIRE(xs.size() >= 6);
        for (int d : xs) {
            CAPTURE(d);
            const auto [av, cc] = both(sweep::depth, d);
            int chain = 0, alive_links = 0;
            for (int k = 0; k < d; ++k) chain += k + 2;           // the k-th child's chain: k + 2 AVCs
            for (int k = 0; k <= d; ++k) alive_links += k + 1;
            CHECK(av.forks == d);
            CHECK(av.fork_alloc == counts{d, chain});
            CHECK(cc.fork_alloc == counts{d, 0});
            // Only the VMA's first fault allocates (anon_vma + its AVC); COW faults reuse the
            // anon_vma fork gave the child.  Contexts are allocated at fork, never at a fault.
            CHECK(av.faults == d + 2);
            CHECK(av.fault_alloc == counts{1, 1});
            CHECK(cc.fault_alloc == counts{0, 0});
            CHECK(av.alive == counts{d + 1, alive_links});
            CHECK(cc.alive == counts{d + 1, 0});
            // Every folio of the chain's root anon_vma is walked over the whole tree.
            CHECK(av.walk_max_handed == d + 1);
            // anon_vma: page 1 and page 0's original folio walk d + 1 VMAs, mm k's copy d + 1 - k.
            int handed = 2 * (d + 1);
            for (int k = 0; k < d; ++k) handed += d + 1 - k;
            CHECK(av.walk_total.handed == handed);
            // COW contexts, every fix: the shared folio walks every context; the original
            // page-0 folio (mapped by mm<d> only) walks the root and each context down the
            // chain (walk_parent_first: pre-order), each handing its VMA, where a COW copy is
            // mapped (wasted), until mm<d>'s confirms; each copy stops in its own context.
            CHECK(cc.walk_total.handed == (d + 1) + (d + 1) + d);
            CHECK(cc.walk_total.wasted() == d);
            // As coded (post-order) the deepest context comes right after the root: the
            // chain's price of walk_parent_first (finding 14) is d - 1 wasted VMAs.
            const auto po = measure<double_state>(post_order_cfg, solver::cost::workload(sweep::depth, d));
            CHECK(po.broken == "");
            CHECK(po.walk_total.handed == (d + 1) + 2 + d);
            CHECK(po.walk_total.wasted() == 1);
        }
    }
    SECTION("fork width: two AVCs and an anon_vma per child; one context per child") {
        const auto xs = points_in_double(sweep::width);
        REQUIRE(xs.size() >= 6);
        for (int w : xs) {
            CAPTURE(w);
            const auto [av, cc] = both(sweep::width, w);
            CHECK(av.fork_alloc == counts{w, 2 * w});
            CHECK(cc.fork_alloc == counts{w, 0});
            CHECK(av.walk_max_handed == w + 1);
            CHECK(cc.walk_max_handed == w + 1);              // the folio every child still shares
            CHECK(av.walk_total.wasted() == w);              // page 0's original: every child's VMA, mm0 maps it
            CHECK(cc.walk_total.wasted() == 0);              // ... found in mm0's own context: the walk stops
        }
    }
    SECTION("VMAs per mm: anon_vma allocates per VMA at fault and at fork; one context per fork") {
        const auto xs = points_in_double(sweep::vmas);
        REQUIRE(xs.size() >= 4);
        for (int n : xs) {
            CAPTURE(n);
            const auto [av, cc] = both(sweep::vmas, n);
            CHECK(av.fork_alloc == counts{n, 2 * n});
            CHECK(cc.fork_alloc == counts{1, 0});
            CHECK(av.faults == 2 * n);
            CHECK(av.fault_alloc == counts{n, n});            // first fault of each VMA
            CHECK(cc.fault_alloc == counts{0, 0});
            CHECK(av.walk_total.handed == 3 * n);             // original: parent's and child's VMA; copy: child's
            CHECK(cc.walk_total.handed == 2 * n);             // each folio found in its own context first
        }
    }
    SECTION("mremaps: each moved page is a VMA (AVCs, an anon_vma per VMA at fork) and a remap entry") {
        const auto xs = points_in_double(sweep::mremaps);
        REQUIRE(xs.size() >= 3);
        for (int r : xs) {
            CAPTURE(r);
            const auto [av, cc] = both(sweep::mremaps, r);
            CHECK(av.mremaps == r);
            // anon_vma_clone: the split-off rest of the VMA and the moved page's new VMA get
            // one AVC each, except the last move, which moves the whole remaining VMA.
            CHECK(av.mremap_alloc == counts{0, r > 0 ? 2 * r - 1 : 0});
            CHECK(cc.mremap_alloc == counts{0, r});            // cow_context_do_remap: one entry per move
            CHECK(av.fork_alloc == counts{r + 1, 2 * (r + 1)});  // anon_vma_fork per VMA
            CHECK(cc.fork_alloc == counts{1, r});               // fork_records_remaps: the child records each move
            CHECK(cc.alive == counts{2, 2 * r});
        }
    }
}

TEST_CASE("rmap cost: a walk visits every descendant context, mapped or not", "[cost][cow_context]") {
    // The unmapped sweep: only mm1 (the oldest child) still maps the two folios.
    using solver::cost::sweep;
    const auto xs = points_in_double(sweep::unmapped);
    REQUIRE(xs.size() >= 6);
    for (int w : xs) {
        CAPTURE(w);
        const auto t = solver::cost::workload(sweep::unmapped, w);
        const auto av = solver::cost::measure<double_state>(design(false), t);
        const auto cc = solver::cost::measure<double_state>(design(true), t);
        CHECK(av.broken == "");
        CHECK(cc.broken == "");
        REQUIRE(av.folios == 2);
        REQUIRE(cc.folios == 2);
        // unlink_anon_vmas took the unmapped VMAs out of the tree: one VMA, the right one.
        CHECK(av.walk_total.handed == 2);
        CHECK(av.walk_total.confirmed == 2);
        CHECK(av.walk_total.examined == 2);
        // The folios' context is mm0's: the walk examines it and its children, newest first
        // (list_add_rcu at the head), until mm1's confirms: every context of the fan.
        CHECK(cc.walk_total.handed == 2);
        CHECK(cc.walk_total.confirmed == 2);
        CHECK(cc.walk_total.examined == 2 * (w + 1));
    }
}

TEST_CASE("cowcheck compare: usage errors exit 2, a small sweep prints both designs", "[cost][cli]") {
    auto bad = cli_test::run("compare --no-such-flag");
    CHECK(bad.code == 2);
    auto unknown = cli_test::run("compare --sweep nope");
    CHECK(unknown.code == 2);
    CHECK(cli_test::lines(unknown.out) == 1);
    CHECK(unknown.out.find("nope") != std::string::npos);
    CHECK(cli_test::run("compare --max 0").code == 2);
    auto nodir = cli_test::run("compare --max 1 --sweep width --plots /proc/no-such-dir");
    CHECK(nodir.code == 2);
    CHECK(nodir.out.find("/proc/no-such-dir") != std::string::npos);

    auto r = cli_test::run("compare --sweep width --max 3");
    REQUIRE(r.code == 0);
    CHECK(r.out.find("### width") != std::string::npos);
    CHECK(r.out.find("### depth") == std::string::npos);
    CHECK(r.out.find("| 3 | anon_vma | 1 + 2 |") != std::string::npos);      // one anon_vma + two AVCs per child
    CHECK(r.out.find("| 3 | cow_context | 1 + 0 |") != std::string::npos);   // one context per child

    auto j = cli_test::run("compare --sweep vmas --sweep mremaps --max 2 --json");
    REQUIRE(j.code == 0);
    const auto doc = nlohmann::json::parse(j.out);
    REQUIRE(doc["sweeps"].size() == 2);
    CHECK(doc["bounds"]["preset"] == "cost");
    const auto& pts = doc["sweeps"][0]["points"];
    REQUIRE(pts.size() == 2);
    CHECK(pts[1]["x"] == 2);
    CHECK(pts[1]["anon_vma"]["per_fork"]["objects"] == 2);
    CHECK(pts[1]["cow_context"]["per_fork"]["objects"] == 1);
    CHECK(doc["sweeps"][1]["points"].size() == 3);   // mremaps 0, 1, 2
}
