// tests/test_corpus.cpp — every trace in counterexamples/ still replays as recorded:
// a trace recorded under a mutant still violates it at the recorded step, and the
// fixed model passes it or disables it where its #meta says (fixed_expect).
#include <catch2/catch.hpp>
#include <array>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <sys/wait.h>

TEST_CASE("the counterexample corpus replays as recorded", "[corpus]") {
    namespace fs = std::filesystem;
    const fs::path root = fs::path(COWCHECK_SOURCE_DIR) / "counterexamples";
    REQUIRE(fs::exists(root));
    int files = 0;
    for (const auto& e : fs::recursive_directory_iterator(root)) {
        const std::string p = e.path().string();
        if (p.size() < 9 || p.substr(p.size() - 9) != ".itf.json") continue;
        ++files;
        const std::string cmd = std::string(COWCHECK_BINARY) + " replay '" + p + "' 2>&1";
        std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
        REQUIRE(pipe);
        std::string out;
        std::array<char, 4096> buf{};
        while (std::size_t n = std::fread(buf.data(), 1, buf.size(), pipe.get())) out.append(buf.data(), n);
        const int status = pclose(pipe.release());
        INFO(p << ":\n" << out << "(stale after a model change? regenerate with scripts/regen-corpus.sh)");
        CHECK(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 0);
    }
    CHECK(files >= 7);
}
