// tests/cli_run.hpp — run the cowcheck binary as a user would, for the CLI tests.
#pragma once
#include <catch2/catch.hpp>
#include <array>
#include <cstdio>
#include <memory>
#include <string>
#include <sys/wait.h>

namespace cli_test {

struct run_result {
    int code;          // exit code; -1 if killed by a signal
    std::string out;   // stdout and stderr together
};

/// Run `cowcheck ARGS` with a time limit (a hang shows as exit 124 or a kill).
inline run_result run(const std::string& args) {
    const std::string cmd = "timeout -k 2 60 " + std::string(COWCHECK_BINARY) + " " + args + " 2>&1";
    std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
    REQUIRE(p);
    std::string out;
    std::array<char, 4096> buf{};
    while (std::size_t n = std::fread(buf.data(), 1, buf.size(), p.get())) out.append(buf.data(), n);
    const int status = pclose(p.release());
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

/// Number of lines of an output.
inline std::size_t lines(const std::string& s) {
    std::size_t n = 0;
    for (char c : s) n += c == '\n';
    return n;
}

}  // namespace cli_test
