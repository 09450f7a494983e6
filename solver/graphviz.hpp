// solver/graphviz.hpp — running Graphviz's `dot` on graphs we generate.
//
// Many graphs go through one `dot -Tsvg` process: dot reads every graph in its
// input file and writes one SVG document after the other, which we split at
// "</svg>".  The input goes through a temporary file (no pipe deadlock when dot
// writes while we are still writing), the output through a pipe; no shell.
#pragma once
#include <cerrno>
#include <cstdlib>
#include <cstring>
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

/// Render each Graphviz text to an SVG document with one `dot -Tsvg` run.
/// Throws std::runtime_error if dot cannot run or fails.
inline std::vector<std::string> dot_to_svgs(const std::vector<std::string>& graphs) {
    if (graphs.empty()) return {};
    const char* tmpdir = std::getenv("TMPDIR");
    std::string name = tmpdir && *tmpdir ? tmpdir : "/tmp";
    name += "/cowcheck-dot-XXXXXX";
    std::vector<char> tmpl(name.begin(), name.end());
    tmpl.push_back('\0');
    const int in = mkstemp(tmpl.data());
    if (in < 0) throw std::runtime_error(std::string("cannot create a temporary file for dot: ") + std::strerror(errno));
    const std::string in_path(tmpl.data());
    struct unlink_on_exit {
        std::string path;
        ~unlink_on_exit() { unlink(path.c_str()); }
    } cleanup{in_path};
    for (const auto& g : graphs)
        for (std::size_t done = 0; done < g.size();) {
            const ssize_t n = write(in, g.data() + done, g.size() - done);
            if (n <= 0) {
                close(in);
                throw std::runtime_error(std::string("cannot write the temporary file for dot: ") + std::strerror(errno));
            }
            done += static_cast<std::size_t>(n);
        }
    close(in);

    int out[2];
    if (pipe(out) != 0) throw std::runtime_error("pipe failed");
    const pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        dup2(out[1], 1);
        close(out[0]);
        close(out[1]);
        if (const int null = open("/dev/null", O_WRONLY); null >= 0) dup2(null, 2);
        execlp("dot", "dot", "-Tsvg", in_path.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    close(out[1]);
    std::string text;
    char buf[65536];
    for (;;) {
        const ssize_t n = read(out[0], buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        text.append(buf, static_cast<std::size_t>(n));
    }
    close(out[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw std::runtime_error("dot -Tsvg failed (exit " + std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + ")");

    std::vector<std::string> svgs;
    const std::string end = "</svg>";
    for (std::size_t from = 0;;) {
        const auto e = text.find(end, from);
        if (e == std::string::npos) break;
        svgs.push_back(text.substr(from, e + end.size() - from));
        from = e + end.size();
    }
    if (svgs.size() != graphs.size())
        throw std::runtime_error("dot -Tsvg wrote " + std::to_string(svgs.size()) + " SVG documents for " +
                                 std::to_string(graphs.size()) + " graphs");
    return svgs;
}

}  // namespace solver
