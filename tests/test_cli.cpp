// tests/test_cli.cpp — the cowcheck command line as a user runs it: exit codes,
// one-line usage errors, JSON output.
#include <catch2/catch.hpp>
#include <array>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <sys/wait.h>

#include "cli_run.hpp"

using cli_test::lines;
using cli_test::run;

TEST_CASE("cowcheck list names every action, invariant and mutant", "[cli]") {
    auto r = run("list --json");
    REQUIRE(r.code == 0);
    const auto j = nlohmann::json::parse(r.out);
    CHECK(j["actions"].size() >= 16);
    CHECK(j["invariants"].size() >= 20);
    bool found = false;
    for (const auto& m : j["mutants"]) {
        found = found || m["name"] == "fork_keeps_exclusive";
        // The search that reaches it (cli explore_args_for), which regen-corpus.sh and zoo.py read.
        const std::string search = m["explore_args"];
        INFO(m["name"] << ": " << search);
        CHECK(search.rfind("--bounds ", 0) == 0);
        CHECK(search.find("--depth ") != std::string::npos);
        if (m["name"] == "mermap_wrap_without_flush") CHECK(search.find("--actions mmap,write,mermap_get") != std::string::npos);
    }
    CHECK(found);
    std::vector<std::string> phased;
    for (const auto& f : j["phased"]) phased.push_back(f["name"]);
    CHECK(phased ==
          std::vector<std::string>{"fork", "walk", "walk_vma", "walk_remap", "walk_remap_slots", "mremap", "migrate"});
    const auto text = run("list").out;
    CHECK(text.find("do_wp_page") != std::string::npos);
    CHECK(text.find("walk_vma") != std::string::npos);
}

TEST_CASE("cowcheck check: clean run exits 0 with a JSON summary", "[cli]") {
    auto r = run("check --seed 7 --runs 200 --steps 60 --json");
    REQUIRE(r.code == 0);
    const auto j = nlohmann::json::parse(r.out);
    CHECK(j["result"] == "clean");
    CHECK(j["runs"] == 200);
    CHECK(j["steps"].get<long>() > 200 * 30);
    CHECK(j["bounds"]["preset"] == "default");
}

TEST_CASE("cowcheck check --inject exits 1 and prints the shrunk trace", "[cli]") {
    auto r = run("check --inject fork_keeps_exclusive --quiet");
    REQUIRE(r.code == 1);
    CHECK(r.out.find("VIOLATION: anon_exclusive_mapped_once") != std::string::npos);
    CHECK(r.out.find(" fork -> ") != std::string::npos);
    CHECK(r.out.find("objects involved") != std::string::npos);
}

TEST_CASE("cowcheck: usage errors are one line and exit 2", "[cli]") {
    for (const char* args : {"check --inject no_such_mutant", "check --bounds enormous", "check --mms 99",
                             "check --invariant nope", "check --design cow_pie", "check --shard 3/2",
                             "check --steps 0", "check --engine quantum", "frobnicate", "check --seed banana"}) {
        INFO(args);
        auto r = run(args);
        CHECK(r.code == 2);
        CHECK(lines(r.out) == 1);
        CHECK(r.out.rfind("cowcheck: error:", 0) == 0);
    }
}

TEST_CASE("cowcheck check: a time limit before the budget exits 3 (unknown)", "[cli]") {
    auto r = run("check --budget 1000000000 --seconds 0.3 --json");
    REQUIRE(r.code == 3);
    CHECK(nlohmann::json::parse(r.out)["result"] == "unknown");
}

TEST_CASE("cowcheck --help explains the exit codes", "[cli]") {
    auto r = run("--help");
    CHECK(r.code == 0);
    CHECK(r.out.find("Exit codes") != std::string::npos);
    CHECK(run("check --help").out.find("--inject") != std::string::npos);
}

// B11 (tests/test_mremap_walk.cpp has the model's side): the CLI finds the mutant from scratch.
TEST_CASE("B11: the CLI finds the mutant from scratch, and refuses what it cannot model", "[anon_vma][phased][cli]") {
    const auto e = cli_test::run(
        "explore --inject mremap_skips_rmap_locks --bounds default --mms 1 --vmas 2 --va-pages 3 --folios 1 "
        "--anon-vmas 1 --cpus 1 --depth 10 --actions mmap,write,mremap,mremap_move,mremap_done,anon_walk_begin,"
        "anon_walk_step --quiet");
    INFO(e.out);
    CHECK(e.code == 1);
    CHECK(e.out.find("rmap_complete") != std::string::npos);
    const auto c = cli_test::run("check --inject mremap_skips_rmap_locks --seed 5 --seconds 30 --quiet");   // seed 5: run 379
    INFO(c.out);
    CHECK(c.code == 1);
    const auto cow = cli_test::run("check --design cow_context --phased mremap");
    CHECK(cow.code == 2);
    CHECK(cli_test::lines(cow.out) == 1);
    // B11's harm: with --phased migrate the walk is remove_migration_ptes, and the entry the
    // move carried past it is left behind.
    const auto harm = cli_test::run(
        "explore --inject mremap_skips_rmap_locks --phased migrate --bounds default --mms 1 --vmas 2 --va-pages 3 "
        "--folios 2 --anon-vmas 1 --cpus 1 --depth 10 --invariant no_kernel_bug --actions mmap,write,mremap,"
        "mremap_move,mremap_done,migrate,anon_walk_step --quiet");
    INFO(harm.out);
    CHECK(harm.code == 1);
    CHECK(harm.out.find("remove_migration_ptes() left a migration entry behind") != std::string::npos);
    const auto bmc = cli_test::run("bmc --inject mremap_skips_rmap_locks --depth 2");
    CHECK(bmc.code == 2);
    CHECK(cli_test::lines(bmc.out) == 1);
    // The refusal says where the phases came from, since the command line named none.
    CHECK(bmc.out.find("--inject mremap_skips_rmap_locks turns on --phased walk and --phased mremap") != std::string::npos);
    const auto sym = cli_test::run("explore --symmetry --inject mremap_skips_rmap_locks --depth 2");
    CHECK(sym.code == 2);
    CHECK(cli_test::lines(sym.out) == 1);
    CHECK(sym.out.find("turns on --phased walk") != std::string::npos);
}

TEST_CASE("a clean run of a mutant that cannot fail at its bounds says so (anon_vma_no_reuse at default)", "[cli]") {
    // At default (4 mms x 2 VMAs: bound 16, 6 anon_vma slots) the chain cannot pass the bound.
    const auto c = run("check --inject anon_vma_no_reuse --budget 20000 --quiet");
    INFO(c.out);
    CHECK(c.code == 0);
    CHECK(c.out.find("note: anon_vma_no_reuse breaks anon_vma_chain_bounded, which cannot fail at these bounds: a "
                     "chain longer than 2 x mms x vmas = 16 needs more anon_vmas than the 6 slots of these bounds") !=
          std::string::npos);
    CHECK(c.out.find("--mms 2 --vmas 1") != std::string::npos);   // where it can
    const auto j = nlohmann::json::parse(run("check --inject anon_vma_no_reuse --budget 20000 --json").out);
    CHECK(j["result"] == "clean");
    CHECK(j["note"].get<std::string>().find("cannot fail at these bounds") != std::string::npos);
    const auto e = run("explore --inject anon_vma_no_reuse --bounds small --depth 3");
    CHECK(e.code == 0);
    CHECK(e.out.find("note: anon_vma_no_reuse breaks") != std::string::npos);
    // Where the bound can be passed (2 x 2 x 1 = 4 < 6 slots) there is no note, and explore finds it.
    const auto f = run("explore --inject anon_vma_no_reuse --bounds default --mms 2 --vmas 1 --va-pages 1 --cpus 1 "
                       "--folios 2 --depth 10 --actions mmap,write,fork,exit_mmap,switch_mm --quiet");
    INFO(f.out);
    CHECK(f.code == 1);
    CHECK(f.out.find("note:") == std::string::npos);
    // prove "proves" the bound at such bounds (1 mm x 1 VMA: bound 2, one anon_vma slot), and says why.
    const auto p = run("prove --inject anon_vma_no_reuse --bounds small --mms 1 --vmas 1 --va-pages 1 --folios 1 "
                       "--anon-vmas 1 --quiet");
    INFO(p.out);
    CHECK(p.out.find("note: anon_vma_no_reuse breaks anon_vma_chain_bounded, which cannot fail at these bounds") !=
          std::string::npos);
    // No note for the fixed model or another mutant.
    CHECK(run("check --budget 2000 --quiet").out.find("note:") == std::string::npos);
}
