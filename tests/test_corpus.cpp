// tests/test_corpus.cpp — every trace in counterexamples/ still replays as recorded:
// a trace recorded under a mutant still violates it at the recorded step, and the
// fixed model passes it or disables it where its #meta says (fixed_expect).
#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "cli_run.hpp"

TEST_CASE("the counterexample corpus replays as recorded", "[corpus]") {
    namespace fs = std::filesystem;
    const fs::path root = fs::path(COWCHECK_SOURCE_DIR) / "counterexamples";
    REQUIRE(fs::exists(root));
    int files = 0;
    for (const auto& e : fs::recursive_directory_iterator(root)) {
        const std::string p = e.path().string();
        if (p.size() < 9 || p.substr(p.size() - 9) != ".itf.json") continue;
        ++files;
        const auto r = cli_test::run("replay '" + p + "'");
        INFO(p << ":\n" << r.out << "(stale after a model change? regenerate with scripts/regen-corpus.sh)");
        CHECK(r.code == 0);
    }
    CHECK(files >= 7);
}
