// tests/test_prove.cpp — k-induction (solver/prove.hpp, `cowcheck prove`).
//
// A proof completes at a tiny bound (preset_small lowered to two mms with one
// VMA of one page each: every action kinds stays, the step is small enough for
// a unit test); a structural mutant is never proved (a base-case violation or a
// counterexample to induction that replays concretely); a time budget that runs
// out is unknown, exit 3; `prove --json` has the summary shape of `bmc --json`.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <sstream>

#include "cli_run.hpp"
#include "solver/prove.hpp"

namespace {

using model::config;
using props::inv;
using P = model::preset_small;

props::inv_set bit(inv i) { return props::inv_set(1) << static_cast<int>(i); }

config tiny() {
    config cfg = config::defaults<P>();
    cfg.lim.mms = 2;
    cfg.lim.vmas = 1;
    cfg.lim.va_pages = 1;
    return cfg;
}

template <class R> std::string rows_text(const R& r) {
    std::ostringstream o;
    o << "base " << r.base_seconds << " s, build " << r.build_seconds << " s, solve " << r.solve_seconds << " s, "
      << r.round_seconds.size() << " rounds, " << r.step_terms << " step terms; reason: " << r.reason << "\n";
    for (const auto& row : r.rows)
        o << "  " << props::inv_name(static_cast<inv>(row.invariant)) << ": "
          << solver::prove_status_name(row.status) << "\n";
    for (const auto& c : r.ctis) o << solver::cti_text(c) << (c.concrete_agrees ? "" : c.disagreement) << "\n";
    return o.str();
}

}  // namespace

TEST_CASE("prove: the structural invariants are proved at a tiny bound with k = 1", "[prove]") {
    const config cfg = tiny();
    const inv structural[] = {inv::rmap_complete, inv::rmap_root_agrees, inv::folio_index_linear,
                              inv::mapcount_exact, inv::anon_vma_refcount_exact};
    props::inv_set sel = 0;
    for (inv i : structural) sel |= bit(i);
    const auto r = solver::prove<P>(cfg, 1, sel, 120000);
    INFO(rows_text(r));
    REQUIRE_FALSE(r.internal_error);
    CHECK(r.base.status == solver::bmc_status::clean);
    CHECK(r.base_violations.empty());
    for (inv i : structural) {
        INFO(props::inv_name(i));
        CHECK(r.rows[static_cast<int>(i)].status == solver::prove_status::proved);
    }
    // Every CTI met on the way replayed on the concrete model.
    for (const auto& c : r.ctis) CHECK(c.concrete_agrees);
    WARN("tiny bound, k = 1: " << r.seconds << " s\n" << rows_text(r));
}

TEST_CASE("prove: a structural mutant is never proved", "[prove][mutant]") {
    config cfg = tiny();
    cfg.inject(model::mutant::fork_keeps_exclusive);
    const auto r = solver::prove<P>(cfg, 1, bit(inv::anon_exclusive_mapped_once), 120000);
    INFO(rows_text(r));
    REQUIRE_FALSE(r.internal_error);
    const auto& row = r.rows[static_cast<int>(inv::anon_exclusive_mapped_once)];
    CHECK(row.status != solver::prove_status::proved);
    CHECK(row.status != solver::prove_status::unknown);
    if (row.status == solver::prove_status::cti) {
        const auto& c = r.ctis.at(row.cti);
        CHECK(c.concrete_agrees);
        REQUIRE(c.steps.size() == 1);
        // The inductive step breaks it with the mutant's fork.
        CHECK(c.steps[0].kind == model::op::fork);
    }
}

TEST_CASE("cowcheck prove: a violation in the base case exits 1, a mutant is never proved", "[prove][cli]") {
    // anon_vma_no_reuse breaks nothing within one step, so the answer comes from the inductive step.
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
    auto r = cli_test::run("prove --bounds small --timeout 0.001 --json");
    INFO(r.out);
    REQUIRE(r.code == 3);
    const auto j = nlohmann::json::parse(r.out);
    CHECK(j["result"] == "unknown");
    CHECK(j["counts"]["proved"] == 0);
    CHECK_FALSE(j["reason"].get<std::string>().empty());
}

TEST_CASE("cowcheck prove --json has the engines' summary shape", "[prove][cli]") {
    auto r = cli_test::run("prove --bounds small --mms 2 --vmas 1 --va-pages 1 --invariant rmap_root_agrees --json");
    INFO(r.out);
    REQUIRE(r.code == 0);
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
    CHECK(j["result"] == "proved");
    CHECK(j["k"] == 1);
    bool found = false;
    for (const auto& x : j["invariants"])
        if (x["name"] == "rmap_root_agrees") {
            found = true;
            CHECK(x["result"] == "proved");
            CHECK(x["selected"] == true);
        }
    CHECK(found);
}
