// solver/graphviz.hpp — running Graphviz's `dot` on graphs we generate.
//
// Each distinct graph goes through its own `dot -Tsvg` process (see dot_to_svgs for
// why not one for all), a few at a time, from a temporary input file to a temporary
// output file (no pipes to drain, no shell).
#pragma once
#include <cerrno>
#include <cstdlib>
#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <string_view>
#include <fcntl.h>
#include <sstream>
#include <stdexcept>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace solver {

/// Is `dot` (Graphviz) on PATH?
inline bool have_graphviz() {
    const char* path = std::getenv("PATH");
    std::stringstream dirs(path ? path : "/usr/bin:/bin");
    for (std::string dir; std::getline(dirs, dir, ':');)
        if (!dir.empty() && access((dir + "/dot").c_str(), X_OK) == 0) return true;
    return false;
}

/// Render each Graphviz text to an SVG document, one `dot -Tsvg` process per graph,
/// at most `jobs` at a time.  Throws std::runtime_error if dot cannot run or fails.
///
/// One process per graph, not one for all: dot lays out the second and later graphs of
/// one input differently from run to run (Graphviz 2.43: the same input file gave four
/// different SVGs in six runs, with ASLR off too; each graph alone is stable), so the
/// corpus pages changed on every regeneration.  A process costs about 30 ms (about
/// 20 ms each with four at once on two cores).
inline std::vector<std::string> dot_to_svgs(const std::vector<std::string>& all, unsigned jobs = 4) {
    if (all.empty()) return {};
    // A graph text met before (a trace that comes back to a state) is rendered once.
    std::vector<std::string> graphs;
    std::vector<std::size_t> which(all.size());
    {
        std::map<std::string_view, std::size_t> seen;
        for (std::size_t i = 0; i < all.size(); ++i) {
            const auto [it, fresh] = seen.try_emplace(all[i], graphs.size());
            if (fresh) graphs.push_back(all[i]);
            which[i] = it->second;
        }
    }
    const char* tmpdir = std::getenv("TMPDIR");
    const std::string base = std::string(tmpdir && *tmpdir ? tmpdir : "/tmp") + "/cowcheck-dot-XXXXXX";
    // Each graph's input file, and its output at the same path + ".svg"; both removed at the end.
    struct temp_files {
        std::vector<std::string> paths;
        ~temp_files() {
            for (const auto& p : paths) {
                unlink(p.c_str());
                unlink((p + ".svg").c_str());
            }
        }
    } files;
    for (const auto& g : graphs) {
        std::vector<char> tmpl(base.begin(), base.end());
        tmpl.push_back('\0');
        const int in = mkstemp(tmpl.data());
        if (in < 0) throw std::runtime_error(std::string("cannot create a temporary file for dot: ") + std::strerror(errno));
        files.paths.emplace_back(tmpl.data());
        for (std::size_t done = 0; done < g.size();) {
            const ssize_t n = write(in, g.data() + done, g.size() - done);
            if (n <= 0) {
                close(in);
                throw std::runtime_error(std::string("cannot write the temporary file for dot: ") + std::strerror(errno));
            }
            done += static_cast<std::size_t>(n);
        }
        close(in);
    }

    // Run them, `jobs` at a time; every child is waited for, also when one fails.
    std::vector<pid_t> running;
    std::string failure;
    const auto wait_first = [&] {
        int status = 0;
        while (waitpid(running.front(), &status, 0) < 0 && errno == EINTR) {}
        running.erase(running.begin());
        if (failure.empty() && (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
            failure = "dot -Tsvg failed (exit " + std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + ")";
    };
    for (const auto& in_path : files.paths) {
        if (!failure.empty()) break;
        while (running.size() >= std::max(1u, jobs)) wait_first();
        const std::string out_path = in_path + ".svg";
        const pid_t pid = fork();
        if (pid < 0) {
            failure = "fork failed";
            break;
        }
        if (pid == 0) {
            if (const int null = open("/dev/null", O_WRONLY); null >= 0) {
                dup2(null, 1);
                dup2(null, 2);
            }
            execlp("dot", "dot", "-Tsvg", "-o", out_path.c_str(), in_path.c_str(), static_cast<char*>(nullptr));
            _exit(127);
        }
        running.push_back(pid);
    }
    while (!running.empty()) wait_first();
    if (!failure.empty()) throw std::runtime_error(failure);

    std::vector<std::string> svgs;
    for (const auto& in_path : files.paths) {
        std::ifstream f(in_path + ".svg", std::ios::binary);
        std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
        const auto e = text.rfind("</svg>");
        if (!f.good() && !f.eof()) throw std::runtime_error("cannot read dot's output " + in_path + ".svg");
        if (e == std::string::npos) throw std::runtime_error("dot -Tsvg wrote no SVG document for a graph");
        svgs.push_back(text.substr(0, e + 6));
    }
    std::vector<std::string> out;
    for (const std::size_t k : which) out.push_back(svgs[k]);
    return out;
}

}  // namespace solver
