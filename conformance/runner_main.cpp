// conformance/runner_main.cpp — cowcheck_litmus_run FILE: execute a litmus program
// on this kernel and print the observations (the same as `cowcheck litmus run`).
// Exit 0 done, 2 bad program, 3 the kernel cannot be observed here (the reason
// is printed), 4 internal error.
#include <iostream>

#include "kernel.hpp"

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: cowcheck_litmus_run FILE.jsonl\n";
        return 2;
    }
    try {
        const auto p = litmus::parse_file(argv[1]);
        const std::string why = litmus::kernel::unobservable();
        if (!why.empty()) {
            std::cerr << "cowcheck_litmus_run: cannot observe the kernel: " << why << "\n";
            return 3;
        }
        litmus::kernel::run(p).print(std::cout);
    } catch (const litmus::bad_input& e) {
        std::cerr << "cowcheck_litmus_run: error: " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "cowcheck_litmus_run: internal error: " << e.what() << "\n";
        return 4;
    }
    return 0;
}
