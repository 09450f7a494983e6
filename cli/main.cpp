// cli/main.cpp — the cowcheck command line.
#include <iostream>

#include "common.hpp"

int main(int argc, char** argv) {
    CLI::App app{
        "cowcheck: a bounded, executable model of the Linux anonymous reverse map (anon_vma), COW and\n"
        "TLB flushing, checked by random exploration and by Z3.  Every violation is printed as a short\n"
        "trace of kernel operations.\n\n"
        "Exit codes: 0 clean to the requested budget, 1 violation found, 2 usage or input error,\n"
        "3 unknown (a time or memory limit came first), 4 internal error."};
    app.name("cowcheck");
    app.require_subcommand(1);
    app.set_version_flag("--version", COWCHECK_VERSION);
    int code = cli::exit_clean;
    cli::add_list(app, code);
    cli::add_check(app, code);
    cli::add_explore(app, code);
    cli::add_bmc(app, code);
    cli::add_prove(app, code);
    cli::add_show(app, code);
    cli::add_replay(app, code);
    cli::add_shrink(app, code);
    cli::add_litmus(app, code);
    cli::add_ci(app, code);
    cli::add_merge(app, code);
    cli::add_refine(app, code);
    cli::add_compare(app, code);
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::cerr << "cowcheck: error: " << e.what() << " (see `cowcheck --help`)\n";
        return cli::exit_usage;
    } catch (const cli::usage_error& e) {
        std::cerr << "cowcheck: error: " << e.what() << "\n";
        return cli::exit_usage;
    } catch (const std::exception& e) {
        std::cerr << "cowcheck: internal error: " << e.what() << "\n";
        return cli::exit_internal;
    }
    return code;
}
