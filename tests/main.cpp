// Catch2 v2 test runner (RapidCheck properties run through rapidcheck/catch.h).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
