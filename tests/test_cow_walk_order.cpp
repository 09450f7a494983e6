// tests/test_cow_walk_order.cpp — the order in which the COW context's one-step walk
// (model/cow_context.hpp walk: traverse_contexts) visits the contexts: as coded each
// context's children before it (post-order), with --cow-fix walk_parent_first each context
// before its children (pre-order), as the walk in steps goes (model/cow_walk.hpp,
// do_walk_step; finding 14).  With every other fix the order changes how many contexts a
// walk examines before the exclusive early stop, never which mappings it finds nor any
// state.
#include <catch2/catch.hpp>

#include <random>

#include "tests/scenario.hpp"

using namespace scenario;

namespace {

/// The COW context at default, with every --cow-fix but walk_parent_first, and that one
/// when `parent_first`.
model::config cow_cfg(bool parent_first) {
    auto cfg = model::config::defaults<model::preset_default>();
    cfg.rmap = model::design::cow_context;
    for (const auto& f : model::cow_fixes())
        if (parent_first || f.id != model::cow_fix::walk_parent_first) cfg.fix(f.id);
    return cfg;
}

/// mm0 maps folio0 and forks mm1, which forks mm2; then mm0 forks mm3.  Contexts k of mm k:
/// 0's children are [3, 1] (dup_cow_context: list_add_rcu at the head), 1's child is 2.
const std::vector<action> tree = {act::mmap(0, 0, 1), act::write(0, 0, 0, 1), act::fork(0, 1), act::fork(1, 2),
                                  act::fork(0, 3)};

struct walk_seen {
    std::vector<int> mms;   // the mm of each VMA handed to rmap_one, in order
    int contexts = 0;       // walk_context() calls on a context with a live mm
};

/// cow_context_walk(folio) in one step on a copy of s (the callback changes nothing).
walk_seen walk_of_folio0(const model::config& cfg, const default_state& s, int folio = 0) {
    auto w = s;
    walk_seen seen;
    model::cow::walk_cost<model::cint> cost;
    model::cow::walk(cfg, w, model::cint(folio), true, [&](bool hit, int m, int, model::cint) {
        if (hit) seen.mms.push_back(m);
    }, &cost);
    seen.contexts = cost.contexts.get();
    return seen;
}

}  // namespace

TEST_CASE("walk_parent_first: the one-step walk visits a context before its children, as coded after them",
          "[cow_context][walk_order]") {
    for (bool parent_first : {false, true}) {
        INFO("walk_parent_first " << parent_first);
        const auto cfg = cow_cfg(parent_first);
        const auto s = run<default_state>(cfg, tree).final();
        REQUIRE(s.cow_ctx[0].first_child == 3);
        REQUIRE(s.cow_ctx[3].next_sibling == 1);
        REQUIRE(s.cow_ctx[1].first_child == 2);
        REQUIRE(s.folio[0].mapcount == 4);
        const auto seen = walk_of_folio0(cfg, s);
        // The root first either way; then post-order 3, 2, 1 or pre-order 3, 1, 2.
        CHECK(seen.mms == (parent_first ? std::vector<int>{0, 3, 1, 2} : std::vector<int>{0, 3, 2, 1}));
        CHECK(seen.contexts == 4);
    }
}

TEST_CASE("walk_parent_first: with the exclusive early stop, the one-step walk's order changes what it examines, "
          "not what it finds", "[cow_context][walk_order]") {
    // Every mm but mm2 unmaps the page: folio0 (mm0's context) is mapped once, by the
    // grandchild.  The walk stops once it has found that mapping (exclusive_at_walk_start,
    // early_stop_if_found): post-order reaches mm2's context third, pre-order fourth.
    auto t = tree;
    for (int m : {0, 1, 3}) t.push_back(act::munmap(m, 0, 1));
    for (bool parent_first : {false, true}) {
        INFO("walk_parent_first " << parent_first);
        const auto cfg = cow_cfg(parent_first);
        const auto s = run<default_state>(cfg, t).final();
        REQUIRE(s.folio[0].mapcount == 1);
        REQUIRE(s.folio[0].cow_context == 0);
        const auto seen = walk_of_folio0(cfg, s);
        CHECK(seen.mms == std::vector<int>{2});
        CHECK(seen.contexts == (parent_first ? 4 : 3));
    }
}

TEST_CASE("walk_parent_first: with every other fix, random runs reach the same state after every step with and "
          "without it (no phase: the one-step walk)", "[cow_context][walk_order]") {
    const auto post = cow_cfg(false), pre = cow_cfg(true);
    const auto acts = model::actions(pre);
    REQUIRE(acts.size() == model::actions(post).size());
    // Four picks in five from the operations that build a fork tree sharing folios and walk
    // it (mmap, write, fork, migrate), so that the two orders differ often.
    std::vector<action> focus;
    for (const auto& x : acts)
        if (x.kind == op::mmap || x.kind == op::write || x.kind == op::fork || x.kind == op::migrate)
            focus.push_back(x);
    std::mt19937 rng(20261207u);
    std::uniform_int_distribution<std::size_t> pick_any(0, acts.size() - 1), pick_focus(0, focus.size() - 1);
    auto pick = [&](std::mt19937& r) -> const action& { return r() % 5 ? focus[pick_focus(r)] : acts[pick_any(r)]; };
    int steps = 0, walks = 0, reordered = 0;
    for (int run = 0; run < 500; ++run) {
        auto a = model::initial_state<default_state>(&pre);
        auto b = a;
        std::vector<action> done;
        for (int n = 0, tries = 0; n < 60 && tries < 20000; ++tries) {
            const action& x = pick(rng);
            const bool ea = model::enabled(pre, a, x), eb = model::enabled(post, b, x);
            INFO(trace_text(done) << "then " << model::describe(x));
            REQUIRE(ea == eb);
            if (!ea) continue;
            // A migration whose walks meet the mms in another order with the fix than without.
            const bool differ = x.kind == op::migrate &&
                                walk_of_folio0(pre, a, x.a.folio).mms != walk_of_folio0(post, b, x.a.folio).mms;
            const bool ia = model::step(pre, a, x), ib = model::step(post, b, x);
            REQUIRE(ia == ib);
            if (!ia) continue;   // out of bounds: not taken
            done.push_back(x);
            ++n;
            ++steps;
            walks += x.kind == op::migrate;
            reordered += differ;
            REQUIRE(model::generic::equal(a, b));
        }
    }
    INFO(steps << " steps, " << walks << " migrations, " << reordered << " of them walked in another order");
    CHECK(steps > 10000);
    CHECK(walks > 100);   // the one-step rmap walks (migration: try_to_migrate, remove_migration_ptes)
    CHECK(reordered > 100);
}
