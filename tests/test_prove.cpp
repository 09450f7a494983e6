// tests/test_prove.cpp — k-induction (solver/prove.hpp, `cowcheck prove`).
//
// A proof completes at a one-process bound (preset_small lowered to one mm with
// one VMA of one page, one folio, one anon_vma: no fork or exit, every other
// action kind stays; about 1 s of CPU): every invariant is proved, the anon_vma
// structure rules, the counters, the lifetime rules and the memory claims among them,
// and every CTI met on the way replays on the concrete model.  The frame prove fixes
// in s_0 holds on random concrete runs and follows the configuration.  One query per
// action and the joint query agree; an excluded invariant is neither proved nor
// assumed.  A mutant is never proved (a base-case violation with k = 3); a time budget
// that runs out is unknown, exit 3; `prove --json` has the summary shape of `bmc --json`.
// Queries asked on two threads prove the same set, and two runs give the same answers.
// The COW context with every fix is proved at two processes of one page.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "cli_run.hpp"
#include "solver/prove.hpp"

namespace {

using model::config;
using props::inv;
using P = model::preset_small;

props::inv_set bit(inv i) { return props::inv_set(1) << static_cast<int>(i); }

config one_process() {
    config cfg = config::defaults<P>();
    cfg.lim.mms = 1;
    cfg.lim.vmas = 1;
    cfg.lim.va_pages = 1;
    cfg.lim.folios = 1;
    cfg.lim.anon_vmas = 1;
    return cfg;
}

template <class R> std::string rows_text(const R& r) {
    std::ostringstream o;
    o << "base " << r.base_seconds << " s, build " << r.build_seconds << " s, solve " << r.solve_seconds << " s, "
      << r.cpu_seconds << " s CPU, " << r.round_seconds.size() << " rounds, " << r.step_terms
      << " step terms; reason: " << r.reason << "\n";
    for (const auto& row : r.rows)
        o << "  " << props::inv_name(static_cast<inv>(row.invariant)) << ": "
          << solver::prove_status_name(row.status) << "\n";
    return o.str();
}

}  // namespace

TEST_CASE("prove: the anon_vma structure, counter and lifetime invariants are proved at a one-process bound with k = 1",
          "[prove]") {
    const config cfg = one_process();
    const inv structural[] = {inv::rmap_complete,           inv::rmap_root_agrees,      inv::folio_index_linear,
                              inv::anon_vma_refcount_exact,  inv::num_children_exact,    inv::num_active_vmas_exact,
                              inv::anon_vma_references_live, inv::anon_vma_chain_shape,  inv::mapcount_exact,
                              inv::refcount_exact,           inv::pincount_exact,        inv::no_pte_to_freed_folio,
                              inv::no_tlb_to_freed_folio,    inv::mapped_folio_anon_vma_live,
                              inv::pinned_folio_live,        inv::anon_exclusive_mapped_once,
                              inv::writable_pte_is_exclusive, inv::writable_tlb_is_exclusive};
    props::inv_set sel = 0;
    for (inv i : structural) sel |= bit(i);
    const auto r = solver::prove<P>(cfg, 1, sel, 0);
    INFO(rows_text(r));
    REQUIRE_FALSE(r.internal_error);
    CHECK(r.base.status == solver::bmc_status::clean);
    CHECK(r.base_violations.empty());
    for (inv i : structural) {
        INFO(props::inv_name(i));
        CHECK(r.rows[static_cast<int>(i)].status == solver::prove_status::proved);
    }
    // With the strengthening invariants every invariant is inductive at this bound, the
    // memory claims included (bench/prove.md: at `small` too).
    for (int i = 0; i < props::inv_count; ++i) {
        INFO(props::inv_name(static_cast<inv>(i)));
        CHECK(r.rows[i].status == solver::prove_status::proved);
    }
    // Every CTI met on the way replayed on the concrete model, and broke what it claims.
    for (const auto& c : r.ctis) {
        CHECK(c.concrete_agrees);
        CHECK_FALSE(c.broken.empty());
        REQUIRE(c.states.size() == 2);
        for (int i : c.broken) CHECK(r.rows[i].status == solver::prove_status::cti);
    }
    WARN("one-process bound, k = 1: " << r.seconds << " s wall, " << r.cpu_seconds << " s CPU\n" << rows_text(r));
}

// The COW context's strengthening (cow_context_tree_shape, pte_in_vma's anon_vma rule)
// closed the CTIs met at this bound: without it 48 of 54 were proved (bench/runs.md).
TEST_CASE("prove: the COW context with every fix is proved at two processes of one page", "[prove][cow_context]") {
    config cfg = one_process();
    cfg.rmap = model::design::cow_context;
    for (const auto& f : model::cow_fixes()) cfg.fix(f.id);
    cfg.lim.mms = 2;
    cfg.lim.anon_vmas = 2;
    const auto r = solver::prove<P>(cfg, 1, props::all_invariants, 0, {.threads = 2});
    INFO(rows_text(r));
    REQUIRE_FALSE(r.internal_error);
    CHECK(r.base.status == solver::bmc_status::clean);
    for (int i = 0; i < props::inv_count; ++i) {
        INFO(props::inv_name(static_cast<inv>(i)));
        CHECK(r.rows[i].status == solver::prove_status::proved);
    }
    WARN("cow_context, two processes of one page, k = 1: " << r.seconds << " s wall, " << r.cpu_seconds << " s CPU");
}

namespace {

/// Random concrete runs from the initial state: every leaf of `frame` keeps its initial
/// value after every step.  Returns how many steps were taken.
int check_frame_on_runs(const config& cfg, const std::vector<bool>& frame, unsigned seed) {
    using S = model::state<model::concrete, P>;
    const auto acts = model::actions(cfg);
    const std::vector<int> init = model::generic::leaf_values(model::initial_state<S>(&cfg));
    REQUIRE(init.size() == frame.size());
    std::mt19937 rng(seed);
    int taken = 0;
    for (int run = 0; run < 200; ++run) {
        S s = model::initial_state<S>(&cfg);
        for (int n = 0; n < 60; ++n) {
            if (!model::step(cfg, s, acts[rng() % acts.size()])) continue;
            ++taken;
            const std::vector<int> now = model::generic::leaf_values(s);
            for (std::size_t i = 0; i < frame.size(); ++i)
                if (frame[i] && now[i] != init[i]) {
                    FAIL_CHECK("frame leaf " << i << " moved from " << init[i] << " to " << now[i] << " (run " << run
                                             << ", step " << n << ")");
                    return taken;
                }
        }
    }
    return taken;
}

/// Is the leaf named `path` (for_each_leaf<true> of the concrete state) in the frame?
bool in_frame(const std::vector<bool>& frame, const std::string& path) {
    using S = model::state<model::concrete, P>;
    const S s{};
    std::size_t k = 0, at = frame.size();
    model::generic::for_each_leaf<true>(
        [&](const std::string& p, const auto&) {
            if (p == path) at = k;
            ++k;
        },
        "", s);
    REQUIRE(at < frame.size());
    return frame[at];
}

}  // namespace

TEST_CASE("prove: the frame holds only leaves no step of the configuration moves", "[prove]") {
    // The frame is an invariant prove assumes without a Houdini round: it must hold on
    // every reachable state, and depend on the configuration.
    config cfg = one_process();
    const auto fixed = solver::prove<P>(cfg, 1, bit(inv::rmap_complete), 0);
    REQUIRE_FALSE(fixed.internal_error);
    INFO(fixed.frame_leaves() << " of " << fixed.leaves() << " leaves in the frame");
    CHECK(fixed.frame_leaves() > 0);
    CHECK(fixed.frame_leaves() < fixed.leaves());
    CHECK(in_frame(fixed.frame, "cow_ctx[0].refcount"));          // no COW context under --design anon_vma
    CHECK(in_frame(fixed.frame, "mermap[0].next"));               // nor mermap outside --design mshare
    CHECK(in_frame(fixed.frame, "mm[0].flush_pending"));          // owed only under a mutant
    CHECK_FALSE(in_frame(fixed.frame, "folio[0].refcount"));
    CHECK_FALSE(in_frame(fixed.frame, "mm[0].locked"));
    CHECK(check_frame_on_runs(cfg, fixed.frame, 1) > 1000);

    cfg.inject(model::mutant::munmap_free_before_flush);
    const auto mutant = solver::prove<P>(cfg, 1, bit(inv::rmap_complete), 0);
    REQUIRE_FALSE(mutant.internal_error);
    CHECK_FALSE(in_frame(mutant.frame, "mm[0].flush_pending"));   // the mutant sets it
    CHECK(check_frame_on_runs(cfg, mutant.frame, 2) > 1000);
}

TEST_CASE("prove: one query per action gives the joint query's answers", "[prove]") {
    // k = 1 splits the inductive step into one query per action; the merged step (the
    // form k > 1 uses) must come to the same proved set and the same refuted set.
    // Without the TLB strengthenings some invariants are not inductive: both forms must
    // find CTIs for the same ones.
    const config cfg = one_process();
    const props::inv_set assumable =
        props::all_invariants & ~bit(inv::tlb_entry_backed) & ~bit(inv::exclusive_folio_one_mm);
    const auto split = solver::prove<P>(cfg, 1, assumable, 0, {.assumable = assumable});
    const auto joint = solver::prove<P>(cfg, 1, assumable, 0, {.joint = true, .assumable = assumable});
    INFO("per action:\n" << rows_text(split) << "joint:\n" << rows_text(joint));
    REQUIRE_FALSE(split.internal_error);
    REQUIRE_FALSE(joint.internal_error);
    int proved = 0, refuted = 0;
    for (int i = 0; i < props::inv_count; ++i) {
        INFO(props::inv_name(static_cast<inv>(i)));
        CHECK(split.rows[i].status == joint.rows[i].status);
        proved += split.rows[i].status == solver::prove_status::proved;
        refuted += split.rows[i].status == solver::prove_status::cti;
    }
    CHECK(proved > 0);
    CHECK(refuted > 0);
    // Per action: the first round asks every action that can be enabled; a round that drops
    // invariants is followed by another; the last one drops nothing.
    REQUIRE(split.round_queries.size() >= 2);
    CHECK(split.round_queries[0] > 1);
    CHECK(split.round_queries.size() == split.round_seconds.size());
    for (std::size_t n : joint.round_queries) CHECK(n == 1);
    for (const auto& c : split.ctis) {
        CHECK(c.concrete_agrees);
        CHECK(c.steps.size() == 1);
    }
}

TEST_CASE("prove: queries asked on two threads give the same proved set, two runs give the same answers",
          "[prove]") {
    // --threads 2: the pending queries are asked two at a time, each in its own z3 context,
    // and the answers taken in query order.  Houdini ends at the same set as one thread
    // (the largest inductive subset); the CTIs may differ from one thread's, but not from
    // one run (process) to the next.
    const config cfg = one_process();
    const props::inv_set assumable =
        props::all_invariants & ~bit(inv::tlb_entry_backed) & ~bit(inv::exclusive_folio_one_mm);
    const auto one = solver::prove<P>(cfg, 1, assumable, 0, {.assumable = assumable});
    const auto two = solver::prove<P>(cfg, 1, assumable, 0, {.assumable = assumable, .threads = 2});
    INFO("one thread:\n" << rows_text(one) << "two threads:\n" << rows_text(two));
    REQUIRE_FALSE(one.internal_error);
    REQUIRE_FALSE(two.internal_error);
    int refuted = 0;
    for (int i = 0; i < props::inv_count; ++i) {
        INFO(props::inv_name(static_cast<inv>(i)));
        CHECK(two.rows[i].status == one.rows[i].status);
        refuted += two.rows[i].status == solver::prove_status::cti;
    }
    CHECK(refuted > 0);
    for (const auto& c : two.ctis) CHECK(c.concrete_agrees);
    const std::string args = "prove --bounds small --mms 1 --vmas 1 --va-pages 1 --folios 1 --anon-vmas 1 "
                             "--exclude tlb_entry_backed --exclude exclusive_folio_one_mm --threads 2 --json";
    const auto a = cli_test::run(args), b = cli_test::run(args);
    INFO(a.out);
    REQUIRE(a.code == 3);   // not proved: CTIs
    REQUIRE(b.code == 3);
    const auto ja = nlohmann::json::parse(a.out), jb = nlohmann::json::parse(b.out);
    CHECK(ja["threads"] == 2);
    CHECK(ja["round_queries"] == jb["round_queries"]);
    CHECK(ja["invariants"] == jb["invariants"]);   // each result, its CTI's round and step
    CHECK(ja["counts"]["cti"] == refuted);
}

TEST_CASE("prove: an excluded invariant is neither proved nor assumed", "[prove]") {
    // Without the memory claims, the other invariants are inductive on their own: one round,
    // no CTI.  Assuming fewer invariants is sound, so this is a proof of the selected ones.
    const config cfg = one_process();
    const props::inv_set memory = bit(inv::reads_match_reference) | bit(inv::every_read_matches_reference) |
                                  bit(inv::memory_matches_reference) | bit(inv::pins_see_own_data);
    const auto r = solver::prove<P>(cfg, 1, props::all_invariants & ~memory, 0,
                                    {.assumable = props::all_invariants & ~memory});
    INFO(rows_text(r));
    REQUIRE_FALSE(r.internal_error);
    CHECK(r.ctis.empty());
    CHECK(r.round_seconds.size() == 1);
    for (int i = 0; i < props::inv_count; ++i)
        CHECK(r.rows[i].status == ((memory >> i & 1) ? solver::prove_status::unknown : solver::prove_status::proved));
}

TEST_CASE("cowcheck prove --exclude: the excluded invariants are listed, bad names are usage errors", "[prove][cli]") {
    const std::string bound = "prove --bounds small --mms 1 --vmas 1 --va-pages 1 --folios 1 --anon-vmas 1 ";
    auto r = cli_test::run(bound + "--exclude reads_match_reference --exclude every_read_matches_reference "
                                   "--exclude memory_matches_reference --exclude pins_see_own_data --json");
    INFO(r.out);
    REQUIRE(r.code == 0);
    const auto j = nlohmann::json::parse(r.out);
    CHECK(j["result"] == "proved");
    CHECK(j["excluded"].size() == 4);
    CHECK(j["counts"]["cti"] == 0);
    CHECK(j["counts"]["proved"] == props::inv_count - 4);
    CHECK(j["step_form"] == "per_action");
    CHECK(j["threads"] == 2);   // the default: both cores
    for (const char* args : {"--threads 0", "--threads 2 --k 2", "--threads 2 --joint"}) {
        auto t = cli_test::run(bound + args);
        INFO(args << "\n" << t.out);
        CHECK(t.code == 2);
        CHECK(t.out.find("--threads") != std::string::npos);
    }
    auto bad = cli_test::run(bound + "--exclude no_such_invariant");
    CHECK(bad.code == 2);
    CHECK(bad.out.find("unknown invariant 'no_such_invariant'") != std::string::npos);
    auto both = cli_test::run(bound + "--invariant rmap_complete --exclude rmap_complete");
    CHECK(both.code == 2);
    CHECK(both.out.find("--exclude rmap_complete") != std::string::npos);
}

TEST_CASE("prove: a mutant is never proved (base-case violation, replayed)", "[prove][mutant]") {
    config cfg = config::defaults<P>();
    cfg.lim.mms = 2;
    cfg.lim.vmas = 1;
    cfg.lim.va_pages = 1;
    cfg.inject(model::mutant::fork_keeps_exclusive);
    // k = 3: mmap, write, fork is in the base case.
    const auto r = solver::prove<P>(cfg, 3, bit(inv::anon_exclusive_mapped_once), 0);
    INFO(rows_text(r));
    REQUIRE_FALSE(r.internal_error);
    CHECK(r.rows[static_cast<int>(inv::anon_exclusive_mapped_once)].status == solver::prove_status::violation);
    CHECK(r.violation.violated == static_cast<int>(inv::anon_exclusive_mapped_once));
    CHECK(r.violation.depth == 3);
    CHECK(r.violation.replay_agrees);
    for (const auto& row : r.rows) CHECK(row.status != solver::prove_status::proved);
}

TEST_CASE("cowcheck prove: a violation in the base case exits 1, a mutant is never proved", "[prove][cli]") {
    auto r = cli_test::run("prove --bounds small --mms 2 --vmas 1 --va-pages 1 --inject fork_keeps_exclusive "
                           "--invariant anon_exclusive_mapped_once --k 3 --json");
    INFO(r.out);
    // k = 3: mmap, write, fork is a real trace of three steps.
    REQUIRE(r.code == 1);
    const auto j = nlohmann::json::parse(r.out);
    CHECK(j["result"] == "violation");
    CHECK(j["violation"]["invariant"] == "anon_exclusive_mapped_once");
    CHECK(j["violation"]["length"] == 3);
    CHECK(j["violation"]["replayed"] == true);
}

TEST_CASE("cowcheck prove: a time budget that runs out is unknown (exit 3), never proved", "[prove][cli]") {
    // `small`: the budget is gone at the first check.  `default`: finding the frame and
    // building the 644 per-action queries takes about 250 s on the 2-core machine; the
    // budget is checked through both, so the run stops near it.
    for (const char* args : {"prove --bounds small --timeout 0.001 --json", "prove --bounds default --timeout 5 --json"}) {
        auto r = cli_test::run(args);
        INFO(args << "\n" << r.out);
        REQUIRE(r.code == 3);
        const auto j = nlohmann::json::parse(r.out);
        CHECK(j["result"] == "unknown");
        CHECK(j["counts"]["proved"] == 0);
        CHECK_FALSE(j["reason"].get<std::string>().empty());
        CHECK(j["seconds"].get<double>() < 30);
    }
}

TEST_CASE("cowcheck bmc: the time budget also holds while a depth is unrolled (unknown, exit 3)", "[bmc][cli]") {
    // At `default`, unrolling depth 3 alone takes about 90 s on the 2-core machine; the
    // budget is checked between the actions of the unrolling, so the run stops near it.
    auto r = cli_test::run("bmc --bounds default --depth 5 --timeout 3 --json");
    INFO(r.out);
    REQUIRE(r.code == 3);
    const auto j = nlohmann::json::parse(r.out);
    CHECK(j["result"] == "unknown");
    CHECK(j["clean_depth"].get<int>() < 5);
    CHECK_FALSE(j["reason"].get<std::string>().empty());
    CHECK(j["seconds"].get<double>() < 60);   // without the check it ran past 90 s
}

TEST_CASE("cowcheck prove --json has the engines' summary shape", "[prove][cli]") {
    // The base-case violation run: every selected invariant broke, so no inductive step is built.
    auto r = cli_test::run("prove --bounds small --mms 2 --vmas 1 --va-pages 1 --inject fork_keeps_exclusive "
                           "--invariant anon_exclusive_mapped_once --k 3 --json");
    INFO(r.out);
    REQUIRE(r.code == 1);
    const auto j = nlohmann::json::parse(r.out);
    auto b = nlohmann::json::parse(cli_test::run("bmc --bounds small --depth 1 --json").out);
    for (const char* key : {"engine", "design", "bounds", "mutants", "result", "seconds", "depth"}) {
        INFO(key);
        CHECK(j.contains(key));
        CHECK(b.contains(key));
    }
    CHECK(j["engine"] == "prove");
    CHECK(j["bounds"]["preset"] == "small");
    CHECK(j["bounds"]["va_pages"] == 1);
    CHECK(j["mutants"][0] == "fork_keeps_exclusive");
    CHECK(j["k"] == 3);
    CHECK(j["counts"]["violation"] == 1);
    bool found = false;
    for (const auto& x : j["invariants"])
        if (x["name"] == "anon_exclusive_mapped_once") {
            found = true;
            CHECK(x["result"] == "violation");
            CHECK(x["selected"] == true);
        }
    CHECK(found);
}
