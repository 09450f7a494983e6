// Catch2 v2 test runner (RapidCheck properties run through rapidcheck/catch.h).
// RapidCheck's seed is fixed here (unless RC_PARAMS is set) so every run of the
// suite is deterministic.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <cstdlib>

int main(int argc, char* argv[]) {
    setenv("RC_PARAMS", "seed=20261123", 0);
    return Catch::Session().run(argc, argv);
}
