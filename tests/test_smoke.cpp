#include <catch2/catch.hpp>
#include "solver/replay.hpp"
using namespace model;
TEST_CASE("initial state satisfies every invariant", "[model]") {
    using S = state<concrete, preset_default>;
    const auto cfg = config::defaults<preset_default>();
    REQUIRE(props::first_violation(cfg, initial_state<S>()) == -1);
}
